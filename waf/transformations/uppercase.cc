// t:uppercase — turns ASCII letters a-z into A-Z; every other byte stays as it is (no locale, no
// UTF-8). Returns the raised bytes; false when there was no lower-case letter.
//
//   SecRule REQUEST_METHOD "!@within GET HEAD POST" "id:1002,phase:1,deny,t:none,t:uppercase"
#include <algorithm>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool uppercase(std::string_view in, std::pmr::string& out) noexcept {
  auto first = std::find_if(in.begin(), in.end(), [](char c) { return to_upper_ascii(c) != c; });
  if (first == in.end()) return false;
  start_output(in, static_cast<std::size_t>(first - in.begin()), out);
  for (auto it = first; it != in.end(); ++it) out.push_back(to_upper_ascii(*it));
  return true;
}

}  // namespace portcullis::waf::transformations
