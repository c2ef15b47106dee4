// t:removeComments — removes comments as ModSecurity v3 does:
//   - /* ... */ and <!-- ... --> are removed, either closing ends either kind, and the byte
//     right after the closing is kept whatever it is (a NUL when the value ends there:
//     "a/*b*/" becomes "a\0")
//   - "--" or '#' outside such a comment cuts the value there ("id=1 -- x" becomes "id=1 ")
//   - a comment left open is removed to the end and replaced by one space
// Returns the value without comments; false when it has none.
//
//   SecRule ARGS "@rx union select" "id:1023,phase:2,deny,t:none,t:removeComments,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool remove_comments(std::string_view in, std::pmr::string& out) noexcept {
  const std::size_t n = in.size();
  // ModSecurity reads one byte past the closing of a comment; past the end that is the
  // string's NUL terminator.
  auto at = [&](std::size_t k) { return k < n ? in[k] : '\0'; };
  auto starts = [&](std::size_t k, std::string_view s) { return in.substr(k).starts_with(s); };

  std::size_t i = 0;
  while (i < n && !starts(i, "/*") && !starts(i, "<!--") && !starts(i, "--") && in[i] != '#') {
    ++i;
  }
  if (i == n) return false;
  start_output(in, i, out);
  bool in_comment = false;
  while (i < n) {
    if (!in_comment) {
      if (starts(i, "/*")) {
        in_comment = true;
        i += 2;
      } else if (starts(i, "<!--")) {
        in_comment = true;
        i += 4;
      } else if (starts(i, "--") || in[i] == '#') {
        break;
      } else {
        out.push_back(in[i++]);
      }
    } else if (starts(i, "*/") || starts(i, "-->")) {
      in_comment = false;
      i += in[i] == '*' ? 2 : 3;
      out.push_back(at(i));
      ++i;
    } else {
      ++i;
    }
  }
  if (in_comment) out.push_back(' ');
  return true;
}

}  // namespace portcullis::waf::transformations
