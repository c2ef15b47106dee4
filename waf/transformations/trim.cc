// t:trim — removes the C-locale whitespace (space, \t, \n, \v, \f, \r) at both ends of the
// value. Returns the rest; false when neither end has whitespace.
//
//   SecRule ARGS:user "@streq admin" "id:1009,phase:2,deny,t:none,t:lowercase,t:trim"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool trim(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t begin = 0;
  std::size_t end = in.size();
  while (end > 0 && is_space(static_cast<unsigned char>(in[end - 1]))) --end;
  while (begin < end && is_space(static_cast<unsigned char>(in[begin]))) ++begin;
  if (begin == 0 && end == in.size()) return false;
  out.assign(in.substr(begin, end - begin));
  return true;
}

}  // namespace portcullis::waf::transformations
