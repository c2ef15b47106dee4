// @validateUrlEncoding — URL-encoding check: matches when the value holds a '%' that is not
// followed by two hex digits (a non-hex digit, or the value ends too soon). An empty value never
// matches. Argument: none.
//
//   SecRule REQUEST_URI "@validateUrlEncoding" "id:1001,phase:1,deny"
#include <memory>

#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

class ValidateUrlEncoding final : public Operator {
 public:
  bool match(std::string_view value, MatchContext&) const noexcept override {
    std::size_t i = 0;
    while (i < value.size()) {
      if (value[i] != '%') {
        ++i;
        continue;
      }
      if (i + 2 >= value.size()) return true;
      if (!is_hex_digit(value[i + 1]) || !is_hex_digit(value[i + 2])) return true;
      i += 3;
    }
    return false;
  }
};

}  // namespace

OperatorResult create_validate_url_encoding(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<ValidateUrlEncoding>());
}

}  // namespace portcullis::waf::operators
