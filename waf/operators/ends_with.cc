// @endsWith — suffix: matches when the value ends with the argument (case matters).
// Argument: the string, macros expanded per match; an empty one always matches.
//
//   SecRule REQUEST_FILENAME "@endsWith .php" "id:1001,phase:1,pass,log"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

bool ends_with(std::string_view value, std::string_view argument) noexcept {
  return value.ends_with(argument);
}

}  // namespace

OperatorResult create_ends_with(const OperatorArgs& args) {
  return create_argument_test<&ends_with>(args);
}

}  // namespace portcullis::waf::operators
