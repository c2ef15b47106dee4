// JSON string literals for the JSON that Portcullis writes itself (security events, admin
// responses, problem+json bodies). Header-only: the text may go into a std::string or an
// arena's std::pmr::string.
#pragma once

#include <string_view>

namespace portcullis {

// Appends `s` as a JSON string literal. Quotes, backslashes, control characters and DEL are
// escaped; bytes from 0x80 up are written as \u00XX, one per byte: what was received is not
// always UTF-8, and the output stays valid JSON that shows each byte.
template <typename String>
void append_json_string(String& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  out += '"';
}

// Appends `token` to a JSON pointer (RFC 6901) being built in `out`: '~' as "~0", '/' as "~1".
template <typename String>
void append_pointer_token(String& out, std::string_view token) {
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
}

}  // namespace portcullis
