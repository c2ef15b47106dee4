// @contains — substring: matches when the argument occurs anywhere in the value (case
// matters). Argument: the string, macros expanded per match; an empty one always matches.
//
//   SecRule REQUEST_URI "@contains /admin" "id:1001,phase:1,deny,t:lowercase"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool contains(std::string_view value, std::string_view argument) noexcept {
  return value.find(argument) != std::string_view::npos;
}

}  // namespace

OperatorResult create_contains(const OperatorArgs& args) {
  return create_argument_test<&contains>(args);
}

}  // namespace portcullis::waf::operators
