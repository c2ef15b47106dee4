// Peer: the client end of an accepted connection, in the forms the request path needs.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "proxy/asio.h"

namespace portcullis::proxy {

struct Peer {
  std::string ip;  // textual; an IPv4-mapped IPv6 address is shown as IPv4
  std::uint16_t port = 0;
  std::array<std::uint8_t, 16> address{};  // IPv6, or IPv4-mapped, for trusted-proxy checks

  // The peer of `socket`; empty fields when the socket has none (already reset).
  static Peer of(const tcp::socket& socket);
  static Peer of(const tcp::endpoint& endpoint);
};

}  // namespace portcullis::proxy
