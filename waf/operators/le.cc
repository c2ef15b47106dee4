// @le — integer comparison: matches when the value, read as an integer, is at most the argument.
// Argument: an integer, or a macro such as %{tx.limit} expanded per match. Both sides go through
// atoll() as ModSecurity does: no leading number is 0, huge numbers saturate.
//
//   SecRule ARGS:n "@le %{tx.limit}" "id:1004,phase:2,pass,nolog"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_le(const OperatorArgs& args) {
  return create_integer_comparison<std::less_equal<long long>>(args, &atoll_value);
}

}  // namespace portcullis::waf::operators
