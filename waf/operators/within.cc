// @within — the reverse of @contains: matches when the value occurs anywhere in the argument
// (a substring, not a list member: "GET" is within "GET HEAD", and so is "ET H"). An empty
// value is always within, as in ModSecurity v3. Argument: the string, macros expanded per match.
//
//   SecRule REQUEST_METHOD "!@within %{tx.allowed_methods}" "id:1001,phase:1,deny"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool within(std::string_view value, std::string_view argument) noexcept {
  return value.empty() || argument.find(value) != std::string_view::npos;
}

}  // namespace

OperatorResult create_within(const OperatorArgs& args) {
  return create_argument_test<&within>(args);
}

}  // namespace portcullis::waf::operators
