// @strmatch — substring, as ModSecurity v3 implements it: matches when the argument occurs
// anywhere in the value (case matters), exactly like @contains. Argument: the string, macros
// expanded per match.
//
//   SecRule ARGS "@strmatch WebZIP" "id:1001,phase:2,deny"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool contains(std::string_view value, std::string_view argument) noexcept {
  return value.find(argument) != std::string_view::npos;
}

}  // namespace

OperatorResult create_strmatch(const OperatorArgs& args) {
  return create_argument_test<&contains>(args);
}

}  // namespace portcullis::waf::operators
