// AccessList: the method and host allow-lists of a policy. The cheapest stage: it refuses what
// the service never serves before anything else looks at the request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/host_pattern.h"
#include "core/stage.h"

namespace portcullis::access {

class AccessList final : public Stage {
 public:
  // Empty `methods` allows every method; empty `hosts` allows every host. Methods compare
  // case-sensitively, as HTTP methods do.
  AccessList(std::vector<std::string> methods, std::vector<HostPattern> hosts);

  std::string_view name() const noexcept override { return "access"; }
  // 405 (with the allowed methods in the reason, for the Allow header) or 403.
  Verdict on_headers(Exchange& exchange) const noexcept override;

  // "GET, HEAD, POST": the value of the Allow header on a 405.
  std::string_view allow_header() const noexcept { return allow_; }

 private:
  std::vector<std::string> methods_;
  std::vector<HostPattern> hosts_;
  std::string allow_;
};

}  // namespace portcullis::access
