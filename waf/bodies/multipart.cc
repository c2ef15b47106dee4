// multipart/form-data → ARGS_POST, FILES, FILES_NAMES, FILES_SIZES, MULTIPART_PART_HEADERS and
// the MULTIPART_* flags, following libmodsecurity v3's request_body_processor/multipart.cc step
// by step: the boundary is read from Content-Type with its checks (quoted, whitespace, missing
// ';', "boundary" inside it, characters); the body is cut into lines, or 4096-byte pieces of a
// longer line, as its buffer does; a line is a boundary only where it starts one, after the
// first boundary only once the part has data; part headers may be folded; Content-Disposition
// must be "form-data" with name= and optional filename= / filename*= parameters. Flags are set
// where ModSecurity sets them, so CRS rules 200003/200004 and 922xxx see what they see there.
//
// Where this differs, it is stricter or keeps more for inspection: header errors that v3 logs
// but parses past (a duplicate part header, a bad Content-Disposition) stop the parse with an
// error; an empty boundary is an error; a text field keeps its inner line breaks (v3 loses them
// to a double assign); parts completed before an error are kept.
//
//   SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,deny,t:none"
#include <algorithm>
#include <cstdint>

#include "waf/bodies/bodies.h"
#include "waf/bodies/output.h"
#include "waf/bodies/text.h"

namespace portcullis::waf::bodies {
namespace {

using text::iequals;
using text::is_c_space;
using text::to_lower;

constexpr std::size_t kBufferSize = 4096;  // MULTIPART_BUF_SIZE
constexpr std::size_t kMaxContentTypeLength = 1024;
constexpr std::size_t kMimeTypeLength = 19;  // "multipart/form-data"

constexpr bool is_space_or_tab(char c) noexcept { return c == ' ' || c == '\t'; }
constexpr bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool iless(std::string_view a, std::string_view b) noexcept {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return to_lower(x) < to_lower(y); });
}

// RFC 2616 token characters, as Multipart::is_token_char.
constexpr bool is_token_char(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  if (u <= 32 || u >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) == std::string_view::npos;
}

// RFC 2046 boundary characters; a space only inside.
bool boundary_characters_valid(std::string_view b) noexcept {
  for (std::size_t i = 0; i < b.size(); ++i) {
    char c = b[i];
    if (is_alnum(c) || std::string_view("'()+_,-./:=?").find(c) != std::string_view::npos) {
      continue;
    }
    if (c == ' ' && i + 1 < b.size()) continue;
    return false;
  }
  return true;
}

// How many times "boundary" (any case) appears with a '=' somewhere after it.
int count_boundary_params(std::string_view s) noexcept {
  constexpr std::string_view kWord = "boundary";
  int count = 0;
  std::size_t i = 0;
  while (i + kWord.size() <= s.size()) {
    if (!iequals(s.substr(i, kWord.size()), kWord)) {
      ++i;
      continue;
    }
    i += kWord.size();
    if (s.find('=', i) != std::string_view::npos) ++count;
  }
  return count;
}

// utils::string::chomp: trailing CR and LF go, unless there is nothing else.
std::string_view chomp(std::string_view s) noexcept {
  std::size_t last = s.find_last_not_of("\r\n");
  return last == std::string_view::npos ? s : s.substr(0, last + 1);
}

std::string_view without_line_end(std::string_view s) noexcept {
  if (s.ends_with("\r\n")) return s.substr(0, s.size() - 2);
  if (s.ends_with('\n')) return s.substr(0, s.size() - 1);
  return s;
}

// Finds "--<boundary>" in data lines in linear time (Knuth-Morris-Pratt): a long boundary of
// repeated characters must not make every line cost its length times the boundary's.
class DashBoundarySearch {
 public:
  DashBoundarySearch(Parsed& out, std::string_view boundary)
      : pattern_(output::concat(out, {"--", boundary})),
        next_(static_cast<std::uint32_t*>(
            out.arena->allocate(pattern_.size() * sizeof(std::uint32_t), alignof(std::uint32_t)))) {
    next_[0] = 0;
    std::uint32_t k = 0;
    for (std::size_t i = 1; i < pattern_.size(); ++i) {
      while (k > 0 && pattern_[i] != pattern_[k]) k = next_[k - 1];
      if (pattern_[i] == pattern_[k]) ++k;
      next_[i] = k;
    }
  }

  bool found_in(std::string_view text) const noexcept {
    std::uint32_t k = 0;
    for (char c : text) {
      while (k > 0 && c != pattern_[k]) k = next_[k - 1];
      if (c == pattern_[k]) ++k;
      if (k == pattern_.size()) return true;
    }
    return false;
  }

 private:
  std::string_view pattern_;
  std::uint32_t* next_;
};

struct PartHeader {
  std::string_view name;
  std::string_view value;
  // Once folded: "<name>: <value>" built here, grown geometrically so that many folds cost
  // linear arena memory.
  char* line = nullptr;
  std::size_t capacity = 0;
};

class MultipartParser {
 public:
  MultipartParser(std::string_view body, std::string_view content_type, const Limits& limits,
                  Parsed& out)
      : body_(body),
        content_type_(content_type),
        limits_(limits),
        out_(out),
        headers_(out.arena),
        lines_(out.arena) {}

  void run();

 private:
  void fail(std::string_view message, std::size_t offset) {
    failed_ = true;
    output::fail(out_, message, offset);
  }
  void fail(std::string_view message) {
    failed_ = true;
    output::fail(out_, message);
  }

  bool read_boundary();
  void process();
  bool process_chunk(std::size_t start, std::size_t end, bool line_end);
  bool part_header(std::string_view line, std::size_t start);
  bool folded_header(std::string_view line, std::size_t start);
  bool end_of_headers(std::size_t start, std::size_t data_start);
  int content_disposition(std::string_view value);
  void close_part(bool final);
  void finish();
  void flush_header_line();
  bool preceded_by_bare_lf(std::size_t start) const noexcept {
    return start >= 1 && body_[start - 1] == '\n' && (start < 2 || body_[start - 2] != '\r');
  }

  std::string_view body_;
  std::string_view content_type_;
  const Limits& limits_;
  Parsed& out_;
  MultipartFlags& flags_ = out_.multipart;

  std::string_view boundary_;
  const DashBoundarySearch* search_ = nullptr;
  bool failed_ = false;
  bool crlf_line_ = false;
  bool complete_ = false;
  std::size_t boundary_count_ = 0;
  std::size_t pending_ = 0;  // start of the unterminated tail ModSecurity leaves in its buffer
  std::size_t files_seen_ = 0;

  // The part being read (m_mpp).
  bool have_part_ = false;
  bool in_data_ = false;    // m_mpp_state == 1
  bool data_read_ = false;  // m_mpp_substate_part_data_read
  std::string_view name_;
  std::string_view filename_;
  bool is_file_ = false;
  std::size_t data_begin_ = 0;
  std::size_t data_end_ = 0;
  std::pmr::vector<PartHeader> headers_;
  std::pmr::vector<std::string_view> lines_;  // completed header lines, in order
  std::size_t last_header_ = SIZE_MAX;        // index in headers_ that a folded line extends
  std::string_view last_header_line_;
};

bool MultipartParser::read_boundary() {
  std::string_view ct = content_type_;
  if (ct.empty()) {
    fail("Multipart parsing error: Multipart: Content-Type header not available.");
    return false;
  }
  if (ct.size() > kMaxContentTypeLength) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (length).");
    return false;
  }
  ct = ct.substr(0, ct.find('\0'));  // ModSecurity reads it as a C string
  if (ct.size() < kMimeTypeLength ||
      !iequals(ct.substr(0, kMimeTypeLength), "multipart/form-data")) {
    fail("Multipart parsing error: Multipart: Invalid MIME type.");
    return false;
  }
  if (count_boundary_params(ct) > 1) {
    fail("Multipart parsing error: Multipart: Multiple boundary parameters in C-T.");
    return false;
  }
  std::size_t at = ct.find("boundary");
  if (at == std::string_view::npos) {
    fail(count_boundary_params(ct) > 0
             ? "Multipart parsing error: Multipart: Invalid boundary in C-T (case sensitivity)."
             : "Multipart parsing error: Multipart: Boundary not found in C-T.");
    return false;
  }
  bool semicolon = false;
  for (std::size_t i = kMimeTypeLength; i < at; ++i) {
    if (is_c_space(ct[i])) continue;
    if (!semicolon && ct[i] == ';') {
      semicolon = true;
      continue;
    }
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (malformed).");
    return false;
  }
  if (!semicolon) flags_.missing_semicolon = true;
  std::size_t eq = ct.find('=', at + 8);
  if (eq == std::string_view::npos) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (malformed).");
    return false;
  }
  for (std::size_t i = at + 8; i < eq; ++i) {
    if (!is_c_space(ct[i])) {
      fail("Multipart parsing error: Multipart: Invalid boundary in C-T (parameter name).");
      return false;
    }
    flags_.boundary_whitespace = true;
  }
  std::string_view value = ct.substr(eq + 1);
  if (!value.empty() && is_c_space(value.front())) flags_.boundary_whitespace = true;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    boundary_ = value.substr(1, value.size() - 2);
    flags_.boundary_quoted = !boundary_.empty();
  } else {
    if ((!value.empty() && value.front() == '"') || (value.size() >= 2 && value.back() == '"')) {
      fail("Multipart parsing error: Multipart: Invalid boundary in C-T (quote).");
      return false;
    }
    boundary_ = value;
  }
  // ModSecurity gives up silently on an empty boundary; an error is safer than no inspection.
  if (boundary_.empty()) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (empty).");
    return false;
  }
  if (count_boundary_params(boundary_) != 0) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (content).");
    return false;
  }
  // Some frameworks add "; charset=..." after the boundary; tolerated, as ModSecurity does.
  if (!boundary_characters_valid(boundary_)) boundary_ = boundary_.substr(0, boundary_.find(';'));
  if (!boundary_characters_valid(boundary_)) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (characters).");
    return false;
  }
  if (boundary_.empty()) {
    fail("Multipart parsing error: Multipart: Invalid boundary in C-T (empty).");
    return false;
  }
  return true;
}

void MultipartParser::flush_header_line() {
  if (!last_header_line_.empty()) lines_.push_back(last_header_line_);
  last_header_line_ = {};
}

void MultipartParser::close_part(bool final) {
  if (have_part_) {
    for (std::string_view line : lines_) out_.part_headers.push_back({name_, line});
    if (!name_.empty()) {
      std::string_view content;
      if (data_read_)
        content = without_line_end(body_.substr(data_begin_, data_end_ - data_begin_));
      if (is_file_) {
        ++files_seen_;
        if (limits_.max_files != 0 && files_seen_ > limits_.max_files &&
            !flags_.file_limit_exceeded) {
          // Not fatal in ModSecurity either: the file is listed, only not extracted.
          flags_.file_limit_exceeded = true;
          output::fail(out_,
                       "Multipart parsing error: Multipart: Upload file limit exceeded. Use "
                       "SecUploadFileLimit to change the limit.",
                       data_begin_);
        }
        out_.files.push_back({name_, filename_, content.size(), content});
      } else {
        output::add_arg(out_, limits_, name_, content);
      }
    } else {
      flags_.invalid_part = true;
    }
    have_part_ = false;
  }
  if (!final) {
    have_part_ = true;
    in_data_ = false;
    data_read_ = false;
    name_ = {};
    filename_ = {};
    is_file_ = false;
    headers_.clear();
    lines_.clear();
    last_header_ = SIZE_MAX;
    last_header_line_ = {};
  }
}

// Parses the Content-Disposition value as Multipart::parse_content_disposition does; a negative
// result is its error code.
int MultipartParser::content_disposition(std::string_view v) {
  auto at = [&](std::size_t i) { return i < v.size() ? v[i] : '\0'; };
  auto skip_blanks = [&](std::size_t& p) {
    while (is_space_or_tab(at(p))) ++p;
  };
  if (v.substr(0, 9) != "form-data") return -1;
  std::size_t p = 9;
  skip_blanks(p);
  if (at(p) == '\0') return 1;
  if (at(p) != ';') return -2;
  ++p;
  std::string_view filename_star;
  while (at(p) != '\0') {
    skip_blanks(p);
    if (at(p) == '\0') return -3;
    std::size_t start = p;
    while (at(p) != '\0' && at(p) != '=' && !is_space_or_tab(at(p))) ++p;
    if (at(p) == '\0') return -4;
    std::string_view param = v.substr(start, p - start);
    skip_blanks(p);
    if (at(p) == '\0') return -5;
    if (at(p) != '=') return -13;
    ++p;
    skip_blanks(p);
    if (at(p) == '\0') return -6;

    char quote = '\0';
    std::string_view value;
    if (param == "filename*") {
      // charset'[language]'percent-encoded-name, kept encoded
      std::size_t charset = p;
      while (at(p) != '\0' && (is_alnum(at(p)) || std::string_view("!#$%&+-^_`{}~").find(at(p)) !=
                                                      std::string_view::npos)) {
        ++p;
      }
      if (at(p) != '\'' || p == charset) return -16;
      ++p;
      while (at(p) != '\0' && at(p) != '\'') ++p;
      if (at(p) != '\'') return -17;
      ++p;
      std::size_t name_start = p;
      while (at(p) != '\0' && at(p) != ';') {
        if (at(p) == '%') {
          if (!is_hex_digit(at(p + 1)) || !is_hex_digit(at(p + 2))) return -18;
          p += 3;
        } else if (is_alnum(at(p)) ||
                   std::string_view("!#$&+-.^_`~").find(at(p)) != std::string_view::npos) {
          ++p;
        } else {
          return -19;
        }
      }
      value = v.substr(name_start, p - name_start);
    } else if (at(p) == '"' || at(p) == '\'') {
      // Both quotes are accepted, as some backends accept them, but a single one is flagged.
      quote = at(p);
      if (quote == '\'') flags_.invalid_quoting = true;
      ++p;
      if (at(p) == '\0') return -7;
      std::size_t value_start = p;
      bool escapes = false;
      while (at(p) != '\0' && at(p) != quote) {
        if (at(p) == '\\') {
          if (at(p + 1) == '\0') return -8;
          // Only the quote and the backslash can be escaped; other backslashes stay (IE sends
          // them unescaped).
          if (at(p + 1) == quote || at(p + 1) == '\\') {
            escapes = true;
            ++p;
          }
        }
        ++p;
      }
      // ModSecurity reads past the end of an unterminated value; it is an error here.
      if (at(p) != quote) return -7;
      value = v.substr(value_start, p - value_start);
      if (escapes) {
        char* dst = output::allocate(out_, value.size());
        std::size_t n = 0;
        for (std::size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size() &&
              (value[i + 1] == quote || value[i + 1] == '\\')) {
            ++i;
          }
          dst[n++] = value[i];
        }
        value = {dst, n};
      }
      ++p;
    } else {
      std::size_t value_start = p;
      while (at(p) != '\0' && is_token_char(at(p))) ++p;
      value = v.substr(value_start, p - value_start);
    }

    if (param == "name" || param == "filename") {
      // A single quote inside a value that was not double-quoted.
      if (quote != '"' && value.find('\'') != std::string_view::npos) {
        flags_.invalid_quoting = true;
      }
      std::string_view& slot = param == "name" ? name_ : filename_;
      if (!slot.empty()) return param == "name" ? -14 : -15;
      slot = value;
    } else if (param == "filename*") {
      if (!filename_star.empty()) return -20;
      filename_star = value;
    } else {
      return -11;
    }

    if (at(p) != '\0') {
      skip_blanks(p);
      if (at(p) != '\0') {
        if (at(p) != ';') {
          if (v[p - 1] == '\'' || v[p - 1] == '"') flags_.invalid_quoting = true;
          return -12;
        }
        ++p;
      }
    }
  }
  if (!filename_star.empty() && filename_.empty()) return -21;
  return 1;
}

// The empty line after a part's headers (`start` is where it begins).
bool MultipartParser::end_of_headers(std::size_t start, std::size_t data_start) {
  flush_header_line();
  const PartHeader* disposition = nullptr;
  for (const PartHeader& h : headers_) {
    if (iequals(h.name, "Content-Disposition")) disposition = &h;
  }
  if (disposition == nullptr) {
    fail("Multipart parsing error: Multipart: Part missing Content-Disposition header.", start);
    return false;
  }
  std::string_view value = disposition->value;
  // ModSecurity v3 ignores a repeated part header (the first wins, unlogged); a backend may take
  // the last one, so a repeat is an error here, as in ModSecurity v2.
  std::sort(headers_.begin(), headers_.end(),
            [](const PartHeader& a, const PartHeader& b) { return iless(a.name, b.name); });
  for (std::size_t i = 1; i < headers_.size(); ++i) {
    if (iequals(headers_[i - 1].name, headers_[i].name)) {
      fail("Multipart parsing error: Multipart: Duplicate part header.", start);
      return false;
    }
  }
  if (content_disposition(value) < 0) {
    fail("Multipart parsing error: Multipart: Invalid Content-Disposition header.", start);
    return false;
  }
  if (name_.empty()) {
    fail("Multipart parsing error: Multipart: Content-Disposition header missing name field.",
         start);
    return false;
  }
  if (!filename_.empty()) {
    // Parsers that look for "filename=" crudely would miss "filename =" that we understood.
    if (value.find("filename=") == std::string_view::npos) {
      fail("Multipart parsing error: Multipart: Invalid Content-Disposition header (filename).",
           start);
      return false;
    }
    is_file_ = true;
  }
  in_data_ = true;
  data_read_ = false;
  data_begin_ = data_start;
  data_end_ = data_start;
  last_header_ = SIZE_MAX;
  return true;
}

bool MultipartParser::folded_header(std::string_view line, std::size_t start) {
  flags_.header_folding = true;
  // RFC 2557 folds with SP or HT only; PHP takes any whitespace, so the rest is accepted but
  // flagged.
  if (!is_space_or_tab(line.front())) flags_.invalid_header_folding = true;
  if (last_header_ == SIZE_MAX) {
    fail("Multipart parsing error: Multipart: Invalid part header (folding error).", start);
    return false;
  }
  std::size_t p = 0;
  while (p < line.size() && is_c_space(line[p])) {
    if (!is_space_or_tab(line[p])) flags_.invalid_header_folding = true;
    ++p;
  }
  std::string_view more = chomp(line.substr(p));
  PartHeader& h = headers_[last_header_];
  std::size_t value_size = h.value.size() + 1 + more.size();
  if (value_size > kBufferSize) {
    fail("Multipart parsing error: Multipart: Part header too long.", start);
    return false;
  }
  std::size_t prefix = h.name.size() + 2;
  if (h.line == nullptr || prefix + value_size > h.capacity) {
    std::size_t capacity = std::max(prefix + value_size, 2 * h.capacity);
    char* line_buf = output::allocate(out_, capacity);
    std::copy(h.name.begin(), h.name.end(), line_buf);
    line_buf[h.name.size()] = ':';
    line_buf[h.name.size() + 1] = ' ';
    std::copy(h.value.begin(), h.value.end(), line_buf + prefix);
    h.line = line_buf;
    h.capacity = capacity;
  }
  char* end = h.line + prefix + h.value.size();
  *end++ = ' ';
  std::copy(more.begin(), more.end(), end);
  h.value = std::string_view(h.line + prefix, value_size);
  last_header_line_ = std::string_view(h.line, prefix + value_size);
  return true;
}

// One header line of the current part, with its line end.
bool MultipartParser::part_header(std::string_view line, std::size_t start) {
  if (line.find('\0') != std::string_view::npos) {
    fail("Multipart parsing error: Multipart: Nul byte in part headers.", start);
    return false;
  }
  std::size_t ending = 1;
  if (line.size() > 1 && line[line.size() - 2] == '\r') {
    crlf_line_ = true;
    ending = 2;
  } else {
    flags_.lf_line = true;
  }
  if (line == "\r\n" || line == "\n") return end_of_headers(start, start + line.size());
  if (is_c_space(line.front())) return folded_header(line, start);

  flush_header_line();
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    fail("Multipart parsing error: Multipart: Invalid part header (colon missing).", start);
    return false;
  }
  if (colon == 0) {
    fail("Multipart parsing error: Multipart: Invalid part header (header name missing).", start);
    return false;
  }
  std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 33 || static_cast<unsigned char>(c) > 126) {
      fail("Multipart parsing error: Multipart: Invalid part header (contains invalid character).",
           start);
      return false;
    }
  }
  std::size_t p = colon + 1;
  while (p < line.size() && is_space_or_tab(line[p])) ++p;
  headers_.push_back({name, chomp(line.substr(p))});
  last_header_ = headers_.size() - 1;
  last_header_line_ = line.substr(0, line.size() - ending);
  return true;
}

// One line, or one buffer-full of a longer line, as Multipart::process hands it on.
bool MultipartParser::process_chunk(std::size_t start, std::size_t end, bool line_end) {
  std::string_view chunk = body_.substr(start, end - start);
  bool line_start = start == 0 || body_[start - 1] == '\n';
  auto at = [&](std::size_t i) { return i < chunk.size() ? chunk[i] : '\0'; };
  // ModSecurity measures with strlen(): a NUL byte ends the line as far as it can see.
  std::size_t c_length = std::min(chunk.size(), chunk.find('\0'));
  std::size_t b = boundary_.size();
  bool was_boundary = false;

  if (line_start && c_length > 3 && chunk[0] == '-' && chunk[1] == '-') {
    if (c_length >= b + 2 && chunk.substr(2, b) == boundary_) {
      if (preceded_by_bare_lf(start)) flags_.lf_line = true;
      if (!data_read_ && boundary_count_ > 0) {
        // Our boundary where the part's data should begin: the line is data (or a header).
        flags_.invalid_part = true;
      } else {
        if (boundary_count_ > 0) flags_.unmatched_boundary_value = 2;
        std::size_t e = 2 + b;
        bool final = false;
        if (at(e) == '-' && at(e + 1) == '-') {
          final = true;
          e += 2;
        }
        if (at(e) == '\r' && at(e + 1) == '\n' && e + 2 == chunk.size()) {
          crlf_line_ = true;
        } else if (at(e) == '\n' && e + 1 == chunk.size()) {
          flags_.lf_line = true;
        } else {
          fail("Multipart parsing error: Multipart: Invalid boundary.", start);
          return false;
        }
        close_part(final);
        if (final) complete_ = true;
        was_boundary = true;
        ++boundary_count_;
      }
    } else {
      if (flags_.boundary_quoted && c_length >= b + 3 && chunk[2] == '"' &&
          chunk.substr(3, b) == boundary_) {
        fail("Multipart parsing error: Multipart: Invalid boundary (quotes).", start);
        return false;
      }
      std::size_t p = 2;
      while (p < c_length && is_c_space(chunk[p])) ++p;
      if (p != 2 && c_length - p >= b && chunk.substr(p, b) == boundary_) {
        fail("Multipart parsing error: Multipart: Invalid boundary (whitespace).", start);
        return false;
      }
      flags_.unmatched_boundary_value = 1;
    }
  } else if (line_start && search_->found_in(chunk)) {
    flags_.unmatched_boundary_value = 1;
  }

  if (was_boundary) return true;
  if (!have_part_) {
    flags_.data_before = true;
  } else if (!in_data_) {
    if (!line_end) {
      fail("Multipart parsing error: Multipart: Part header line over 4096 bytes long", start);
      return false;
    }
    return part_header(chunk, start);
  } else {
    data_read_ = true;
    data_end_ = end;
  }
  return true;
}

void MultipartParser::process() {
  std::size_t pos = 0;
  while (pos < body_.size()) {
    std::string_view window = body_.substr(pos, kBufferSize);
    std::size_t newline = window.find('\n');
    std::size_t end;
    bool line_end = newline != std::string_view::npos;
    if (line_end) {
      end = pos + newline + 1;
    } else if (window.size() == kBufferSize) {
      // A full buffer never ends on '\r', so that CRLF stays together.
      end = pos + kBufferSize - (window.back() == '\r' ? 1 : 0);
    } else {
      break;  // an unterminated tail waits in ModSecurity's buffer until the end
    }
    if (!process_chunk(pos, end, line_end)) return;
    pos = end;
    if (complete_ && pos < body_.size()) {
      flags_.data_after = true;
      pos = body_.size();
    }
  }
  pending_ = pos;
  finish();
}

// Multipart::multipart_complete: a final boundary without a line end, or the error that there
// was none.
void MultipartParser::finish() {
  if (complete_) return;
  if (boundary_count_ == 0) {
    fail("Multipart parsing error: Multipart: No boundaries found in payload.", body_.size());
    return;
  }
  std::string_view tail = body_.substr(pending_);
  std::size_t b = boundary_.size();
  if (pending_ > 0 && body_[pending_ - 1] == '\n' && tail.size() == b + 4 &&
      tail.starts_with("--") && tail.substr(2, b) == boundary_ && tail.ends_with("--")) {
    if (preceded_by_bare_lf(pending_)) flags_.lf_line = true;
    if (!data_read_) flags_.invalid_part = true;
    close_part(true);
    complete_ = true;
    return;
  }
  fail("Multipart parsing error: Multipart: Final boundary missing.", body_.size());
}

void MultipartParser::run() {
  if (read_boundary() && !body_.empty()) {
    DashBoundarySearch search(out_, boundary_);
    search_ = &search;
    process();
  }
  flags_.crlf_lf_lines = crlf_line_ && flags_.lf_line;
  flags_.unmatched_boundary = flags_.unmatched_boundary_value == 1;
  flags_.strict_error = failed_ || flags_.boundary_quoted || flags_.boundary_whitespace ||
                        flags_.data_before || flags_.data_after || flags_.header_folding ||
                        flags_.lf_line || flags_.missing_semicolon || flags_.invalid_quoting ||
                        flags_.invalid_part || flags_.invalid_header_folding ||
                        flags_.file_limit_exceeded;
}

}  // namespace

void parse_multipart(std::string_view body, std::string_view content_type, const Limits& limits,
                     Parsed& out) noexcept {
  try {
    MultipartParser(body, content_type, limits, out).run();
  } catch (...) {
    output::fail_out_of_memory(out, "Multipart");
    out.multipart.strict_error = true;
  }
}

}  // namespace portcullis::waf::bodies
