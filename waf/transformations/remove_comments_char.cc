// t:removeCommentsChar — removes the comment markers themselves, wherever they are: "/*", "*/",
// "<!--", "-->", "--" and '#'; what lies between them stays. Returns the value without
// markers; false when it has none.
//
//   SecRule ARGS "@rx union select" "id:1024,phase:2,deny,t:none,t:removeCommentsChar"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

// The length of the comment marker at the start of `s`, or 0.
std::size_t marker_length(std::string_view s) noexcept {
  if (s.starts_with("/*") || s.starts_with("*/")) return 2;
  if (s.starts_with("<!--")) return 4;
  if (s.starts_with("-->")) return 3;
  if (s.starts_with("--")) return 2;
  if (s.starts_with('#')) return 1;
  return 0;
}

}  // namespace

bool remove_comments_char(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = 0;
  while (i < in.size() && marker_length(in.substr(i)) == 0) ++i;
  if (i == in.size()) return false;
  start_output(in, i, out);
  while (i < in.size()) {
    std::size_t marker = marker_length(in.substr(i));
    if (marker > 0) {
      i += marker;
    } else {
      out.push_back(in[i++]);
    }
  }
  return true;
}

}  // namespace portcullis::waf::transformations
