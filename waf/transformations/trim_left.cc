// t:trimLeft — removes the C-locale whitespace (space, \t, \n, \v, \f, \r) at the start of the
// value. Returns the rest; false when the value does not start with whitespace.
//
//   SecRule ARGS:cmd "@beginsWith rm " "id:1007,phase:2,deny,t:none,t:trimLeft"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool trim_left(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t begin = 0;
  while (begin < in.size() && is_space(static_cast<unsigned char>(in[begin]))) ++begin;
  if (begin == 0) return false;
  out.assign(in.substr(begin));
  return true;
}

}  // namespace portcullis::waf::transformations
