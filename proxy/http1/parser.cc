#include "proxy/http1/parser.h"

#include <array>
#include <cstring>

namespace portcullis::http1 {
namespace {

constexpr std::array<bool, 256> make_tchar() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kTchar = make_tchar();

// Field-value bytes: HTAB, SP, VCHAR, obs-text. Refuses NUL, CR, LF and other controls.
constexpr std::array<bool, 256> make_value_char() {
  std::array<bool, 256> t{};
  t['\t'] = true;
  for (int c = 0x20; c <= 0x7e; ++c) t[c] = true;
  for (int c = 0x80; c <= 0xff; ++c) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kValueChar = make_value_char();

// Request-target bytes: visible ASCII without '#', and bytes 0x80-0xff (raw UTF-8 in paths and
// queries, which RFC 9112 forbids but clients send and nginx accepts; the WAF sees them as is).
constexpr std::array<bool, 256> make_target_char() {
  std::array<bool, 256> t{};
  for (int c = 0x21; c <= 0x7e; ++c) t[c] = true;
  for (int c = 0x80; c <= 0xff; ++c) t[c] = true;
  t['#'] = false;
  return t;
}
constexpr std::array<bool, 256> kTargetChar = make_target_char();

// Host: reg-name, IPv4 or bracketed IPv6 literal, optional port.
constexpr std::array<bool, 256> make_host_char() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (char c : std::string_view("-._~:[]")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kHostChar = make_host_char();

std::string_view trim_ows(std::string_view v) noexcept {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool all_of(std::string_view s, const std::array<bool, 256>& table) noexcept {
  for (char c : s) {
    if (!table[static_cast<unsigned char>(c)]) return false;
  }
  return true;
}

// 1*DIGIT without sign, spaces or commas, not above 2^62.
bool parse_content_length(std::string_view v, std::uint64_t& out) noexcept {
  if (v.empty() || v.size() > 18) return false;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = n;
  return true;
}

std::string_view host_without_port(std::string_view authority) noexcept {
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  std::size_t colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

bool valid_authority(std::string_view authority) noexcept {
  if (authority.empty() || !all_of(authority, kHostChar)) return false;
  std::string_view host = host_without_port(authority);
  if (host.empty()) return false;
  if (host.size() < authority.size()) {
    std::string_view port = authority.substr(host.size());
    if (port.front() != ':') return false;
    port.remove_prefix(1);
    if (port.size() > 5) return false;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
    }
  }
  return true;
}

ParseState fail(ParseError& error, std::uint16_t status, std::string_view reason) noexcept {
  error.status = status;
  error.reason = reason;
  return ParseState::kError;
}

// Facts about a header section that decide framing and connection reuse.
struct Framing {
  bool has_cl = false;
  bool has_te = false;
  bool te_chunked = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool has_upgrade = false;
  bool has_host = false;
  bool expect_continue = false;
  bool expect_other = false;
  std::uint64_t content_length = 0;
  std::string_view host;
};

// Parses header lines in [data, end) into storage; `end` is just past the empty line.
// Error status for malformed lines is `bad_status` (400 requests, 502 responses).
ParseState parse_fields(std::string_view lines, std::size_t max_count,
                        std::span<HeaderField> storage, std::size_t& count, Framing& f,
                        std::uint16_t bad_status, ParseError& error) noexcept {
  count = 0;
  while (true) {
    std::size_t eol = lines.find("\r\n");
    if (eol == std::string_view::npos) return fail(error, bad_status, "malformed header section");
    std::string_view line = lines.substr(0, eol);
    lines.remove_prefix(eol + 2);
    if (line.empty()) return ParseState::kComplete;
    if (line.front() == ' ' || line.front() == '\t') {
      return fail(error, bad_status, "obsolete line folding in header");
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(error, bad_status, "malformed header line");
    }
    std::string_view name = line.substr(0, colon);
    if (!all_of(name, kTchar)) return fail(error, bad_status, "invalid character in header name");
    std::string_view raw_value = line.substr(colon + 1);
    if (!all_of(raw_value, kValueChar)) {
      return fail(error, bad_status, "invalid character in header value");
    }
    std::string_view value = trim_ows(raw_value);
    if (count == max_count || count == storage.size()) {
      return fail(error, bad_status == 400 ? 431 : bad_status, "too many header fields");
    }
    storage[count++] = HeaderField{name, value};

    switch (name.size()) {
      case 4:
        if (iequals(name, "host")) {
          if (f.has_host) return fail(error, bad_status, "more than one Host header");
          f.has_host = true;
          f.host = value;
        }
        break;
      case 6:
        if (iequals(name, "expect")) {
          if (iequals(value, "100-continue")) {
            f.expect_continue = true;
          } else {
            f.expect_other = true;
          }
        }
        break;
      case 7:
        if (iequals(name, "upgrade")) f.has_upgrade = true;
        break;
      case 10:
        if (iequals(name, "connection")) {
          f.conn_close = f.conn_close || has_token(value, "close");
          f.conn_keep_alive = f.conn_keep_alive || has_token(value, "keep-alive");
          f.conn_upgrade = f.conn_upgrade || has_token(value, "upgrade");
        }
        break;
      case 14:
        if (iequals(name, "content-length")) {
          if (f.has_cl) return fail(error, bad_status, "more than one Content-Length header");
          f.has_cl = true;
          if (!parse_content_length(value, f.content_length)) {
            return fail(error, bad_status, "invalid Content-Length");
          }
        }
        break;
      case 17:
        if (iequals(name, "transfer-encoding")) {
          if (f.has_te) return fail(error, bad_status, "more than one Transfer-Encoding header");
          f.has_te = true;
          if (!iequals(value, "chunked")) {
            return fail(error, bad_status, "unsupported Transfer-Encoding");
          }
          f.te_chunked = true;
        }
        break;
      default:
        break;
    }
  }
}

}  // namespace

bool is_token(std::string_view s) noexcept { return !s.empty() && all_of(s, kTchar); }

bool has_token(std::string_view list, std::string_view token) noexcept {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

bool is_hop_by_hop(std::string_view name, std::span<const HeaderField> headers) noexcept {
  switch (name.size()) {
    case 2:
      if (iequals(name, "te")) return true;
      break;
    case 7:
      if (iequals(name, "trailer") || iequals(name, "upgrade")) return true;
      break;
    case 10:
      if (iequals(name, "connection") || iequals(name, "keep-alive")) return true;
      break;
    case 16:
      if (iequals(name, "proxy-connection")) return true;
      break;
    case 17:
      if (iequals(name, "transfer-encoding")) return true;
      break;
    default:
      break;
  }
  for (const HeaderField& field : headers) {
    if (field.name.size() == 10 && iequals(field.name, "connection") &&
        has_token(field.value, name)) {
      return true;
    }
  }
  return false;
}

ParseState HeadScanner::scan(std::string_view data, std::size_t max_bytes,
                             std::size_t max_first_line, ParseError& error) noexcept {
  while (pos_ < data.size()) {
    const void* hit = std::memchr(data.data() + pos_, '\n', data.size() - pos_);
    if (hit == nullptr) {
      pos_ = data.size();
      break;
    }
    std::size_t lf = static_cast<const char*>(hit) - data.data();
    if (lf == 0 || data[lf - 1] != '\r') return fail(error, 400, "bare LF in message head");
    std::size_t line_len = lf - 1 - line_start_;
    pos_ = lf + 1;
    if (line_len == 0 && lf >= 1 && lf - 1 >= line_start_) {
      if (in_first_line_) {
        // Empty lines before a request line are tolerated (RFC 9112 2.2), a few of them.
        leading_empty_ = pos_;
        line_start_ = pos_;
        if (leading_empty_ > 16) return fail(error, 400, "too many empty lines before request");
        continue;
      }
      head_end_ = pos_;
      if (head_end_ - leading_empty_ > max_bytes) {
        return fail(error, 431, "request header section too large");
      }
      return ParseState::kComplete;
    }
    if (in_first_line_ && line_len > max_first_line)
      return fail(error, 414, "request-target too long");
    in_first_line_ = false;
    line_start_ = pos_;
  }
  if (in_first_line_ && data.size() - line_start_ > max_first_line) {
    return fail(error, 414, "request-target too long");
  }
  if (data.size() - leading_empty_ > max_bytes) {
    return fail(error, 431, "request header section too large");
  }
  return ParseState::kIncomplete;
}

ParseState parse_request(std::string_view data, const Limits& limits,
                         std::span<HeaderField> storage, RequestHead& out,
                         ParseError& error) noexcept {
  HeadScanner scanner;
  // The first line holds the method and version besides the target.
  ParseState state = scanner.scan(data, limits.header_bytes, limits.uri_bytes + 32, error);
  if (state != ParseState::kComplete) return state;
  std::string_view head =
      data.substr(scanner.leading_empty(), scanner.head_end() - scanner.leading_empty());
  out = RequestHead{};
  out.head_bytes = scanner.head_end();

  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return fail(error, 400, "malformed request line");
  out.method = line.substr(0, sp1);
  if (!all_of(out.method, kTchar)) return fail(error, 400, "invalid method");
  std::string_view rest = line.substr(sp1 + 1);
  std::size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos || sp2 == 0) return fail(error, 400, "malformed request line");
  out.target = rest.substr(0, sp2);
  std::string_view version = rest.substr(sp2 + 1);
  if (out.target.size() > limits.uri_bytes) return fail(error, 414, "request-target too long");
  if (!all_of(out.target, kTargetChar))
    return fail(error, 400, "invalid character in request-target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return fail(error, 400, "malformed HTTP version");
  }
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
    return fail(error, 505, "HTTP version not supported");
  }
  out.version_minor = version[7] - '0';

  std::size_t count = 0;
  Framing f;
  ParseState fields =
      parse_fields(head.substr(eol + 2), limits.header_count, storage, count, f, 400, error);
  if (fields != ParseState::kComplete) return fields;
  out.headers = storage.subspan(0, count);

  // Request target forms (RFC 9112 3.2).
  std::string_view target = out.target;
  if (target.front() == '/') {
    // origin-form
  } else if (target == "*") {
    if (out.method != "OPTIONS") return fail(error, 400, "asterisk-form is only for OPTIONS");
    out.asterisk_form = true;
  } else if (target.size() > 7 && (target.substr(0, 7) == "http://" ||
                                   (target.size() > 8 && target.substr(0, 8) == "https://"))) {
    out.absolute_form = true;
    target.remove_prefix(target[4] == 's' ? 8 : 7);
    std::size_t slash = target.find_first_of("/?");
    out.authority = target.substr(0, slash);
    if (!valid_authority(out.authority))
      return fail(error, 400, "invalid authority in request-target");
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    if (target.front() == '?') return fail(error, 400, "absolute-form target without a path");
  } else {
    return fail(error, 400, "invalid request-target");
  }
  std::size_t q = target.find('?');
  out.path = target.substr(0, q);
  if (q != std::string_view::npos) out.query = target.substr(q + 1);

  if (f.has_host) {
    if (!out.absolute_form) out.authority = f.host;
    if (f.host.empty() ? out.version_minor == 1 && !out.absolute_form : !valid_authority(f.host)) {
      return fail(error, 400, "invalid Host header");
    }
  } else if (out.version_minor == 1) {
    return fail(error, 400, "missing Host header");
  }
  out.host = host_without_port(out.authority);

  if (f.has_te && f.has_cl) return fail(error, 400, "both Content-Length and Transfer-Encoding");
  if (f.has_te && out.version_minor == 0) {
    return fail(error, 400, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (f.expect_other) return fail(error, 417, "unsupported expectation");
  if (f.te_chunked) {
    out.body = BodyKind::kChunked;
  } else if (f.has_cl && f.content_length > 0) {
    out.body = BodyKind::kContentLength;
    out.content_length = f.content_length;
  }
  out.keep_alive = out.version_minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  out.expect_continue = f.expect_continue && out.version_minor == 1;
  out.upgrade = f.conn_upgrade && f.has_upgrade;
  return ParseState::kComplete;
}

ParseState parse_response(std::string_view data, std::string_view request_method,
                          std::size_t max_bytes, std::span<HeaderField> storage, ResponseHead& out,
                          ParseError& error) noexcept {
  HeadScanner scanner;
  ParseState state = scanner.scan(data, max_bytes, max_bytes, error);
  if (state == ParseState::kError) return fail(error, 502, "malformed upstream response head");
  if (state != ParseState::kComplete) return state;
  if (scanner.leading_empty() != 0) return fail(error, 502, "malformed upstream status line");
  std::string_view head = data.substr(0, scanner.head_end());
  out = ResponseHead{};
  out.head_bytes = scanner.head_end();

  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  // "HTTP/1.x NNN[ reason]"
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ' || line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
      line[11] < '0' || line[11] > '9' || (line.size() > 12 && line[12] != ' ')) {
    return fail(error, 502, "malformed upstream status line");
  }
  out.version_minor = line[7] - '0';
  out.status =
      static_cast<std::uint16_t>((line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0'));
  out.reason = line.size() > 13 ? line.substr(13) : std::string_view();
  if (!all_of(out.reason, kValueChar)) return fail(error, 502, "malformed upstream status line");

  std::size_t count = 0;
  Framing f;
  ParseState fields =
      parse_fields(head.substr(eol + 2), storage.size(), storage, count, f, 502, error);
  if (fields != ParseState::kComplete) return fields;
  out.headers = storage.subspan(0, count);
  if (f.has_te && f.has_cl)
    return fail(error, 502, "upstream sent Content-Length and Transfer-Encoding");

  out.keep_alive = out.version_minor == 1 ? !f.conn_close : (f.conn_keep_alive && !f.conn_close);
  if (request_method == "HEAD" || out.status < 200 || out.status == 204 || out.status == 304) {
    out.body = BodyKind::kNone;
  } else if (f.te_chunked) {
    out.body = BodyKind::kChunked;
  } else if (f.has_cl) {
    out.body = f.content_length ? BodyKind::kContentLength : BodyKind::kNone;
    out.content_length = f.content_length;
  } else {
    out.body = BodyKind::kUntilClose;
    out.keep_alive = false;
  }
  return ParseState::kComplete;
}

}  // namespace portcullis::http1
