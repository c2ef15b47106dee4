// @ipMatch — address in networks: matches when the value is an IPv4 or IPv6 address inside one
// of the listed addresses or CIDR blocks. Argument: a comma-separated list
// ("127.0.0.1,::1,10.0.0.0/8"); a bad entry fails rule loading. A value that is not a literal
// address never matches.
//
//   SecRule REMOTE_ADDR "@ipMatch 127.0.0.1,::1" "id:1001,phase:1,pass,nolog,ctl:ruleEngine=Off"
#include <memory>
#include <string>

#include "waf/operators/all.h"
#include "waf/operators/ip_set.h"

namespace portcullis::waf::operators {

OperatorResult create_ip_match(const OperatorArgs& args) {
  IpSet set;
  if (Status added = set.add_list(args.argument); !added.ok()) {
    return Error("@ipMatch: " + added.error().message);
  }
  return std::unique_ptr<Operator>(std::make_unique<IpMatch>(std::move(set)));
}

}  // namespace portcullis::waf::operators
