// t:replaceComments — replaces each C-style comment /* ... */ with one space; a comment left
// open runs to the end and also becomes one space. A lone "*/" stays. Returns the value with
// spaces; false when it has no "/*".
//
//   SecRule ARGS "@rx union select" "id:1022,phase:2,deny,t:none,t:replaceComments,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool replace_comments(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find("/*");
  if (i == std::string_view::npos) return false;
  start_output(in, i, out);
  while (i < in.size()) {
    std::size_t open = in.find("/*", i);
    if (open == std::string_view::npos) {
      out.append(in.substr(i));
      break;
    }
    out.append(in.substr(i, open - i));
    std::size_t close = in.find("*/", open + 2);
    out.push_back(' ');
    if (close == std::string_view::npos) break;
    i = close + 2;
  }
  return true;
}

}  // namespace portcullis::waf::transformations
