// t:length — replaces the value with its length in bytes, written in decimal. Returns that
// number; false only when the value already was it ("1" has length 1).
//
//   SecRule ARGS "@gt 400" "id:1010,phase:2,deny,t:none,t:length"
#include <charconv>

#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool length(std::string_view in, std::pmr::string& out) noexcept {
  char digits[24];
  auto [end, error] = std::to_chars(digits, digits + sizeof(digits), in.size());
  std::string_view number(digits, static_cast<std::size_t>(end - digits));
  if (number == in) return false;
  out.assign(number);
  return true;
}

}  // namespace portcullis::waf::transformations
