// t:cssDecode — decodes CSS 2 escapes: a backslash and one to six hex digits become one byte,
// the last two digits' value (one digit: its value), and one whitespace byte after the digits
// is swallowed. Four digits, or five or six whose leading digits are zero, that spell
// full-width ASCII (FF01-FF5E) become plain ASCII. A backslash before a newline is dropped with
// the newline; before any other byte, the backslash alone is dropped; at the very end, it is
// dropped too. Returns the decoded bytes; false when the value has no backslash.
//
//   SecRule ARGS "@rx expression\(" "id:1020,phase:2,deny,t:none,t:cssDecode,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

// The byte that one to six hex digits after a backslash decode to.
char css_escape_byte(std::string_view digits) noexcept {
  std::size_t n = digits.size();
  if (n == 1) return static_cast<char>(hex_digit_value(digits[0]));
  bool full_width_candidate =
      n == 4 || (n == 5 && digits[0] == '0') || (n == 6 && digits[0] == '0' && digits[1] == '0');
  if (full_width_candidate) return unicode_escape_byte(digits.substr(n - 4));
  return hex_pair_value(digits[n - 2], digits[n - 1]);
}

}  // namespace

bool css_decode(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find('\\');
  if (i == std::string_view::npos) return false;
  start_output(in, i, out);
  const std::size_t n = in.size();
  while (i < n) {
    if (in[i] != '\\') {
      out.push_back(in[i++]);
      continue;
    }
    ++i;
    if (i == n) break;
    std::size_t digits = 0;
    while (digits < 6 && i + digits < n && is_hex_digit(in[i + digits])) ++digits;
    if (digits > 0) {
      out.push_back(css_escape_byte(in.substr(i, digits)));
      i += digits;
      if (i < n && is_space(in[i])) ++i;
    } else if (in[i] == '\n') {
      ++i;
    } else {
      out.push_back(in[i++]);
    }
  }
  return true;
}

}  // namespace portcullis::waf::transformations
