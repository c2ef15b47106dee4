#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

#include "config/snapshot.h"

namespace portcullis::proxy {

void UpstreamPool::use_snapshot(const config::Snapshot* snapshot) {
  if (snapshot == snapshot_) return;
  snapshot_ = snapshot;
  upstreams_.clear();
  upstreams_.resize(snapshot->upstreams.size());
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(std::size_t upstream) noexcept {
  if (upstream >= upstreams_.size()) return nullptr;
  auto& idle = upstreams_[upstream].idle;
  TimePoint now = Clock::now();
  while (!idle.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(idle.back());
    idle.pop_back();
    if (now - conn->idle_since < kProbeAfter) {
      conn->reused = true;
      return conn;
    }
    // An idle upstream connection must have nothing to read: bytes or EOF mean the peer closed
    // it (or misbehaved), and a request sent on it would be lost.
    char probe;
    ssize_t n = ::recv(conn->socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn,
                           std::size_t max_idle) noexcept {
  // A connection of an upstream that a newer snapshot no longer has at this index is closed.
  if (conn->upstream >= upstreams_.size()) return;
  auto& idle = upstreams_[conn->upstream].idle;
  if (idle.size() >= max_idle || !conn->buffer.empty()) return;  // closes conn
  conn->buffer.set_floor(0);
  conn->buffer.compact();
  conn->idle_since = Clock::now();
  idle.push_back(std::move(conn));
}

std::size_t UpstreamPool::next_endpoint(std::size_t upstream, std::size_t count) noexcept {
  std::size_t& next = upstreams_[upstream].next;
  std::size_t chosen = next % count;
  next = chosen + 1;
  return chosen;
}

awaitable<UpstreamPool::Acquired> UpstreamPool::acquire(const config::Snapshot& snapshot,
                                                        std::size_t index) {
  if (auto idle = take_idle(index)) co_return Acquired{std::move(idle)};
  const config::Upstream& upstream = snapshot.upstreams[index];
  const std::size_t attempts = upstream.endpoints.size();
  for (std::size_t i = 0; i < attempts; ++i) {
    const config::SocketAddress& ep = upstream.endpoints[next_endpoint(index, attempts)];
    boost::system::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(ep.ip, ec), ep.port);
    if (ec) continue;
    auto conn = std::make_unique<UpstreamConnection>(io_, kBufferBytes);
    conn->upstream = index;
    asio::steady_timer timer(io_);
    timer.expires_after(snapshot.timeouts.upstream_connect);
    bool timed_out = false;
    timer.async_wait([&timed_out, socket = &conn->socket](const boost::system::error_code& wec) {
      if (wec) return;
      timed_out = true;
      boost::system::error_code ignored;
      socket->close(ignored);
    });
    auto [cec] = co_await conn->socket.async_connect(endpoint, kNoThrow);
    timer.cancel();
    if (!cec && !timed_out) {
      conn->socket.set_option(tcp::no_delay(true), ec);
      co_return Acquired{std::move(conn)};
    }
    if (timed_out) co_return Acquired{nullptr, 504, "upstream connect timeout"};
  }
  co_return Acquired{nullptr, 502, "upstream connection refused"};
}

std::size_t UpstreamPool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const auto& u : upstreams_) n += u.idle.size();
  return n;
}

}  // namespace portcullis::proxy
