// HostPattern: an exact host name or a "*.suffix" wildcard, compared case-insensitively.
#pragma once

#include <string>
#include <string_view>

namespace portcullis {

struct HostPattern {
  std::string host;  // lowercase; for a wildcard, the suffix with its leading dot (".example.com")
  bool wildcard = false;

  // "api.example.com" or "*.example.com".
  static HostPattern parse(std::string_view text);
  // `request_host` is the Host without its port. A wildcard needs at least one more label.
  bool matches(std::string_view request_host) const noexcept;
};

}  // namespace portcullis
