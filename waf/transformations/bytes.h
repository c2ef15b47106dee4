// Byte classes and hex arithmetic as ModSecurity's transformations see them: ASCII rules from
// the C locale, whatever the bytes are. Internal to waf/transformations.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <string>
#include <string_view>

namespace portcullis::waf::transformations {

constexpr bool is_hex_digit(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr bool is_octal_digit(unsigned char c) noexcept { return c >= '0' && c <= '7'; }

constexpr bool is_decimal_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }

constexpr bool is_alnum(unsigned char c) noexcept {
  return is_decimal_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// isspace() in the C locale: space, \t, \n, \v, \f, \r.
constexpr bool is_space(unsigned char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

constexpr char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

constexpr char to_upper_ascii(char c) noexcept {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - ('a' - 'A')) : c;
}

// The value of one hex digit. ModSecurity's arithmetic is kept for other bytes too (mod 256),
// because t:hexDecode feeds it bytes it never checked.
constexpr unsigned char hex_digit_value(unsigned char c) noexcept {
  return c >= 'A' ? static_cast<unsigned char>((c & 0xdf) - 'A' + 10)
                  : static_cast<unsigned char>(c - '0');
}

constexpr char hex_pair_value(char high, char low) noexcept {
  return static_cast<char>(hex_digit_value(static_cast<unsigned char>(high)) * 16 +
                           hex_digit_value(static_cast<unsigned char>(low)));
}

// The byte an IIS-style %uHHHH (or \uHHHH) escape stands for, given its four hex digits: the
// high byte is dropped, except that full-width ASCII (U+FF01..U+FF5E) becomes plain ASCII.
constexpr char unicode_escape_byte(std::string_view four_digits) noexcept {
  auto low = static_cast<unsigned char>(hex_pair_value(four_digits[2], four_digits[3]));
  bool full_width = (four_digits[0] == 'f' || four_digits[0] == 'F') &&
                    (four_digits[1] == 'f' || four_digits[1] == 'F');
  if (full_width && low > 0x00 && low < 0x5f) low += 0x20;
  return static_cast<char>(low);
}

// The 6-bit value of a Base64 symbol (RFC 4648 alphabet), or -1.
constexpr int base64_symbol_value(unsigned char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Starts a decoder's output: the first `unchanged` bytes of `in`, with room for all of it.
inline void start_output(std::string_view in, std::size_t unchanged, std::pmr::string& out) {
  out.clear();
  out.reserve(in.size());
  out.append(in.substr(0, unchanged));
}

}  // namespace portcullis::waf::transformations
