// Transformations (SecLang `t:NAME`): pure functions that rewrite a value before an operator
// looks at it, with ModSecurity's exact semantics so that the OWASP CRS matches as it does on
// ModSecurity. Safe for concurrent use by multiple threads.
#pragma once

#include <memory_resource>
#include <string>
#include <string_view>

namespace portcullis::waf {

// Rewrites `in` into `out` (which the function clears first). Returns false when the value is
// unchanged; `out` is then unspecified and the caller keeps using `in`, so a chain of
// transformations copies only when something changes. Never throws; bytes are bytes (no
// encoding is assumed, as in ModSecurity).
using TransformFn = bool (*)(std::string_view in, std::pmr::string& out);

struct TransformationInfo {
  std::string_view name;  // as SecLang spells it: "urlDecodeUni"
  TransformFn fn;         // nullptr for "none", which resets the chain instead of transforming
};

// The transformation named `name` (case-insensitive, as ModSecurity accepts), or nullptr.
const TransformationInfo* find_transformation(std::string_view name) noexcept;

}  // namespace portcullis::waf
