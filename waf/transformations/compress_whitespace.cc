// t:compressWhitespace — turns each run of C-locale whitespace (space, \t, \n, \v, \f, \r) into
// one space. Returns the compressed value; false when it had no whitespace other than single
// spaces.
//
//   SecRule ARGS "@rx union select" "id:1006,phase:2,deny,t:none,t:lowercase,t:compressWhitespace"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool compress_whitespace(std::string_view in, std::pmr::string& out) noexcept {
  // Up to the first byte that would change, the output is the input.
  std::size_t first = 0;
  for (; first < in.size(); ++first) {
    auto c = static_cast<unsigned char>(in[first]);
    if (!is_space(c)) continue;
    if (c != ' ') break;
    if (first + 1 < in.size() && is_space(static_cast<unsigned char>(in[first + 1]))) break;
  }
  if (first == in.size()) return false;
  start_output(in, first, out);
  bool in_space = false;
  for (char c : in.substr(first)) {
    if (!is_space(static_cast<unsigned char>(c))) {
      in_space = false;
      out.push_back(c);
    } else if (!in_space) {
      in_space = true;
      out.push_back(' ');
    }
  }
  return true;
}

}  // namespace portcullis::waf::transformations
