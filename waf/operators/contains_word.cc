// @containsWord — whole word: matches when the argument occurs in the value with no ASCII
// letter right before or after it (ModSecurity v3 counts only A-Z and a-z as word characters,
// so digits and '_' are boundaries). Argument: the word, macros expanded per match; an empty one
// always matches, an empty value never does (unless the argument is empty too).
//
//   SecRule ARGS "@containsWord select" "id:1001,phase:2,deny,t:lowercase"
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

constexpr bool is_letter(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool contains_word(std::string_view value, std::string_view argument) noexcept {
  if (argument.empty()) return true;
  for (std::size_t pos = value.find(argument); pos != std::string_view::npos;
       pos = value.find(argument, pos + 1)) {
    std::size_t end = pos + argument.size();
    bool starts_word = pos == 0 || !is_letter(value[pos - 1]);
    bool ends_word = end == value.size() || !is_letter(value[end]);
    if (starts_word && ends_word) return true;
  }
  return false;
}

}  // namespace

OperatorResult create_contains_word(const OperatorArgs& args) {
  return create_argument_test<&contains_word>(args);
}

}  // namespace portcullis::waf::operators
