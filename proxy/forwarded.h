// The X-Forwarded-* headers a request arrived with, kept only from trusted peers.
#pragma once

#include <span>
#include <string_view>

#include "core/exchange.h"

namespace portcullis::proxy {

struct Forwarded {
  std::string_view for_;  // X-Forwarded-For (the first such header)
  std::string_view proto;
  std::string_view host;

  // If `name` is one of the three headers, notes its value when `trusted` and returns true: the
  // caller then does not forward the header as it is.
  bool take(std::string_view name, std::string_view value, bool trusted) noexcept {
    std::string_view* slot = nullptr;
    if (iequals(name, "x-forwarded-for")) {
      slot = &for_;
    } else if (iequals(name, "x-forwarded-proto")) {
      slot = &proto;
    } else if (iequals(name, "x-forwarded-host")) {
      slot = &host;
    } else {
      return false;
    }
    if (trusted && slot->empty()) *slot = value;
    return true;
  }
};

// Whether `name` is the name of a field a stage adds to the upstream request
// (Exchange::upstream_headers): the client's own field of that name is not forwarded, so a
// client cannot pass off its own fingerprint headers as the proxy's.
inline bool added_by_stage(std::string_view name, std::span<const HeaderField> added) noexcept {
  for (const HeaderField& f : added) {
    if (iequals(name, f.name)) return true;
  }
  return false;
}

}  // namespace portcullis::proxy
