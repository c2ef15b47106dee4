// t:normalizePath (also spelled normalisePath) — normalizes a '/'-separated path as ModSecurity
// does: collapses runs of '/', removes "./" segments, and resolves "x/../" by dropping the
// segment before. An absolute path never goes above its root ("/../a" is "/a"); a relative
// path keeps the "../" it cannot resolve ("../../a" stays). A trailing '/' stays only if the
// value had one, and so "/a/.." loses its root too and becomes "". Returns the normalized
// path; false when it was already normal.
//
//   SecRule REQUEST_FILENAME "@beginsWith /admin" "id:1025,phase:1,deny,t:none,t:normalizePath"
#include <cstddef>

#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

// The rewrite is ModSecurity's single in-place pass over the path, kept step for step (its
// corner cases are part of what rules match); it runs over `out` as a copy of `in`. `dst`
// never passes `src`.
bool normalize_path_common(std::string_view in, std::pmr::string& out,
                           bool backslash_too) noexcept {
  if (in.empty()) return false;
  out.assign(in.begin(), in.end());
  char* p = out.data();
  auto is_separator = [backslash_too](char c) { return c == '/' || (backslash_too && c == '\\'); };
  const std::ptrdiff_t end = static_cast<std::ptrdiff_t>(out.size()) - 1;
  const bool relative = !is_separator(p[0]);
  const bool trailing = is_separator(p[end]);
  bool hit_root = false;
  bool done = false;
  std::ptrdiff_t src = 0;
  std::ptrdiff_t dst = 0;

  while (!done && src <= end && dst <= end) {
    if (backslash_too) {
      if (p[src] == '\\') p[src] = '/';
      if (src < end && p[src + 1] == '\\') p[src + 1] = '/';
    }
    if (src == end) done = true;

    // At the last byte of a segment (or of the path), look at the segment just written; an
    // empty segment is left to the copy below, which collapses slashes.
    bool segment_end = done || p[src + 1] == '/';
    if (segment_end && (done || p[src] != '/')) {
      if (p[src] == '.') {
        if (dst > 0 && p[dst - 1] == '.') {
          if (relative && (hit_root || dst <= 2)) {
            hit_root = true;  // nothing to go back to: "../" stays
          } else {
            dst -= 3;
            while (dst > 0 && p[dst] != '/') --dst;
            if (dst <= 0) {
              hit_root = true;
              dst = (!relative && done) ? 1 : 0;
            }
            if (done) continue;
            ++src;
          }
        } else if (dst == 0) {
          if (done) continue;  // a leading "./"
          ++src;
        } else if (p[dst - 1] == '/') {
          if (done) continue;  // "/./"
          --dst;
          ++src;
        }
      } else if (dst > 0) {
        hit_root = false;
      }
    }

    if (p[src] == '/') {
      while (src < end && is_separator(p[src + 1])) ++src;
      if (relative && dst == 0) {
        ++src;  // a relative path does not start with '/'
        continue;
      }
    }
    p[dst++] = p[src++];
  }

  if (!trailing && dst > 0 && p[dst - 1] == '/') --dst;
  out.resize(static_cast<std::size_t>(dst));
  return out != in;
}

bool normalize_path(std::string_view in, std::pmr::string& out) noexcept {
  return normalize_path_common(in, out, false);
}

}  // namespace portcullis::waf::transformations
