// t:htmlEntityDecode — decodes HTML character references the way ModSecurity does, with or
// without the closing ';':
//   &#DDD;  any number of decimal digits, leading zeros included (as ModSecurity 2 reads them:
//           "&#000000123;" is "{"), the value taken modulo 256; a value past 2^63 counts as
//           the largest (strtol's saturation), so its byte is 0xff
//   &#xHH;  any number of hex digits (x or X), likewise
//   &quot; &amp; &lt; &gt; &nbsp;  any case; the name is matched as a prefix of the run of
//           letters and digits after '&', and the whole run is consumed ("&ltfoo;" is "<")
// &nbsp; becomes the byte 0xA0. Anything else, "&#;" or "&copy;" say, is kept as it is.
// Returns the decoded bytes; false when nothing was decoded.
//
//   SecRule ARGS "@rx <script" "id:1017,phase:2,deny,t:none,t:htmlEntityDecode,t:lowercase"
#include <cstdint>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

bool starts_with_ignoring_case(std::string_view text, std::string_view lower_prefix) noexcept {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    if (to_lower_ascii(text[i]) != lower_prefix[i]) return false;
  }
  return true;
}

// The byte a named reference stands for, or -1 for a name ModSecurity does not decode.
int named_entity(std::string_view name) noexcept {
  if (starts_with_ignoring_case(name, "quot")) return '"';
  if (starts_with_ignoring_case(name, "amp")) return '&';
  if (starts_with_ignoring_case(name, "lt")) return '<';
  if (starts_with_ignoring_case(name, "gt")) return '>';
  if (starts_with_ignoring_case(name, "nbsp")) return 0xa0;
  return -1;
}

}  // namespace

bool html_entity_decode(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find('&');
  if (i == std::string_view::npos) return false;
  start_output(in, i, out);
  const std::size_t n = in.size();
  bool changed = false;
  while (i < n) {
    if (in[i] != '&' || i + 1 >= n) {
      out.push_back(in[i++]);
      continue;
    }
    // [first, j) is the reference's payload; on success `value` is its byte.
    std::size_t j = i + 1;
    int value = -1;
    if (in[j] != '#') {
      std::size_t first = j;
      while (j < n && is_alnum(in[j])) ++j;
      value = named_entity(in.substr(first, j - first));
    } else if (j + 1 < n && (in[j + 1] == 'x' || in[j + 1] == 'X')) {
      if (j + 2 < n) {
        std::size_t first = j + 2;
        j = first;
        std::uint64_t number = 0;
        bool saturated = false;
        while (j < n && is_hex_digit(in[j])) {
          if (number > (INT64_MAX >> 4)) saturated = true;
          number = number * 16 + static_cast<std::uint64_t>(hex_digit_value(in[j]));
          ++j;
        }
        if (j > first) value = saturated ? 0xff : static_cast<int>(number & 0xff);
      }
    } else if (j + 1 < n) {
      std::size_t first = j + 1;
      j = first;
      std::uint64_t number = 0;
      bool saturated = false;
      while (j < n && is_decimal_digit(in[j])) {
        if (number > INT64_MAX / 10) saturated = true;
        number = number * 10 + static_cast<std::uint64_t>(in[j] - '0');
        ++j;
      }
      if (j > first) value = saturated ? 0xff : static_cast<int>(number & 0xff);
    }
    if (value < 0) {
      // Not a reference: the '&' stays, and what follows it is read as ordinary bytes.
      out.push_back(in[i++]);
      continue;
    }
    out.push_back(static_cast<char>(value));
    i = (j < n && in[j] == ';') ? j + 1 : j;
    changed = true;
  }
  return changed;
}

}  // namespace portcullis::waf::transformations
