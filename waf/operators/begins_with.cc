// @beginsWith — prefix: matches when the value starts with the argument (case matters).
// Argument: the string, macros expanded per match; an empty one always matches.
//
//   SecRule REQUEST_URI "@beginsWith /static/" "id:1001,phase:1,pass,nolog,ctl:ruleEngine=Off"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool begins_with(std::string_view value, std::string_view argument) noexcept {
  return value.starts_with(argument);
}

}  // namespace

OperatorResult create_begins_with(const OperatorArgs& args) {
  return create_argument_test<&begins_with>(args);
}

}  // namespace portcullis::waf::operators
