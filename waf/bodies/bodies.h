// Request-body processors: pure functions that turn a buffered body (or the query string, or a
// Cookie header) into the collections SecLang rules inspect, with libmodsecurity v3's semantics
// so that the OWASP CRS sees what it sees on ModSecurity. They never throw and never allocate
// outside `Parsed::arena`; hostile input becomes `Parsed::error` (REQBODY_ERROR), never a crash.
// Each function is safe for concurrent use by multiple threads on different `Parsed` objects.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <string_view>
#include <vector>

namespace portcullis::waf::bodies {

struct Arg {
  std::string_view name;
  std::string_view value;
};

struct Limits {
  // SecArgumentsLimit: once `Parsed::args` holds this many arguments, further ones are dropped
  // and `limit_exceeded` is set. JSON also stops there with an error, as ModSecurity cancels the
  // parse when an argument is refused.
  std::size_t max_args = 1000;
  // SecRequestBodyJsonDepthLimit: nested objects and arrays; one level deeper is an error.
  std::size_t json_max_depth = 10000;
  // Multipart file parts (SecUploadFileLimit); past it MULTIPART_FILE_LIMIT_EXCEEDED and an
  // error are set, the files are still listed. 0 means no limit, as in ModSecurity.
  std::size_t max_files = 100;
  // Nested XML elements; deeper is an error. 256 is libxml2's default (XML_PARSE_HUGE unset).
  std::size_t xml_max_depth = 256;
  // Total bytes of JSON argument names built in the arena. A name repeats its whole path, so a
  // deep body with many leaves would otherwise grow the arena far beyond the body's size; past
  // this budget the body is an error and `limit_exceeded` is set.
  std::size_t json_max_name_bytes = std::size_t{8} << 20;
};

struct FilePart {
  std::string_view name;      // the part's field name (FILES_NAMES, and the key of FILES)
  std::string_view filename;  // filename= as sent, unescaped (FILES)
  std::uint64_t size = 0;     // FILES_SIZES: content bytes, without the CRLF before the boundary
  std::string_view content;   // the file's bytes, a view into the body (FILES_TMP_CONTENT)
};

// The MULTIPART_* variables. Each is set exactly where libmodsecurity sets it.
struct MultipartFlags {
  // MULTIPART_STRICT_ERROR: error, or any flag below except crlf_lf_lines and unmatched_boundary.
  bool strict_error = false;
  bool boundary_quoted = false;         // boundary="..." in Content-Type
  bool boundary_whitespace = false;     // whitespace around '=' of the boundary parameter
  bool data_before = false;             // bytes before the first boundary
  bool data_after = false;              // bytes after the final boundary
  bool header_folding = false;          // a folded part header
  bool lf_line = false;                 // a line ended by LF alone (framing lines only)
  bool crlf_lf_lines = false;           // both CRLF and LF line ends
  bool missing_semicolon = false;       // no ';' before boundary= in Content-Type
  bool invalid_quoting = false;         // single quotes, or a quote where none belongs, in C-D
  bool invalid_part = false;            // a part with no name, or a boundary where data must be
  bool invalid_header_folding = false;  // folding with whitespace other than SP/HT
  bool file_limit_exceeded = false;     // more file parts than Limits::max_files
  bool unmatched_boundary = false;      // MULTIPART_UNMATCHED_BOUNDARY == 1 (see below)
  // MULTIPART_UNMATCHED_BOUNDARY as ModSecurity v3 reports it: 0 none; 1 a line that looks like
  // a boundary but is not ours; 2 set by every boundary after the first (it overwrites a 1), so
  // the recommended rule tests "@eq 1".
  std::uint8_t unmatched_boundary_value = 0;
};

// What a body processor found. All views point into the input or into `arena` memory.
struct Parsed {
  explicit Parsed(std::pmr::memory_resource* arena);
  std::pmr::memory_resource* arena;
  std::pmr::vector<Arg> args;        // ARGS_POST in body order (names as ModSecurity builds them)
  std::pmr::vector<FilePart> files;  // FILES / FILES_NAMES / FILES_SIZES
  // MULTIPART_PART_HEADERS: name = part's field name, value = one header line
  // "Content-Disposition: form-data; name=\"a\"" (no line end; folded lines joined by a space).
  std::pmr::vector<Arg> part_headers;
  MultipartFlags multipart;
  // XML:/* — the string value of the root element (all descendant text and CDATA, concatenated,
  // as libxml2's xmlNodeGetContent).
  std::string_view xml_text;
  std::pmr::vector<std::string_view> xml_attributes;  // XML://@* — attribute values, in order
  bool error = false;                                 // REQBODY_ERROR
  std::string_view error_message;  // REQBODY_ERROR_MSG (static string or arena); first error wins
  std::size_t error_offset = 0;    // byte offset in the input where the error was found
  bool limit_exceeded = false;     // more arguments than Limits::max_args (or the name budget)
  bool urlencoded_error = false;   // URLENCODED_ERROR: a '%' not followed by two hex digits
};

// The media type of a Content-Type value: before any ';', without surrounding blanks
// ("text/html; charset=utf-8" → "text/html"). Case is kept.
std::string_view media_type(std::string_view content_type) noexcept;

// application/x-www-form-urlencoded (also used for the query string): split on '&', name=value,
// '+' is space, %XX decoded, invalid % sequences kept as they are (ModSecurity's behaviour).
// Every piece becomes an argument, empty ones included ("a&&b" gives a, "", b), except an empty
// piece after the last '&'. Appends to `out`. Never sets `error`.
void parse_urlencoded(std::string_view text, const Limits& limits, Parsed& out) noexcept;

// application/json, RFC 8259 strictly (UTF-8, no comments, no trailing commas, one value).
// Names: "json" for a top-level scalar; object members "<parent>.<key>" ("empty-key" for "");
// array elements "<parent>.array_<i>"; the top-level container is "json". Values: strings
// unescaped (\uXXXX to UTF-8, surrogate escapes as yajl decodes them), numbers as written,
// "true"/"false", null as "". An empty body is not an error; blank is. Arguments found before
// an error are kept. Stricter than yajl: malformed UTF-8 (overlong forms included) and an
// unterminated string after the value are errors. Note: ModSecurity v3 puts JSON arguments in
// ARGS and ARGS_NAMES but not in ARGS_POST (its addArgument origin is "JSON", not "POST").
void parse_json(std::string_view body, const Limits& limits, Parsed& out) noexcept;

// multipart/form-data. `content_type` is the whole Content-Type header value (the boundary is
// read from it). Non-file parts become `args`; parts with a non-empty filename= become `files`
// (filename* alone is an error); every part header line goes to `part_headers`. Sets the
// MULTIPART_* flags; a malformed body sets `error` and `multipart.strict_error`. An empty body
// is not an error. Parts completed before an error are kept.
void parse_multipart(std::string_view body, std::string_view content_type, const Limits& limits,
                     Parsed& out) noexcept;

// XML well-formedness parse: elements, attributes, the five predefined entities and character
// references, CDATA, comments, processing instructions. A DOCTYPE is skipped and never expanded
// (no external entities, no XXE); with one, an undeclared entity reference stays as written,
// without one it is an error. Not well-formed (including an empty body, as libxml2 says) sets
// `error`. Fills xml_text and xml_attributes (xmlns declarations are not attributes).
void parse_xml(std::string_view body, const Limits& limits, Parsed& out) noexcept;

// Cookie header value → (name, value) pairs as ModSecurity v3 splits them (REQUEST_COOKIES),
// appended to `out`: split on ';', leading whitespace of each name skipped, the first '='
// separates name and value, a pair without '=' has an empty value, pairs with an empty name are
// skipped, trailing whitespace after the last pair dropped. Nothing is decoded.
void parse_cookies(std::string_view header_value, std::pmr::vector<Arg>& out) noexcept;

}  // namespace portcullis::waf::bodies
