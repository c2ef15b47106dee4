// t:escapeSeqDecode — decodes ANSI C escape sequences:
//   \a \b \f \n \r \t \v \\ \? \' \"  the character
//   \xHH (x or X)  one byte
//   \OOO           one to three octal digits, the value taken modulo 256 ("\777" is 0xFF)
// Any other backslash is dropped and the byte after it kept ("\q" and the invalid "\xZZ" give
// "q" and "xZZ"). A backslash at the very end is kept.
// Returns the decoded bytes; false when the value has no backslash before another byte.
//
//   SecRule ARGS "@rx /etc/passwd" "id:1019,phase:2,deny,t:none,t:escapeSeqDecode"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

// The character a one-letter escape stands for, or -1.
int simple_escape(char c) noexcept {
  constexpr std::string_view kLetters = "abfnrtv\\?'\"";
  constexpr std::string_view kCharacters = "\a\b\f\n\r\t\v\\?'\"";
  std::size_t at = kLetters.find(c);
  return at == std::string_view::npos ? -1 : static_cast<unsigned char>(kCharacters[at]);
}

}  // namespace

bool escape_seq_decode(std::string_view in, std::pmr::string& out) noexcept {
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
    if (int c = simple_escape(next); c >= 0) {
      out.push_back(static_cast<char>(c));
      i += 2;
    } else if ((next == 'x' || next == 'X') && i + 3 < n && is_hex_digit(in[i + 2]) &&
               is_hex_digit(in[i + 3])) {
      out.push_back(hex_pair_value(in[i + 2], in[i + 3]));
      i += 4;
    } else if (is_octal_digit(next)) {
      std::size_t digits = 1;
      while (digits < 3 && i + 1 + digits < n && is_octal_digit(in[i + 1 + digits])) ++digits;
      unsigned value = 0;
      for (std::size_t d = 0; d < digits; ++d) value = value * 8 + (in[i + 1 + d] - '0');
      out.push_back(static_cast<char>(value & 0xff));
      i += 1 + digits;
    } else {
      out.push_back(next);
      i += 2;
    }
  }
  return true;
}

}  // namespace portcullis::waf::transformations
