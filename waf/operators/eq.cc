// @eq — integer comparison: matches when the value, read as an integer, equals the argument.
// Argument: an integer, or a macro such as %{tx.limit} expanded per match. Both sides go through
// std::stoi() as ModSecurity does: "abc" and numbers beyond int are 0, and so "12abc" equals 12.
//
//   SecRule REQUEST_HEADERS:Content-Length "@eq 0" "id:1001,phase:1,deny,chain"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_eq(const OperatorArgs& args) {
  return create_integer_comparison<std::equal_to<long long>>(args, &stoi_or_zero);
}

}  // namespace portcullis::waf::operators
