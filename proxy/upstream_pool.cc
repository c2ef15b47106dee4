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

std::unique_ptr<UpstreamConnection> UpstreamPool::make(std::size_t upstream,
                                                       std::size_t buffer_bytes) {
  auto conn = std::make_unique<UpstreamConnection>(io_, buffer_bytes);
  conn->upstream = upstream;
  return conn;
}

std::size_t UpstreamPool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const auto& u : upstreams_) n += u.idle.size();
  return n;
}

}  // namespace portcullis::proxy
