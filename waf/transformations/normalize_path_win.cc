// t:normalizePathWin (also spelled normalisePathWin) — t:normalizePath for Windows paths: a
// backslash separates segments as '/' does and comes out as '/' ("..\\a\\.\\b" is "../a/b").
// Returns the normalized path; false when it was already normal (no backslash, nothing to
// collapse or resolve).
//
//   SecRule ARGS:file "@contains /windows/" "id:1026,phase:2,deny,t:none,t:normalizePathWin"
#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool normalize_path_win(std::string_view in, std::pmr::string& out) noexcept {
  return normalize_path_common(in, out, true);
}

}  // namespace portcullis::waf::transformations
