// @ipMatchFromFile — address in networks read from files: matches when the value is an IPv4 or
// IPv6 address inside one of them. Argument: one or more file names separated by white space,
// relative to the rule file's folder; each line holds addresses or CIDR blocks (comma-separated
// if several), '#' starts a comment. Also spelled @ipMatchF.
//
//   SecRule REMOTE_ADDR "@ipMatchFromFile blocked-ips.txt" "id:1001,phase:1,deny"
#include <memory>
#include <string>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"
#include "waf/operators/ip_set.h"

namespace portcullis::waf::operators {

OperatorResult create_ip_match_from_file(const OperatorArgs& args) {
  std::vector<std::string_view> files = split(args.argument, is_c_space);
  if (files.empty()) return Error("@ipMatchFromFile needs a file name");
  IpSet set;
  for (std::string_view file : files) {
    auto lines = read_data_lines(file, args.rules_dir);
    if (!lines.ok()) return lines.error();
    for (const std::string& line : *lines) {
      std::string_view data = std::string_view(line).substr(0, line.find('#'));
      if (Status added = set.add_list(data); !added.ok()) {
        return Error("@ipMatchFromFile: " + added.error().message, std::string(file));
      }
    }
  }
  return std::unique_ptr<Operator>(std::make_unique<IpMatch>(std::move(set)));
}

}  // namespace portcullis::waf::operators
