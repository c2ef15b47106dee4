// t:hexDecode — reads the value as pairs of hex digits and writes one byte per pair
// ("3c73" is "<s"). Like ModSecurity, it does not check the digits (a pair that is not hex
// gives a meaningless byte) and drops a last, odd digit. Returns the bytes; false only for the
// empty value.
//
//   SecRule ARGS:payload "@contains <script" "id:1029,phase:2,deny,t:none,t:hexDecode"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool hex_decode(std::string_view in, std::pmr::string& out) noexcept {
  if (in.empty()) return false;
  out.clear();
  out.reserve(in.size() / 2);
  for (std::size_t i = 0; i + 1 < in.size(); i += 2) {
    out.push_back(hex_pair_value(in[i], in[i + 1]));
  }
  return true;  // n bytes became n / 2
}

}  // namespace portcullis::waf::transformations
