// @lt — integer comparison: matches when the value, read as an integer, is less than the argument.
// Argument: an integer, or a macro such as %{tx.limit} expanded per match. Both sides go through
// atoll() as ModSecurity does: no leading number is 0, huge numbers saturate.
//
//   SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 2" "id:1003,phase:1,pass,nolog,skipAfter:END-PL2"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_lt(const OperatorArgs& args) {
  return create_integer_comparison<std::less<long long>>(args, &atoll_value);
}

}  // namespace portcullis::waf::operators
