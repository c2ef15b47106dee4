// Byte-level tests the body processors share. Internal to waf/bodies.
#pragma once

#include <cstddef>
#include <string_view>

namespace portcullis::waf::bodies::text {

// C isspace() in the "C" locale, which ModSecurity uses to trim and to detect folding.
constexpr bool is_c_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

constexpr char to_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

// ASCII case-insensitive equality.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

// Length of the well-formed UTF-8 sequence that starts at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0 when there is none.
constexpr std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  auto in_range = [&](std::size_t k, unsigned lo, unsigned hi) {
    return k < s.size() && static_cast<unsigned char>(s[k]) >= lo &&
           static_cast<unsigned char>(s[k]) <= hi;
  };
  unsigned b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return in_range(i + 1, 0x80, 0xBF) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    unsigned lo = b == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = b == 0xED ? 0x9F : 0xBF;
    return in_range(i + 1, lo, hi) && in_range(i + 2, 0x80, 0xBF) ? 3 : 0;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    unsigned lo = b == 0xF0 ? 0x90 : 0x80;
    unsigned hi = b == 0xF4 ? 0x8F : 0xBF;
    return in_range(i + 1, lo, hi) && in_range(i + 2, 0x80, 0xBF) && in_range(i + 3, 0x80, 0xBF)
               ? 4
               : 0;
  }
  return 0;
}

// Writes code point `cp` (at most U+10FFFF) as UTF-8; returns the bytes written (1 to 4).
constexpr std::size_t put_utf8(char* dst, char32_t cp) noexcept {
  if (cp < 0x80) {
    dst[0] = static_cast<char>(cp);
    return 1;
  }
  if (cp < 0x800) {
    dst[0] = static_cast<char>(0xC0 | (cp >> 6));
    dst[1] = static_cast<char>(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    dst[0] = static_cast<char>(0xE0 | (cp >> 12));
    dst[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    dst[2] = static_cast<char>(0x80 | (cp & 0x3F));
    return 3;
  }
  dst[0] = static_cast<char>(0xF0 | (cp >> 18));
  dst[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
  dst[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  dst[3] = static_cast<char>(0x80 | (cp & 0x3F));
  return 4;
}

}  // namespace portcullis::waf::bodies::text
