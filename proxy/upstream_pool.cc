#include "proxy/upstream_pool.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cerrno>

#include "config/snapshot.h"
#include "proxy/metrics.h"
#include "proxy/tls.h"

namespace portcullis::proxy {

UpstreamConnection::UpstreamConnection(asio::io_context& io, std::size_t buffer_bytes)
    : socket(io), buffer(buffer_bytes) {}

UpstreamConnection::~UpstreamConnection() {
  // Closed without close_notify (nothing waits on the upstream's reply), but marked as shut
  // down: OpenSSL otherwise makes the session unresumable, and the pool keeps it for reuse.
  if (tls) SSL_set_shutdown(tls->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

tcp::socket& UpstreamConnection::lowest() noexcept { return tls ? tls->next_layer() : socket; }

void UpstreamPool::PerUpstream::SessionFree::operator()(ssl_session_st* s) const noexcept {
  SSL_SESSION_free(s);
}

void UpstreamPool::use_snapshot(const config::Snapshot* snapshot) {
  if (snapshot == snapshot_) return;
  std::deque<PerUpstream> next(snapshot->upstreams.size());
  if (snapshot_ != nullptr) {
    for (std::size_t i = 0; i < next.size(); ++i) {
      const config::Upstream& up = snapshot->upstreams[i];
      for (std::size_t j = 0; j < upstreams_.size() && j < snapshot_->upstreams.size(); ++j) {
        const config::Upstream& old = snapshot_->upstreams[j];
        if (old.name != up.name || old.identity != up.identity) continue;
        next[i] = std::move(upstreams_[j]);
        for (auto& conn : next[i].idle) conn->upstream = i;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < next.size(); ++i) {
    const config::Upstream& up = snapshot->upstreams[i];
    auto& limit = next[i].concurrency;
    if (!up.concurrency) {
      limit.reset();
    } else if (!limit || limit->options() != *up.concurrency) {
      limit = std::make_shared<ratelimit::AdaptiveConcurrency>(*up.concurrency);
    }
  }
  // The limit gauges follow the controllers: those left behind are no longer reported.
  for (const auto& u : upstreams_) {
    if (u.concurrency) metrics_.upstream(u.concurrency_slot).concurrency_limit.add(-u.reported);
  }
  for (std::size_t i = 0; i < next.size(); ++i) {
    next[i].concurrency_slot = snapshot->upstreams[i].slot;
    next[i].reported = 0;
    if (next[i].concurrency) {
      next[i].reported = next[i].concurrency->limit();
      metrics_.upstream(next[i].concurrency_slot).concurrency_limit.add(next[i].reported);
    }
  }
  std::int64_t closed = 0;  // what stayed behind is closed with the old table
  for (const auto& u : upstreams_) closed += static_cast<std::int64_t>(u.idle.size());
  metrics_.upstream_idle.add(-closed);
  upstreams_ = std::move(next);
  snapshot_ = snapshot;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::take_idle(std::size_t upstream) noexcept {
  if (upstream >= upstreams_.size()) return nullptr;
  auto& idle = upstreams_[upstream].idle;
  TimePoint now = Clock::now();
  while (!idle.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(idle.back());
    idle.pop_back();
    metrics_.upstream_idle.add(-1);
    if (now - conn->idle_since < kProbeAfter) {
      conn->reused = true;
      return conn;
    }
    // An idle upstream connection must have nothing to read: bytes or EOF mean the peer closed
    // it (or misbehaved), and a request sent on it would be lost.
    char probe;
    ssize_t n = ::recv(conn->lowest().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      conn->reused = true;
      return conn;
    }
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> conn,
                           std::size_t max_idle) noexcept {
  // A connection taken under an older snapshot is closed: its index may mean another upstream.
  if (conn->snapshot != snapshot_ || conn->upstream >= upstreams_.size()) return;
  auto& idle = upstreams_[conn->upstream].idle;
  if (conn->tls) {
    // By now a TLS 1.3 upstream has sent its session tickets (they come with the first
    // response), so the session is worth keeping for the next connection.
    SSL_SESSION* session = SSL_get1_session(conn->tls->native_handle());
    if (session != nullptr && SSL_SESSION_is_resumable(session)) {
      upstreams_[conn->upstream].session.reset(session);
    } else if (session != nullptr) {
      SSL_SESSION_free(session);
    }
  }
  if (idle.size() >= max_idle || !conn->buffer.empty()) return;  // closes conn
  conn->buffer.set_floor(0);
  conn->buffer.compact();
  conn->idle_since = Clock::now();
  idle.push_back(std::move(conn));
  metrics_.upstream_idle.add(1);
}

UpstreamPool::Admission UpstreamPool::admit(std::size_t upstream) noexcept {
  Admission a;
  if (upstream >= upstreams_.size() || !upstreams_[upstream].concurrency) return a;
  PerUpstream& u = upstreams_[upstream];
  a.slot = u.concurrency_slot;
  if (!u.concurrency->try_acquire()) {
    a.refused = true;
    metrics_.upstream(a.slot).shed.add();
    return a;
  }
  a.limit = u.concurrency;
  a.index = upstream;
  a.snapshot = snapshot_;
  a.since = Clock::now();
  return a;
}

void UpstreamPool::finish(Admission& a, int status) noexcept {
  if (!a.limit) return;
  using Outcome = ratelimit::AdaptiveConcurrency::Outcome;
  const Outcome outcome = status == 0                                       ? Outcome::kIgnore
                          : status == 502 || status == 503 || status == 504 ? Outcome::kOverload
                                                                            : Outcome::kSuccess;
  a.limit->release(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - a.since).count(),
      outcome);
  // Report the limit when the controller is still the one this pool has.
  if (a.snapshot == snapshot_ && a.index < upstreams_.size() &&
      upstreams_[a.index].concurrency == a.limit) {
    PerUpstream& u = upstreams_[a.index];
    const std::int64_t now = a.limit->limit();
    metrics_.upstream(u.concurrency_slot).concurrency_limit.add(now - u.reported);
    u.reported = now;
  }
  a.limit.reset();
}

std::size_t UpstreamPool::next_endpoint(std::size_t upstream, std::size_t count) noexcept {
  std::size_t& next = upstreams_[upstream].next;
  std::size_t chosen = next % count;
  next = chosen + 1;
  return chosen;
}

awaitable<UpstreamPool::Acquired> UpstreamPool::acquire(const config::Snapshot& snapshot,
                                                        std::size_t index, bool count_request) {
  const config::Upstream& upstream = snapshot.upstreams[index];
  WorkerMetrics::PerUpstream& m = metrics_.upstream(upstream.slot);
  if (count_request) m.requests.add();
  if (&snapshot == snapshot_) {
    if (auto idle = take_idle(index)) {
      m.connections_reused.add();
      co_return Acquired{std::move(idle)};
    }
  }
  const std::size_t attempts = upstream.endpoints.size();
  for (std::size_t i = 0; i < attempts; ++i) {
    const config::SocketAddress& ep = upstream.endpoints[next_endpoint(index, attempts)];
    boost::system::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(ep.ip, ec), ep.port);
    if (ec) continue;
    auto conn = std::make_unique<UpstreamConnection>(io_, kBufferBytes);
    conn->upstream = index;
    conn->snapshot = &snapshot;
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
      m.connections_opened.add();
      if (!upstream.tls) co_return Acquired{std::move(conn)};
      auto tls = co_await handshake(snapshot, index, std::move(conn->socket));
      if (!tls.stream) {
        m.errors[static_cast<std::size_t>(tls.status == 504 ? UpstreamError::kTimeout
                                                            : UpstreamError::kTls)]
            .add();
        co_return Acquired{nullptr, tls.status, tls.detail};
      }
      conn->tls = std::move(tls.stream);
      co_return Acquired{std::move(conn)};
    }
    if (timed_out) {
      m.errors[static_cast<std::size_t>(UpstreamError::kTimeout)].add();
      co_return Acquired{nullptr, 504, "upstream connect timeout"};
    }
  }
  m.errors[static_cast<std::size_t>(UpstreamError::kConnect)].add();
  co_return Acquired{nullptr, 502, "upstream connection refused"};
}

awaitable<UpstreamPool::Handshake> UpstreamPool::handshake(const config::Snapshot& snapshot,
                                                           std::size_t index, tcp::socket socket) {
  const config::Upstream& upstream = snapshot.upstreams[index];
  SSL_CTX* native = upstream.tls->context();
  SSL_CTX_up_ref(native);
  asio::ssl::context context(native);  // owns the reference taken just above
  auto stream = std::make_unique<TlsStream>(std::move(socket), context);
  SSL* ssl = stream->native_handle();
  if (!upstream.server_name.empty()) {
    SSL_set_tlsext_host_name(ssl, upstream.server_name.c_str());
    SSL_set1_host(ssl, upstream.server_name.c_str());
  } else {
    boost::system::error_code ec;
    std::string ip = stream->next_layer().remote_endpoint(ec).address().to_string();
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.c_str());
  }
  if (index < upstreams_.size() && upstreams_[index].session) {
    SSL_set_session(ssl, upstreams_[index].session.get());
  }
  asio::steady_timer timer(io_);
  timer.expires_after(snapshot.timeouts.upstream_connect);
  bool timed_out = false;
  timer.async_wait([&timed_out, s = stream.get()](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    s->next_layer().cancel(ignored);
  });
  auto [ec] = co_await stream->async_handshake(asio::ssl::stream_base::client, kNoThrow);
  timer.cancel();
  if (timed_out) co_return Handshake{nullptr, 504, "upstream TLS handshake timeout"};
  if (ec) co_return Handshake{nullptr, 502, "upstream TLS handshake failed (certificate?)"};
  if (upstream.protocol == config::UpstreamProtocol::kH2) {
    const unsigned char* alpn = nullptr;
    unsigned int alpn_len = 0;
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len != 2 || alpn[0] != 'h' || alpn[1] != '2') {
      co_return Handshake{nullptr, 502, "upstream did not agree to HTTP/2 (ALPN)"};
    }
  }
  co_return Handshake{std::move(stream)};
}

std::size_t UpstreamPool::idle_count() const noexcept {
  std::size_t n = 0;
  for (const auto& u : upstreams_) n += u.idle.size();
  return n;
}

}  // namespace portcullis::proxy
