// t:trimRight — removes the C-locale whitespace (space, \t, \n, \v, \f, \r) at the end of the
// value. Returns the rest; false when the value does not end with whitespace.
//
//   SecRule ARGS:file "@endsWith .php" "id:1008,phase:2,deny,t:none,t:lowercase,t:trimRight"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool trim_right(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t end = in.size();
  while (end > 0 && is_space(static_cast<unsigned char>(in[end - 1]))) --end;
  if (end == in.size()) return false;
  out.assign(in.substr(0, end));
  return true;
}

}  // namespace portcullis::waf::transformations
