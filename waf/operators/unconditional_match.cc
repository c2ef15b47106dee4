// @unconditionalMatch — always matches, whatever the value (SecAction's operator). Argument:
// none (ignored).
//
//   SecRule REQUEST_URI "@unconditionalMatch" "id:1001,phase:1,pass,nolog,setvar:tx.seen=1"
#include <memory>

#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

class UnconditionalMatch final : public Operator {
 public:
  bool match(std::string_view, MatchContext&) const noexcept override { return true; }
};

}  // namespace

OperatorResult create_unconditional_match(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<UnconditionalMatch>());
}

}  // namespace portcullis::waf::operators
