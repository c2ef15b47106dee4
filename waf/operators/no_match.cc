// @noMatch — never matches, whatever the value; a way to switch a rule off while keeping it.
// Argument: none (ignored).
//
//   SecRule REQUEST_URI "@noMatch" "id:1001,phase:1,deny"
#include <memory>

#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

class NoMatch final : public Operator {
 public:
  bool match(std::string_view, MatchContext&) const noexcept override { return false; }
};

}  // namespace

OperatorResult create_no_match(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<NoMatch>());
}

}  // namespace portcullis::waf::operators
