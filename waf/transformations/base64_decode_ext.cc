// t:base64DecodeExt — decodes Base64 forgivingly, as ModSecurity v3 does: every byte outside
// the alphabet (spaces, '.', '-', NUL, ...) is skipped and '=' is ignored, the whole value is
// read, and a last partial byte is dropped ("QUJDRA" is "ABCD", "QUI" is "AB"). Two of
// ModSecurity's corner cases give the empty string: a '=' that follows exactly one symbol of a
// group, unless another '=' comes right after it ("Q=", "QUJDQ=x"); and a value whose last
// byte is '9' or '=' while a group holds exactly one symbol ("QUJD9").
// Returns the decoded bytes; false only for the empty value.
//
//   SecRule ARGS:data "@contains <script" "id:1028,phase:2,deny,t:none,t:base64DecodeExt"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool base64_decode_ext(std::string_view in, std::pmr::string& out) noexcept {
  if (in.empty()) return false;
  out.clear();
  out.reserve(in.size() / 4 * 3 + 2);
  // ModSecurity tests its last byte's table value against the code of '=' (61), which is also
  // the value of the symbol '9'.
  constexpr int kPadCode = '=';
  int last = 0;
  unsigned symbols = 0;
  unsigned char partial = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    auto c = static_cast<unsigned char>(in[i]);
    if (c == '=') {
      bool next_is_pad = i + 1 < in.size() && in[i + 1] == '=';
      if (!next_is_pad && symbols % 4 == 1) {
        out.clear();
        return true;
      }
      last = kPadCode;
      continue;
    }
    int value = base64_symbol_value(c);
    last = value;
    if (value < 0) continue;
    auto v = static_cast<unsigned char>(value);
    switch (symbols % 4) {
      case 0:
        partial = static_cast<unsigned char>(v << 2);
        break;
      case 1:
        out.push_back(static_cast<char>(partial | v >> 4));
        partial = static_cast<unsigned char>(v << 4);
        break;
      case 2:
        out.push_back(static_cast<char>(partial | v >> 2));
        partial = static_cast<unsigned char>(v << 6);
        break;
      default:
        out.push_back(static_cast<char>(partial | v));
        break;
    }
    ++symbols;
  }
  if (last == kPadCode && symbols % 4 == 1) out.clear();
  return out != in;
}

}  // namespace portcullis::waf::transformations
