// t:replaceNulls — replaces every NUL byte with a space. Returns the value with spaces; false
// when it had no NUL.
//
//   SecRule ARGS "@rx select\s+from" "id:1004,phase:2,deny,t:none,t:replaceNulls,t:lowercase"
#include <algorithm>

#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool replace_nulls(std::string_view in, std::pmr::string& out) noexcept {
  if (in.find('\0') == std::string_view::npos) return false;
  out.assign(in.begin(), in.end());
  std::replace(out.begin(), out.end(), '\0', ' ');
  return true;
}

}  // namespace portcullis::waf::transformations
