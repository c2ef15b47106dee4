// @ge — integer comparison: matches when the value, read as an integer, is at least the argument.
// Argument: an integer, or a macro such as %{tx.limit} expanded per match. Both sides go through
// atoll() as ModSecurity does: no leading number is 0, huge numbers saturate.
//
//   SecRule TX:BLOCKING_INBOUND_ANOMALY_SCORE "@ge %{tx.inbound_anomaly_score_threshold}"
//   "id:1006,phase:2,deny"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_ge(const OperatorArgs& args) {
  return create_integer_comparison<std::greater_equal<long long>>(args, &atoll_value);
}

}  // namespace portcullis::waf::operators
