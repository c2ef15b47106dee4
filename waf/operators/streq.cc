// @streq — string equality: matches when the value is exactly the argument, byte for byte
// (case matters). Argument: the string, macros expanded per match.
//
//   SecRule REQUEST_HEADERS:Host "@streq %{SERVER_NAME}" "id:1001,phase:1,pass,nolog"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool equals(std::string_view value, std::string_view argument) noexcept {
  return value == argument;
}

}  // namespace

OperatorResult create_streq(const OperatorArgs& args) {
  return create_argument_test<&equals>(args);
}

}  // namespace portcullis::waf::operators
