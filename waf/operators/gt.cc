// @gt — integer comparison: matches when the value, read as an integer, is greater than the
// argument. Argument: an integer, or a macro such as %{tx.limit} expanded per match. Both sides go
// through atoll() as ModSecurity does: no leading number is 0, huge numbers saturate.
//
//   SecRule TX:TOTAL_ARG_LENGTH "@gt %{tx.total_arg_length}" "id:1005,phase:2,deny"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_gt(const OperatorArgs& args) {
  return create_integer_comparison<std::greater<long long>>(args, &atoll_value);
}

}  // namespace portcullis::waf::operators
