// t:lowercase — turns ASCII letters A-Z into a-z; every other byte stays as it is (no locale, no
// UTF-8). Returns the lowered bytes; false when there was no upper-case letter.
//
//   SecRule REQUEST_HEADERS:User-Agent "@contains nikto" "id:1001,phase:1,deny,t:none,t:lowercase"
#include <algorithm>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool lowercase(std::string_view in, std::pmr::string& out) noexcept {
  auto first = std::find_if(in.begin(), in.end(), [](char c) { return to_lower_ascii(c) != c; });
  if (first == in.end()) return false;
  // Copied whole, then lowered in place from the first upper-case letter: no append per byte.
  out.assign(in.data(), in.size());
  for (std::size_t i = static_cast<std::size_t>(first - in.begin()); i < out.size(); ++i) {
    out[i] = to_lower_ascii(out[i]);
  }
  return true;
}

}  // namespace portcullis::waf::transformations
