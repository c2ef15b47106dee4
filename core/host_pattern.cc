#include "core/host_pattern.h"

#include "core/exchange.h"

namespace portcullis {

HostPattern HostPattern::parse(std::string_view text) {
  HostPattern p;
  if (text.size() > 2 && text.substr(0, 2) == "*.") {
    p.wildcard = true;
    text.remove_prefix(1);
  }
  p.host.reserve(text.size());
  for (char c : text) p.host.push_back((c >= 'A' && c <= 'Z') ? char(c + 32) : c);
  return p;
}

bool HostPattern::matches(std::string_view request_host) const noexcept {
  // A fully qualified name may end in a dot; it names the same host.
  if (!request_host.empty() && request_host.back() == '.') request_host.remove_suffix(1);
  if (!wildcard) return iequals(request_host, host);
  return request_host.size() > host.size() &&
         iequals(request_host.substr(request_host.size() - host.size()), host);
}

}  // namespace portcullis
