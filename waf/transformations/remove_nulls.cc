// t:removeNulls — removes every NUL byte. Returns the value without them; false when it had
// none.
//
//   SecRule ARGS "@rx (?i)<script" "id:1003,phase:2,deny,t:none,t:removeNulls,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool remove_nulls(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t first = in.find('\0');
  if (first == std::string_view::npos) return false;
  start_output(in, first, out);
  for (char c : in.substr(first)) {
    if (c != '\0') out.push_back(c);
  }
  return true;
}

}  // namespace portcullis::waf::transformations
