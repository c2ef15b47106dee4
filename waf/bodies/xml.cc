// XML bodies → XML:/* (the root element's text, as libxml2's xmlNodeGetContent gives it) and
// XML://@* (every attribute value, in document order), with REQBODY_ERROR when the document is
// not well-formed, as libmodsecurity's XML processor reports libxml2's verdict. Our own small
// parser: elements with matching end tags, attributes in either quote (whitespace normalized,
// duplicates refused), the five predefined entities and character references, CDATA, comments,
// processing instructions; in text "\r\n" and "\r" read as "\n". Namespace declarations
// (xmlns, xmlns:p) are not attributes in libxml2's tree, so they are not listed. Invalid UTF-8
// is an error unless the XML declaration names another encoding (whose bytes are then kept as
// they are, not converted). Iterative; the depth limit bounds its stack.
//
// A DOCTYPE is skipped, internal subset and all, and nothing it declares is expanded or fetched:
// no XXE, no expansion bombs. A reference to an entity it may declare stays as written ("&e;"),
// where libxml2 would give an internal entity's text and an external one's nothing.
//
//   SecRule XML:/* "@rx <script" "id:1400,phase:2,deny,t:none,t:lowercase"
#include <algorithm>
#include <cstdint>

#include "waf/bodies/bodies.h"
#include "waf/bodies/output.h"
#include "waf/bodies/text.h"

namespace portcullis::waf::bodies {
namespace {

using text::iequals;

constexpr bool is_xml_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
constexpr bool is_name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         static_cast<unsigned char>(c) >= 0x80;
}
constexpr bool is_name_char(char c) noexcept {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}
// XML 1.0 Char production.
constexpr bool is_xml_char(char32_t cp) noexcept {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Encodings libxml2 (with iconv) reads; it refuses a document that declares one it does not
// know. Bytes in any but UTF-8 are kept as they are.
bool known_encoding(std::string_view name) noexcept {
  constexpr std::string_view kNames[] = {
      "UTF-8",     "UTF8",        "US-ASCII", "ASCII",     "ISO-LATIN-1", "LATIN1",
      "UTF-16",    "UTF-16LE",    "UTF-16BE", "UCS-2",     "UCS-4",       "EUC-JP",
      "SHIFT_JIS", "ISO-2022-JP", "KOI8-R",   "GB2312",    "GBK",         "GB18030",
      "BIG5",      "EUC-KR",      "TIS-620",  "SHIFT-JIS", "UTF-32",
  };
  for (std::string_view known : kNames) {
    if (iequals(name, known)) return true;
  }
  constexpr std::string_view kNumbered[] = {"ISO-8859-", "WINDOWS-", "CP", "IBM"};
  for (std::string_view prefix : kNumbered) {
    if (name.size() > prefix.size() && iequals(name.substr(0, prefix.size()), prefix) &&
        name.substr(prefix.size()).find_first_not_of("0123456789") == std::string_view::npos) {
      return true;
    }
  }
  return false;
}

class XmlParser {
 public:
  XmlParser(std::string_view in, const Limits& limits, Parsed& out)
      : in_(in), limits_(limits), out_(out), open_(out.arena), attribute_names_(out.arena) {}

  void run();

 private:
  // Where decoded text goes: the root's text grows from the front, decoded attribute values
  // take room from the back. Decoding never lengthens anything and the two come from disjoint
  // parts of the input after the root's '<', so one buffer of that size holds both.
  struct Scratch {
    char* begin = nullptr;
    std::size_t text = 0;  // bytes of text at the front
    char* back = nullptr;  // start of the attribute values at the back
  };

  void fail(std::string_view message) { output::fail(out_, message, pos_); }
  bool at_end() const noexcept { return pos_ >= in_.size(); }
  bool looking_at(std::string_view s) const noexcept { return in_.substr(pos_, s.size()) == s; }
  void skip_space() noexcept {
    while (pos_ < in_.size() && is_xml_space(in_[pos_])) ++pos_;
  }
  std::string_view name() noexcept {
    std::size_t start = pos_;
    if (at_end() || !is_name_start(in_[pos_])) return {};
    while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  bool check_characters();
  bool declaration();
  bool misc(bool before_root);
  bool comment();
  bool processing_instruction();
  bool doctype();
  bool start_tag();
  bool end_tag();
  bool attribute();
  bool distinct_attributes();
  bool cdata();
  bool text_run();
  bool reference(char* dst, std::size_t& n);
  bool room(std::size_t n);
  void append_text(std::string_view raw);

  std::string_view in_;
  std::size_t pos_ = 0;
  const Limits& limits_;
  Parsed& out_;
  Scratch scratch_;
  std::pmr::vector<std::string_view> open_;             // names of the open elements
  std::pmr::vector<std::string_view> attribute_names_;  // of the start tag being read
  bool validate_utf8_ = true;
  bool has_doctype_ = false;
};

// XML 1.0 allows no C0 control but TAB, LF and CR anywhere in a document; libxml2 also refuses
// bytes that are not UTF-8 when that is the encoding.
bool XmlParser::check_characters() {
  for (std::size_t i = 0; i < in_.size();) {
    auto c = static_cast<unsigned char>(in_[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      pos_ = i;
      fail("XML parsing error: invalid character (control byte, or an unsupported encoding)");
      return false;
    }
    if (c < 0x80 || !validate_utf8_) {
      ++i;
      continue;
    }
    std::size_t len = text::utf8_sequence_length(in_, i);
    // U+FFFE and U+FFFF are not XML characters either.
    if (len == 3 && c == 0xEF && in_[i + 1] == '\xBF' &&
        (in_[i + 2] == '\xBE' || in_[i + 2] == '\xBF')) {
      len = 0;
    }
    if (len == 0) {
      pos_ = i;
      fail("XML parsing error: input is not proper UTF-8");
      return false;
    }
    i += len;
  }
  return true;
}

// "<?xml version="1.n" [encoding="..."] [standalone="yes|no"] ?>" at the very start, checked as
// libxml2 checks it; the encoding decides whether the body must be UTF-8.
bool XmlParser::declaration() {
  if (!looking_at("<?xml") || pos_ + 5 >= in_.size() || !is_xml_space(in_[pos_ + 5])) return true;
  pos_ += 5;
  // One pseudo-attribute: S name S? '=' S? quoted value; false when it is not `name`.
  auto pseudo_attribute = [&](std::string_view name, std::string_view& value) {
    std::size_t start = pos_;
    skip_space();
    if (pos_ == start || !looking_at(name)) {
      pos_ = start;
      return false;
    }
    pos_ += name.size();
    skip_space();
    if (!looking_at("=")) return false;
    ++pos_;
    skip_space();
    if (at_end() || (in_[pos_] != '"' && in_[pos_] != '\'')) return false;
    std::size_t close = in_.find(in_[pos_], pos_ + 1);
    if (close == std::string_view::npos) return false;
    value = in_.substr(pos_ + 1, close - pos_ - 1);
    pos_ = close + 1;
    return true;
  };
  auto malformed = [&] {
    fail("XML parsing error: malformed XML declaration");
    return false;
  };
  std::string_view version;
  if (!pseudo_attribute("version", version) || !version.starts_with("1.") ||
      version.substr(2).find_first_not_of("0123456789") != std::string_view::npos) {
    return malformed();
  }
  std::string_view encoding;
  std::size_t before = pos_;
  if (pseudo_attribute("encoding", encoding)) {
    bool name_ok =
        !encoding.empty() && ((encoding[0] | 0x20) >= 'a' && (encoding[0] | 0x20) <= 'z');
    for (char c : encoding) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      name_ok = name_ok && ok;
    }
    if (!name_ok) return malformed();
    if (!known_encoding(encoding)) {
      fail("XML parsing error: unsupported encoding");
      return false;
    }
    validate_utf8_ = iequals(encoding, "UTF-8") || iequals(encoding, "UTF8");
  } else if (pos_ != before) {
    return malformed();
  }
  std::string_view standalone;
  before = pos_;
  if (pseudo_attribute("standalone", standalone)) {
    if (standalone != "yes" && standalone != "no") return malformed();
  } else if (pos_ != before) {
    return malformed();
  }
  skip_space();
  if (!looking_at("?>")) return malformed();
  pos_ += 2;
  return true;
}

bool XmlParser::comment() {
  pos_ += 4;  // "<!--"
  std::size_t dashes = in_.find("--", pos_);
  if (dashes == std::string_view::npos) {
    fail("XML parsing error: Comment not terminated");
    return false;
  }
  if (dashes + 2 >= in_.size() || in_[dashes + 2] != '>') {
    pos_ = dashes;
    fail("XML parsing error: Double hyphen within comment");
    return false;
  }
  pos_ = dashes + 3;
  return true;
}

bool XmlParser::processing_instruction() {
  pos_ += 2;  // "<?"
  std::string_view target = name();
  if (target.empty()) {
    fail("XML parsing error: processing instruction without a target name");
    return false;
  }
  if (iequals(target, "xml")) {
    fail("XML parsing error: XML declaration allowed only at the start of the document");
    return false;
  }
  if (!looking_at("?>") && (at_end() || !is_xml_space(in_[pos_]))) {
    fail("XML parsing error: malformed processing instruction");
    return false;
  }
  std::size_t end = in_.find("?>", pos_);
  if (end == std::string_view::npos) {
    fail("XML parsing error: processing instruction not terminated");
    return false;
  }
  pos_ = end + 2;
  return true;
}

// Skips "<!DOCTYPE ... [internal subset] >" without interpreting any of it.
bool XmlParser::doctype() {
  pos_ += 9;  // "<!DOCTYPE"
  bool in_subset = false;
  while (pos_ < in_.size()) {
    char c = in_[pos_];
    if (c == '"' || c == '\'') {
      std::size_t close = in_.find(c, pos_ + 1);
      if (close == std::string_view::npos) break;
      pos_ = close + 1;
    } else if (in_subset && looking_at("<!--")) {
      if (!comment()) return false;
    } else if (in_subset && looking_at("<?")) {
      std::size_t end = in_.find("?>", pos_ + 2);
      if (end == std::string_view::npos) break;
      pos_ = end + 2;
    } else if (c == '[' && !in_subset) {
      in_subset = true;
      ++pos_;
    } else if (c == ']' && in_subset) {
      in_subset = false;
      ++pos_;
    } else if (c == '>' && !in_subset) {
      ++pos_;
      has_doctype_ = true;
      return true;
    } else {
      ++pos_;
    }
  }
  fail("XML parsing error: DOCTYPE improperly terminated");
  return false;
}

// Comments, processing instructions and whitespace around the root (and one DOCTYPE before
// it). Stops at the root's '<' or at the end.
bool XmlParser::misc(bool before_root) {
  for (;;) {
    skip_space();
    if (at_end()) return true;
    if (looking_at("<!--")) {
      if (!comment()) return false;
    } else if (looking_at("<?")) {
      if (!processing_instruction()) return false;
    } else if (before_root && looking_at("<!DOCTYPE")) {
      if (has_doctype_) {
        fail("XML parsing error: more than one DOCTYPE");
        return false;
      }
      if (!doctype()) return false;
    } else if (before_root && looking_at("<") && pos_ + 1 < in_.size() &&
               is_name_start(in_[pos_ + 1])) {
      return true;
    } else {
      fail(before_root ? "XML parsing error: Start tag expected, '<' not found"
                       : "XML parsing error: Extra content at the end of the document");
      return false;
    }
  }
}

bool XmlParser::room(std::size_t n) {
  if (scratch_.begin + scratch_.text + n <= scratch_.back) return true;
  // Cannot happen (see Scratch); refusing is safer than writing past the buffer.
  fail("XML parsing error: internal buffer exhausted");
  return false;
}

// Appends character data to the text, reading "\r\n" and a lone "\r" as "\n".
void XmlParser::append_text(std::string_view raw) {
  char* dst = scratch_.begin + scratch_.text;
  std::size_t n = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\r') {
      if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
      c = '\n';
    }
    dst[n++] = c;
  }
  scratch_.text += n;
}

// At '&': decodes one reference into dst + n. An undeclared entity is an error, unless a DOCTYPE
// could have declared it; then it stays as written, unexpanded.
bool XmlParser::reference(char* dst, std::size_t& n) {
  std::size_t start = pos_++;
  if (looking_at("#")) {
    ++pos_;
    bool hex = looking_at("x");
    if (hex) ++pos_;
    char32_t cp = 0;
    std::size_t digits = 0;
    while (pos_ < in_.size() && in_[pos_] != ';') {
      char c = in_[pos_];
      int d = c >= '0' && c <= '9'          ? c - '0'
              : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
              : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : -1;
      if (d < 0) {
        fail("XML parsing error: invalid character reference");
        return false;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<char32_t>(d);
      if (cp > 0x10FFFF) cp = 0x110000;  // stays invalid, cannot overflow
      ++digits;
      ++pos_;
    }
    if (at_end() || digits == 0) {
      fail("XML parsing error: invalid character reference");
      return false;
    }
    if (!is_xml_char(cp)) {
      fail("XML parsing error: character reference to an invalid character");
      return false;
    }
    ++pos_;
    n += text::put_utf8(dst + n, cp);
    return true;
  }
  std::string_view entity = name();
  if (entity.empty() || at_end() || in_[pos_] != ';') {
    fail("XML parsing error: EntityRef: expecting ';'");
    return false;
  }
  ++pos_;
  char c = entity == "lt"     ? '<'
           : entity == "gt"   ? '>'
           : entity == "amp"  ? '&'
           : entity == "apos" ? '\''
           : entity == "quot" ? '"'
                              : '\0';
  if (c != '\0') {
    dst[n++] = c;
    return true;
  }
  if (!has_doctype_) {
    pos_ = start;
    fail("XML parsing error: Entity not defined");
    return false;
  }
  std::string_view as_written = in_.substr(start, pos_ - start);
  std::copy(as_written.begin(), as_written.end(), dst + n);
  n += as_written.size();
  return true;
}

// Character data up to the next '<' (references decoded).
bool XmlParser::text_run() {
  while (pos_ < in_.size() && in_[pos_] != '<') {
    if (in_[pos_] == '&') {
      if (!room(pos_ < in_.size() ? in_.size() - pos_ : 0)) return false;
      std::size_t n = 0;
      if (!reference(scratch_.begin + scratch_.text, n)) return false;
      scratch_.text += n;
      continue;
    }
    std::size_t end = in_.find_first_of("<&", pos_);
    if (end == std::string_view::npos) end = in_.size();
    std::string_view raw = in_.substr(pos_, end - pos_);
    std::size_t bad = raw.find("]]>");
    if (bad != std::string_view::npos) {
      pos_ += bad;
      fail("XML parsing error: Sequence ']]>' not allowed in content");
      return false;
    }
    if (!room(raw.size())) return false;
    append_text(raw);
    pos_ = end;
  }
  return true;
}

bool XmlParser::cdata() {
  pos_ += 9;  // "<![CDATA["
  std::size_t end = in_.find("]]>", pos_);
  if (end == std::string_view::npos) {
    fail("XML parsing error: CData section not finished");
    return false;
  }
  std::string_view raw = in_.substr(pos_, end - pos_);
  if (!room(raw.size())) return false;
  // Copied as it is: libxml2 2.9 (what ModSecurity is built with on Debian 12) keeps the CRs of
  // a CDATA section, unlike those of text.
  std::copy(raw.begin(), raw.end(), scratch_.begin + scratch_.text);
  scratch_.text += raw.size();
  pos_ = end + 3;
  return true;
}

// name = "value" or 'value'; the value normalized as libxml2 stores it in the tree.
bool XmlParser::attribute() {
  std::string_view attr = name();
  if (attr.empty()) {
    fail("XML parsing error: attributes construct error");
    return false;
  }
  skip_space();
  if (at_end() || in_[pos_] != '=') {
    fail("XML parsing error: Specification mandates value for attribute");
    return false;
  }
  ++pos_;
  skip_space();
  if (at_end() || (in_[pos_] != '"' && in_[pos_] != '\'')) {
    fail("XML parsing error: AttValue: \" or ' expected");
    return false;
  }
  char quote = in_[pos_++];
  std::size_t close = in_.find(quote, pos_);
  if (close == std::string_view::npos) {
    fail("XML parsing error: AttValue: ' expected");
    return false;
  }
  std::string_view raw = in_.substr(pos_, close - pos_);
  std::size_t lt = raw.find('<');
  if (lt != std::string_view::npos) {
    pos_ += lt;
    fail("XML parsing error: Unescaped '<' not allowed in attributes values");
    return false;
  }
  std::string_view value = raw;
  if (raw.find_first_of("&\t\n\r") != std::string_view::npos) {
    // Decoded into the back of the scratch buffer, never longer than `raw`.
    if (!room(raw.size())) return false;
    char* dst = scratch_.back - raw.size();
    std::size_t n = 0;
    while (pos_ < close) {
      char c = in_[pos_];
      if (c == '&') {
        if (!reference(dst, n)) return false;
        continue;
      }
      // Line ends first become "\n", then every whitespace character a space.
      if (c == '\r' && pos_ + 1 < close && in_[pos_ + 1] == '\n') ++pos_;
      dst[n++] = is_xml_space(c) ? ' ' : c;
      ++pos_;
    }
    scratch_.back = dst;
    value = std::string_view(dst, n);
  }
  pos_ = close + 1;
  bool declaration = attr == "xmlns" || (attr.starts_with("xmlns:") && attr.size() > 6);
  // libxml2 drops an empty prefixed declaration (a namespace error, not a fatal one) before it
  // could count as a repeat.
  if (!(declaration && attr != "xmlns" && value.empty())) attribute_names_.push_back(attr);
  if (!declaration) out_.xml_attributes.push_back(value);
  return true;
}

bool XmlParser::distinct_attributes() {
  auto& names = attribute_names_;
  if (names.size() < 2) return true;
  // Sorting keeps a tag with thousands of attributes from costing their square.
  std::sort(names.begin(), names.end());
  if (std::adjacent_find(names.begin(), names.end()) == names.end()) return true;
  fail("XML parsing error: Attribute redefined");
  return false;
}

bool XmlParser::start_tag() {
  ++pos_;  // '<'
  std::string_view element = name();
  if (element.empty()) {
    fail("XML parsing error: invalid element name");
    return false;
  }
  if (open_.size() >= limits_.xml_max_depth) {
    fail("XML parsing error: Excessive depth in document");
    return false;
  }
  attribute_names_.clear();
  for (;;) {
    bool spaced = pos_ < in_.size() && is_xml_space(in_[pos_]);
    skip_space();
    if (at_end()) {
      fail("XML parsing error: Couldn't find end of Start Tag");
      return false;
    }
    if (in_[pos_] == '>' || looking_at("/>")) {
      bool empty = in_[pos_] == '/';
      pos_ += empty ? 2 : 1;
      if (!distinct_attributes()) return false;
      if (!empty) open_.push_back(element);
      return true;
    }
    if (!spaced) {
      fail("XML parsing error: attributes construct error");
      return false;
    }
    if (!attribute()) return false;
  }
}

bool XmlParser::end_tag() {
  pos_ += 2;  // "</"
  std::string_view element = name();
  skip_space();
  if (at_end() || in_[pos_] != '>') {
    fail("XML parsing error: expected '>' after the end tag name");
    return false;
  }
  if (element != open_.back()) {
    fail("XML parsing error: Opening and ending tag mismatch");
    return false;
  }
  ++pos_;
  open_.pop_back();
  return true;
}

void XmlParser::run() {
  if (in_.empty()) {
    fail("XML parsing error: Document is empty");
    return;
  }
  if (in_.starts_with("\xEF\xBB\xBF")) pos_ = 3;
  if (!declaration()) return;
  if (!check_characters()) return;
  if (!misc(true)) return;
  if (at_end()) {
    fail("XML parsing error: Document is empty");
    return;
  }
  std::size_t size = in_.size() - pos_;
  scratch_.begin = output::allocate(out_, size);
  scratch_.back = scratch_.begin + size;
  bool ok = start_tag();
  while (ok && !open_.empty()) {
    if (at_end()) {
      fail("XML parsing error: Premature end of data");
      ok = false;
    } else if (looking_at("</")) {
      ok = end_tag();
    } else if (looking_at("<!--")) {
      ok = comment();
    } else if (looking_at("<![CDATA[")) {
      ok = cdata();
    } else if (looking_at("<?")) {
      ok = processing_instruction();
    } else if (looking_at("<!")) {
      fail("XML parsing error: markup declaration inside an element");
      ok = false;
    } else if (looking_at("<")) {
      ok = start_tag();
    } else {
      ok = text_run();
    }
  }
  out_.xml_text = std::string_view(scratch_.begin, scratch_.text);
  if (ok) misc(false);
}

}  // namespace

void parse_xml(std::string_view body, const Limits& limits, Parsed& out) noexcept {
  try {
    XmlParser(body, limits, out).run();
  } catch (...) {
    output::fail_out_of_memory(out, "XML");
  }
}

}  // namespace portcullis::waf::bodies
