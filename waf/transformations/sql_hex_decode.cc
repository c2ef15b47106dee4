// t:sqlHexDecode — decodes SQL hex literals: "0x" (or "0X") and at least two hex digits become
// the bytes their digit pairs spell, as far as whole pairs go ("0x616263" is "abc", "0x6162e"
// is "abe"). A "0x" without two hex digits after it is kept. Returns the decoded bytes; false
// when there was no hex literal.
//
//   SecRule ARGS "@rx union select" "id:1030,phase:2,deny,t:none,t:sqlHexDecode,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

bool hex_literal_at(std::string_view in, std::size_t i) noexcept {
  return i + 3 < in.size() && in[i] == '0' && (in[i + 1] == 'x' || in[i + 1] == 'X') &&
         is_hex_digit(in[i + 2]) && is_hex_digit(in[i + 3]);
}

}  // namespace

bool sql_hex_decode(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = 0;
  while (i < in.size() && !hex_literal_at(in, i)) ++i;
  if (i == in.size()) return false;
  start_output(in, i, out);
  while (i < in.size()) {
    if (!hex_literal_at(in, i)) {
      out.push_back(in[i++]);
      continue;
    }
    i += 2;
    do {
      out.push_back(hex_pair_value(in[i], in[i + 1]));
      i += 2;
    } while (i + 1 < in.size() && is_hex_digit(in[i]) && is_hex_digit(in[i + 1]));
  }
  return true;
}

}  // namespace portcullis::waf::transformations
