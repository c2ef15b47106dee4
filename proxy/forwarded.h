// The X-Forwarded-* headers a request arrived with, kept only from trusted peers.
#pragma once

#include <span>
#include <string>
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
    if (name.size() == f.name.size() && iequals(name, f.name)) return true;
  }
  return false;
}

// Appends "name: value\r\n" for each of `fields` with a value (Exchange::upstream_headers) to an
// HTTP/1.1 request head, in one reservation.
inline void append_added_fields(std::string& head, std::span<const HeaderField> fields) {
  std::size_t size = 0;
  for (const HeaderField& f : fields) size += f.name.size() + f.value.size() + 4;
  head.reserve(head.size() + size);
  for (const HeaderField& f : fields) {
    if (f.value.empty()) continue;
    head.append(f.name.data(), f.name.size());
    head.append(": ", 2);
    head.append(f.value.data(), f.value.size());
    head.append("\r\n", 2);
  }
}

}  // namespace portcullis::proxy
