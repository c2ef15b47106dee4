#include "proxy/peer.h"

#include <algorithm>

namespace portcullis::proxy {

Peer Peer::of(const tcp::socket& socket) {
  boost::system::error_code ec;
  tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return Peer();
  return of(endpoint);
}

Peer Peer::of(const tcp::endpoint& endpoint) {
  Peer p;
  p.port = endpoint.port();
  asio::ip::address addr = endpoint.address();
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
  }
  p.ip = addr.to_string();
  if (addr.is_v4()) {
    p.address[10] = p.address[11] = 0xff;
    auto b = addr.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), p.address.begin() + 12);
  } else {
    auto b = addr.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), p.address.begin());
  }
  return p;
}

}  // namespace portcullis::proxy
