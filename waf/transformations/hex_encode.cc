// t:hexEncode — writes each byte as two lower-case hex digits ("a\n" becomes "610a"). Returns
// the digits; false only for the empty value.
//
//   SecRule ARGS:sig "@streq 3c736372697074" "id:1011,phase:2,deny,t:none,t:hexEncode"
#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool hex_encode(std::string_view in, std::pmr::string& out) noexcept {
  if (in.empty()) return false;
  static constexpr char kDigits[] = "0123456789abcdef";
  out.clear();
  out.reserve(in.size() * 2);
  for (char c : in) {
    auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return true;
}

}  // namespace portcullis::waf::transformations
