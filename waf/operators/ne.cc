// @ne — integer comparison: matches when the value, read as an integer, differs from the argument.
// Argument: an integer, or a macro such as %{tx.limit} expanded per match. ModSecurity v3 has no
// @ne; it is the negation of @eq here, with the same std::stoi() conversion.
//
//   SecRule &ARGS "@ne 0" "id:1002,phase:2,pass,log"
#include <functional>

#include "waf/operators/integer.h"

namespace portcullis::waf::operators {

OperatorResult create_ne(const OperatorArgs& args) {
  return create_integer_comparison<std::not_equal_to<long long>>(args, &stoi_or_zero);
}

}  // namespace portcullis::waf::operators
