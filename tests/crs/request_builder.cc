#include "tests/crs/request_builder.h"

#include <cctype>
#include <cstdint>
#include <vector>

namespace portcullis::testing::crs {
namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// go-ftw compares header names by their canonical MIME form, which is case-insensitive.
bool has_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (iequals(field, name)) return true;
  }
  return false;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether `s` has a '%' followed by two hex digits.
bool has_percent_escape(std::string_view s) {
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] == '%' && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) return true;
  }
  return false;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t start = 0;
  for (size_t at; (at = s.find(from, start)) != std::string::npos; start = at + from.size()) {
    out.append(s, start, at - start);
    out += to;
  }
  out.append(s, start, std::string::npos);
  s = std::move(out);
}

// go-ftw's encodeDataParameters: a form body that url.QueryUnescape leaves unchanged (no '+',
// and no '%' at all: a bad escape is an error, a good one a change) has each key and value of
// its '&'-separated tokens escaped; the trailing empty token, if any, disappears.
std::string go_encode_form(std::string_view data) {
  if (data.find('%') != std::string_view::npos || data.find('+') != std::string_view::npos) {
    return std::string(data);
  }
  std::string escaped;
  std::string_view remaining = data;
  while (!remaining.empty()) {
    size_t amp = remaining.find('&');
    std::string_view token = remaining.substr(0, amp);
    remaining = amp == std::string_view::npos ? std::string_view() : remaining.substr(amp + 1);
    size_t eq = token.find('=');
    if (eq == std::string_view::npos) {
      escaped += query_escape(token);
    } else {
      escaped += query_escape(token.substr(0, eq));
      escaped += '=';
      escaped += query_escape(token.substr(eq + 1));
    }
    escaped += '&';
  }
  if (!escaped.empty()) escaped.pop_back();
  return escaped;
}

// Python's urlencode(parse_qsl(data)) for a body without %XX escapes: empty tokens, tokens
// without '=' and blank values are dropped, '+' means space. nullopt when nothing is left (ftw
// then keeps the body).
std::optional<std::string> python_reencode_form(std::string_view data) {
  std::string out;
  bool any = false;
  for (std::string_view token : split(data, '&')) {
    if (token.empty()) continue;
    size_t eq = token.find('=');
    if (eq == std::string_view::npos || eq + 1 == token.size()) continue;
    std::string name(token.substr(0, eq));
    std::string value(token.substr(eq + 1));
    replace_all(name, "+", " ");
    replace_all(value, "+", " ");
    if (any) out += '&';
    out += query_escape(name) + "=" + query_escape(value);
    any = true;
  }
  if (!any) return std::nullopt;
  return out;
}

// go-ftw's methodsWithBodyRegex, `^POST|PUT|PATCH|DELETE$`: the anchors bind to the first and
// last alternative only.
bool go_method_has_body(std::string_view method) {
  return method.starts_with("POST") || method.find("PUT") != std::string_view::npos ||
         method.find("PATCH") != std::string_view::npos || method.ends_with("DELETE");
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string build_go_ftw(const StageInput& input, std::string data) {
  HeaderList headers = input.headers;
  const std::string method = input.method.value_or("GET");
  std::string out =
      method + " " + input.uri.value_or("/") + " " + input.version.value_or("HTTP/1.1") + "\r\n";
  if (!data.empty() && input.autocomplete) {
    if (!has_header(headers, "Content-Type")) headers.emplace_back("Content-Type", kFormType);
    bool form = false;
    for (const auto& [name, value] : headers) {
      form = form || (iequals(name, "Content-Type") && iequals(value, kFormType));
    }
    if (form) data = go_encode_form(data);
  }
  for (const auto& [name, value] : headers) {
    if (iequals(name, "Content-Type") &&
        to_lower(value).find("multipart/form-data;") != std::string::npos) {
      replace_all(data, "\n", "\r\n");
      break;
    }
  }
  if (input.autocomplete) {
    if (!has_header(headers, "Connection")) headers.emplace_back("Connection", "close");
    if (!has_header(headers, "Content-Length") && (!data.empty() || go_method_has_body(method))) {
      headers.emplace_back("Content-Length", std::to_string(data.size()));
    }
  }
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += data;
  return out;
}

std::string build_ftw(const StageInput& input) {
  HeaderList headers = input.headers;
  // ftw looks its headers up in a Python dict: names are compared exactly.
  auto find = [&](std::string_view name) -> std::string* {
    for (auto& [field, value] : headers) {
      if (field == name) return &value;
    }
    return nullptr;
  };
  std::string data = input.data.value_or("");
  if (!data.empty()) {
    if (!find("Content-Type") && input.autocomplete) {
      headers.emplace_back("Content-Type", kFormType);
    }
    if (const std::string* type = find("Content-Type");
        type && *type == kFormType && input.autocomplete && !has_percent_escape(data)) {
      if (auto encoded = python_reencode_form(data)) data = *encoded;
    }
    if (!find("Content-Length") && input.autocomplete) {
      headers.emplace_back("Content-Length", std::to_string(code_point_count(data)));
    }
  }
  std::string out = input.method.value_or("GET") + " " + input.uri.value_or("/") + " " +
                    input.version.value_or("HTTP/1.1") + "\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += data;
  return out;
}

// Reads a Go string literal ("..." with escapes, or `...`) at `s[at]`; advances `at`.
std::optional<std::string> go_string_literal(std::string_view s, size_t& at) {
  if (at >= s.size()) return std::nullopt;
  char quote = s[at];
  if (quote == '`') {
    size_t end = s.find('`', at + 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string out(s.substr(at + 1, end - at - 1));
    at = end + 1;
    return out;
  }
  if (quote != '"') return std::nullopt;
  std::string out;
  for (size_t i = at + 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') {
      at = i + 1;
      return out;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '\\':
      case '"':
        out += s[i];
        break;
      case 'x':
        if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
          return std::nullopt;
        }
        out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
        i += 2;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

void skip_spaces(std::string_view s, size_t& at) {
  while (at < s.size() && (s[at] == ' ' || s[at] == '\t' || s[at] == '\n' || s[at] == '\r')) ++at;
}

std::optional<std::uint64_t> number_at(std::string_view s, size_t& at) {
  size_t start = at;
  std::uint64_t n = 0;
  while (at < s.size() && s[at] >= '0' && s[at] <= '9' && at - start < 9) {
    n = n * 10 + static_cast<std::uint64_t>(s[at] - '0');
    ++at;
  }
  if (at == start) return std::nullopt;
  return n;
}

std::string repeat(std::uint64_t n, std::string_view s) {
  std::string out;
  out.reserve(n * s.size());
  for (std::uint64_t i = 0; i < n; ++i) out += s;
  return out;
}

// One action's pipeline: `"s"`, `"s" | repeat N`, `repeat N "s"`.
std::optional<std::string> evaluate_action(std::string_view action) {
  size_t at = 0;
  skip_spaces(action, at);
  if (action.substr(at).starts_with("/*")) {
    return action.find("*/", at) != std::string_view::npos ? std::optional<std::string>("")
                                                           : std::nullopt;
  }
  std::optional<std::string> value;
  if (action.substr(at).starts_with("repeat")) {
    at += 6;
    skip_spaces(action, at);
    auto n = number_at(action, at);
    skip_spaces(action, at);
    auto s = go_string_literal(action, at);
    if (!n || !s) return std::nullopt;
    value = repeat(*n, *s);
  } else {
    value = go_string_literal(action, at);
    if (!value) return std::nullopt;
  }
  skip_spaces(action, at);
  while (at < action.size() && action[at] == '|') {
    ++at;
    skip_spaces(action, at);
    if (!action.substr(at).starts_with("repeat")) return std::nullopt;
    at += 6;
    skip_spaces(action, at);
    auto n = number_at(action, at);
    if (!n) return std::nullopt;
    value = repeat(*n, *value);
    skip_spaces(action, at);
  }
  if (at != action.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    }
  }
  return out;
}

std::optional<std::string> expand_go_template(std::string_view text, std::string* why) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    size_t open = text.find("{{", at);
    if (open == std::string_view::npos) {
      out.append(text.substr(at));
      break;
    }
    out.append(text.substr(at, open - at));
    size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      if (why) *why = "unclosed template action";
      return std::nullopt;
    }
    std::string_view action = text.substr(open + 2, close - open - 2);
    bool trim_left = action.starts_with("- ");
    bool trim_right = action.ends_with(" -");
    if (trim_left) action.remove_prefix(2);
    if (trim_right) action.remove_suffix(2);
    if (trim_left) {
      while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
    }
    auto value = evaluate_action(action);
    if (!value) {
      if (why) *why = "template action not supported: {{" + std::string(action) + "}}";
      return std::nullopt;
    }
    out += *value;
    at = close + 2;
    if (trim_right) {
      while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
    }
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text, bool lenient) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    int v = value(c);
    if (v < 0) {
      if (lenient) continue;
      return std::nullopt;
    }
    if (padding > 0 && !lenient) return std::nullopt;  // data after padding
    bits = (bits << 6) | static_cast<std::uint32_t>(v);
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xFF);
      out += static_cast<char>((bits >> 8) & 0xFF);
      out += static_cast<char>(bits & 0xFF);
      bits = 0;
      count = 0;
    }
  }
  if (count == 1) return std::nullopt;
  if (!lenient && count != 0 && static_cast<size_t>(count) + padding != 4) return std::nullopt;
  if (!lenient && count == 0 && padding != 0) return std::nullopt;
  if (count == 2) {
    out += static_cast<char>((bits >> 4) & 0xFF);
  } else if (count == 3) {
    out += static_cast<char>((bits >> 10) & 0xFF);
    out += static_cast<char>((bits >> 2) & 0xFF);
  }
  return out;
}

std::string python_raw_request(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte != '\\' || i + 1 >= text.size()) {
      append_utf8(out, byte);
      continue;
    }
    char e = text[++i];
    switch (e) {
      case '\n':
        break;
      case '\\':
      case '\'':
      case '"':
        out += e;
        break;
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        std::uint32_t cp = 0;
        bool ok = i + digits < text.size();
        for (size_t d = 1; ok && d <= digits; ++d) {
          int v = hex_value(text[i + d]);
          ok = v >= 0;
          cp = cp * 16 + static_cast<std::uint32_t>(v);
        }
        if (!ok || cp > 0x10FFFF) {
          // Python raises here; ftw would not have sent anything. Keep the text.
          out += '\\';
          append_utf8(out, static_cast<unsigned char>(e));
          break;
        }
        append_utf8(out, cp);
        i += digits;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          std::uint32_t cp = static_cast<std::uint32_t>(e - '0');
          for (int d = 0; d < 2 && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '7';
               ++d) {
            cp = cp * 8 + static_cast<std::uint32_t>(text[++i] - '0');
          }
          append_utf8(out, cp);
        } else {
          out += '\\';
          append_utf8(out, static_cast<unsigned char>(e));
        }
    }
  }
  return out;
}

size_t code_point_count(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<std::string> build_request(const StageInput& input, Format format, std::string* why) {
  if (!input.encoded_request.empty()) {
    auto bytes = base64_decode(input.encoded_request, /*lenient=*/format == Format::kFtw);
    if (!bytes && why) *why = "encoded_request is not valid base64";
    return bytes;
  }
  if (format == Format::kFtw) {
    if (input.raw_request) return python_raw_request(*input.raw_request);
    return build_ftw(input);
  }
  if (input.raw_request) {
    if (why) *why = "raw_request is not part of the go-ftw format";
    return std::nullopt;
  }
  std::string data;
  if (input.data) {
    auto expanded = expand_go_template(*input.data, why);
    if (!expanded) return std::nullopt;
    data = std::move(*expanded);
  }
  return build_go_ftw(input, std::move(data));
}

std::string marker_request(std::string_view id) {
  std::string out = "GET /status/200 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: go-ftw test agent\r\n";
  out += "Host: localhost\r\nX-CRS-Test: ";
  out += id;
  out += "\r\nConnection: close\r\n\r\n";
  return out;
}

}  // namespace portcullis::testing::crs
