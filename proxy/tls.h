// TLS streams of the data plane. Included only by the files that handshake or serve TLS, so
// that Asio's SSL layer is compiled in few places.
#pragma once

#include <boost/asio/ssl.hpp>
#include <string>

#include "proxy/asio.h"
#include "proxy/upstream_pool.h"

namespace portcullis::proxy {

using TlsStream = asio::ssl::stream<tcp::socket>;

// The TCP socket under a plain or TLS stream, or under an upstream connection.
inline tcp::socket& lowest_of(tcp::socket& s) noexcept { return s; }
inline tcp::socket& lowest_of(TlsStream& s) noexcept { return s.next_layer(); }
inline tcp::socket& lowest_of(UpstreamConnection& c) noexcept { return c.lowest(); }

template <typename Buffers, typename Token>
auto UpstreamConnection::async_read_some(const Buffers& buffers, Token&& token) {
  if (tls) return tls->async_read_some(buffers, std::forward<Token>(token));
  return socket.async_read_some(buffers, std::forward<Token>(token));
}

template <typename Buffers, typename Token>
auto UpstreamConnection::async_write_some(const Buffers& buffers, Token&& token) {
  if (tls) return tls->async_write_some(buffers, std::forward<Token>(token));
  return socket.async_write_some(buffers, std::forward<Token>(token));
}

class Worker;

// Serves HTTP/1.1 on an established TLS stream (defined in http1_session.cc).
void start_http1_session(Worker& worker, std::uint16_t listener, TlsStream stream);

// Serves HTTP/2 on an established TLS stream whose ALPN is h2 (defined in h2_session.cc).
void start_h2_session(Worker& worker, std::uint16_t listener, TlsStream stream,
                      std::string initial);

}  // namespace portcullis::proxy
