// @detectXSS — cross-site scripting: matches when the value, pasted into an HTML page (as text
// or inside an attribute value), carries script the page would run (waf/detect/xss.h,
// docs/detectors.md). Argument: none. With `capture`, TX.0 is the value, as in ModSecurity.
//
//   SecRule ARGS "@detectXSS" "id:1001,phase:2,deny,t:urlDecodeUni,t:htmlEntityDecode"
#include <memory>

#include "waf/detect/xss.h"
#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

class DetectXss final : public Operator {
 public:
  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    detect::XssMatch m = detect::detect_xss(value);
    if (m.found && ctx.capturing()) ctx.set_capture(0, value);
    return m.found;
  }
};

}  // namespace

OperatorResult create_detect_xss(const OperatorArgs& args) {
  if (!args.argument.empty()) return Error{"@detectXSS takes no argument"};
  return std::unique_ptr<Operator>(std::make_unique<DetectXss>());
}

}  // namespace portcullis::waf::operators
