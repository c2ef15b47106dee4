// IP addresses and networks as the stages compare them: one 16-byte form for both families,
// IPv4 kept as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one compare serves both.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace portcullis {

using IpAddress = std::array<std::uint8_t, 16>;

// Textual IPv4 or IPv6 address → its 16-byte form; nullopt if `text` is not an address.
// Allocates nothing; safe for concurrent use.
std::optional<IpAddress> parse_ip(std::string_view text) noexcept;

// An IPv4 or IPv6 network.
struct Cidr {
  IpAddress network{};
  int prefix_bits = 128;  // of the 16-byte form: an IPv4 /24 is 120

  bool contains(const IpAddress& addr) const noexcept;

  // "10.0.0.0/8", "fd00::/8", or a bare address (a network of one). Control plane.
  static Result<Cidr> parse(std::string_view text);
};

}  // namespace portcullis
