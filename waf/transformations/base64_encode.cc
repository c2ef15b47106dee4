// t:base64Encode — encodes the value in standard Base64 (RFC 4648 alphabet, '=' padding, no
// line breaks). Returns the encoding; false only for the empty value.
//
//   SecRule ARGS:token "@streq YWRtaW4=" "id:1012,phase:2,deny,t:none,t:base64Encode"
#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool base64_encode(std::string_view in, std::pmr::string& out) noexcept {
  if (in.empty()) return false;
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out.clear();
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned group = static_cast<unsigned char>(in[i]) << 16 |
                     static_cast<unsigned char>(in[i + 1]) << 8 |
                     static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  if (i < in.size()) {
    bool two = i + 1 < in.size();
    unsigned group = static_cast<unsigned char>(in[i]) << 16 |
                     (two ? static_cast<unsigned char>(in[i + 1]) << 8 : 0u);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(two ? kAlphabet[(group >> 6) & 0x3f] : '=');
    out.push_back('=');
  }
  return true;
}

}  // namespace portcullis::waf::transformations
