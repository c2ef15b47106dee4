// @detectSQLi — SQL injection: matches when the value, pasted into a SQL statement (inside a
// quoted string or where a number is expected), changes the statement's structure (waf/detect/
// sqli.h, docs/detectors.md). Argument: none. With `capture`, TX.0 is the token fingerprint of
// the injection (e.g. "s&1=1"), as CRS's logdata expects.
//
//   SecRule ARGS "@detectSQLi" "id:1001,phase:2,deny,capture,t:urlDecodeUni,logdata:%{TX.0}"
#include <memory>

#include "waf/detect/sqli.h"
#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

class DetectSqli final : public Operator {
 public:
  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    detect::SqliMatch m = detect::detect_sqli(value);
    if (m.found && ctx.capturing()) ctx.set_capture(0, m.fingerprint());
    return m.found;
  }
};

}  // namespace

OperatorResult create_detect_sqli(const OperatorArgs& args) {
  if (!args.argument.empty()) return Error{"@detectSQLi takes no argument"};
  return std::unique_ptr<Operator>(std::make_unique<DetectSqli>());
}

}  // namespace portcullis::waf::operators
