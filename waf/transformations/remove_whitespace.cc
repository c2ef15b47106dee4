// t:removeWhitespace — removes the C-locale whitespace bytes (space, \t, \n, \v, \f, \r) and, as
// ModSecurity v3 does, the bytes 0xA0 (Latin-1 no-break space) and 0xC2 (the lead byte of a
// UTF-8 U+00A0), wherever they are. Returns the remaining bytes; false when none was removed.
//
//   SecRule ARGS "@rx unionselect" "id:1005,phase:2,deny,t:none,t:lowercase,t:removeWhitespace"
#include <algorithm>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

constexpr bool is_removed(char c) noexcept {
  auto b = static_cast<unsigned char>(c);
  return is_space(b) || b == 0xa0 || b == 0xc2;
}

}  // namespace

bool remove_whitespace(std::string_view in, std::pmr::string& out) noexcept {
  auto first = std::find_if(in.begin(), in.end(), is_removed);
  if (first == in.end()) return false;
  start_output(in, static_cast<std::size_t>(first - in.begin()), out);
  for (auto it = first; it != in.end(); ++it) {
    if (!is_removed(*it)) out.push_back(*it);
  }
  return true;
}

}  // namespace portcullis::waf::transformations
