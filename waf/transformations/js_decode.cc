// t:jsDecode — decodes JavaScript escapes:
//   \uHHHH  the low byte only, except full-width ASCII (\uFF01-\uFF5E) becomes plain ASCII
//   \xHH    one byte
//   \OOO    one to three octal digits; a third digit is used only while the value fits in a
//           byte ("\777" is "?7")
//   \a \b \f \n \r \t \v  the control character; any other \C is C ("\'" is "'", "\q" is "q")
// 'u' and 'x' must be lower case. A backslash at the very end is kept.
// Returns the decoded bytes; false when nothing was decoded.
//
//   SecRule ARGS "@rx alert\(" "id:1018,phase:2,deny,t:none,t:jsDecode,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

// "\n" stands for a newline and so on; any other byte for itself.
char control_escape(char c) noexcept {
  constexpr std::string_view kLetters = "abfnrtv";
  constexpr std::string_view kControls = "\a\b\f\n\r\t\v";
  std::size_t at = kLetters.find(c);
  return at == std::string_view::npos ? c : kControls[at];
}

}  // namespace

bool js_decode(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find('\\');
  if (i == std::string_view::npos || i + 1 == in.size()) return false;
  start_output(in, i, out);
  const std::size_t n = in.size();
  while (i < n) {
    if (in[i] != '\\' || i + 1 >= n) {
      out.push_back(in[i++]);
      continue;
    }
    char next = in[i + 1];
    if (next == 'u' && i + 5 < n && is_hex_digit(in[i + 2]) && is_hex_digit(in[i + 3]) &&
        is_hex_digit(in[i + 4]) && is_hex_digit(in[i + 5])) {
      out.push_back(unicode_escape_byte(in.substr(i + 2, 4)));
      i += 6;
    } else if (next == 'x' && i + 3 < n && is_hex_digit(in[i + 2]) && is_hex_digit(in[i + 3])) {
      out.push_back(hex_pair_value(in[i + 2], in[i + 3]));
      i += 4;
    } else if (is_octal_digit(next)) {
      std::size_t digits = 1;
      while (digits < 3 && i + 1 + digits < n && is_octal_digit(in[i + 1 + digits])) ++digits;
      if (digits == 3 && next > '3') digits = 2;
      unsigned value = 0;
      for (std::size_t d = 0; d < digits; ++d) value = value * 8 + (in[i + 1 + d] - '0');
      out.push_back(static_cast<char>(value));
      i += 1 + digits;
    } else {
      out.push_back(control_escape(next));
      i += 2;
    }
  }
  return true;
}

}  // namespace portcullis::waf::transformations
