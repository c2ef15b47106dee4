// ASCII byte classes the detectors share: SQL and HTML both spell their syntax in ASCII and give
// bytes past it no meaning of their own. Internal to waf/detect.
#pragma once

#include <cstdint>

namespace portcullis::waf::detect {

constexpr bool is_alpha(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_digit(unsigned char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(unsigned char c) noexcept { return is_alpha(c) || is_digit(c); }
constexpr bool is_hex_digit(unsigned char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
// The value of a hex digit (is_hex_digit(c) must hold).
constexpr std::uint32_t hex_value(unsigned char c) noexcept {
  return is_digit(c) ? static_cast<std::uint32_t>(c - '0')
                     : static_cast<std::uint32_t>((c | 0x20) - 'a' + 10);
}
constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace portcullis::waf::detect
