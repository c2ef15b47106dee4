#include "access/access_list.h"

#include <utility>

namespace portcullis::access {

AccessList::AccessList(std::vector<std::string> methods, std::vector<HostPattern> hosts)
    : methods_(std::move(methods)), hosts_(std::move(hosts)) {
  for (const std::string& m : methods_) {
    if (!allow_.empty()) allow_ += ", ";
    allow_ += m;
  }
}

Verdict AccessList::on_headers(Exchange& exchange) const noexcept {
  if (!methods_.empty()) {
    bool allowed = false;
    for (const std::string& m : methods_) allowed = allowed || exchange.method == m;
    // The reason carries the Allow value: a 405 must say what is allowed (RFC 9110 15.5.6).
    if (!allowed) return Verdict::block(405, name(), allow_, "method");
  }
  if (!hosts_.empty()) {
    bool allowed = false;
    for (const HostPattern& h : hosts_) allowed = allowed || h.matches(exchange.host);
    if (!allowed) return Verdict::block(403, name(), "host not allowed", "host");
  }
  return Verdict::pass();
}

}  // namespace portcullis::access
