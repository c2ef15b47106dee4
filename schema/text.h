// Small text helpers the schema stage shares: hex digits for percent-decoding and \u escapes,
// and JSON pointer tokens (RFC 6901).
#pragma once

#include <string_view>

namespace portcullis::schema {

// The value of hex digit `c`, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends `token` to a JSON pointer being built in `out` ('~' as "~0", '/' as "~1").
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

}  // namespace portcullis::schema
