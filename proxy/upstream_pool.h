// UpstreamPool: one worker's keep-alive connections to its upstreams. Not thread-safe: each
// worker owns one and uses it from its own thread only. Bounded: at most `max_idle` idle
// connections per upstream; a connection released beyond that is closed.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

#include "core/clock.h"
#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "ratelimit/concurrency_limit.h"

struct ssl_session_st;  // OpenSSL's SSL_SESSION

namespace boost::asio::ssl {
template <typename Stream>
class stream;
}

namespace portcullis::config {
struct Snapshot;
struct Upstream;
}  // namespace portcullis::config

namespace portcullis::proxy {

// One connection to an upstream, plain or TLS. It is an Asio stream itself (read and write go to
// whichever layer is on top), so that the session code is the same for both; the member
// templates are defined in proxy/tls.h, which the sessions include.
struct UpstreamConnection {
  UpstreamConnection(asio::io_context& io, std::size_t buffer_bytes);
  ~UpstreamConnection();
  tcp::socket socket;  // the connection; moved into `tls` by a TLS handshake
  std::unique_ptr<asio::ssl::stream<tcp::socket>> tls;
  Buffer buffer;
  std::size_t upstream = 0;                    // index in `snapshot`'s upstreams
  const config::Snapshot* snapshot = nullptr;  // the snapshot it was opened under
  bool reused = false;  // taken from the idle set rather than freshly connected
  TimePoint idle_since{};

  // The TCP socket, under TLS or not: for cancel, close and the liveness probe.
  tcp::socket& lowest() noexcept;

  using executor_type = tcp::socket::executor_type;
  executor_type get_executor() noexcept { return lowest().get_executor(); }
  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token);
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token);
};

class WorkerMetrics;

class UpstreamPool {
 public:
  UpstreamPool(asio::io_context& io, WorkerMetrics& metrics) : io_(io), metrics_(metrics) {}

  // Follows a new snapshot: upstream indexes belong to one snapshot. The idle connections (and
  // TLS session) of an upstream that the new snapshot has too, with the same identity, move to
  // its new index; the others are closed.
  void use_snapshot(const config::Snapshot* snapshot);

  // An idle connection to `upstream` that the peer has not closed, or nullptr. A connection
  // idle for longer than kProbeAfter is probed (one non-blocking peek) first; one used moments
  // ago is taken as it is, and a bodiless request that meets a closed one is retried.
  std::unique_ptr<UpstreamConnection> take_idle(std::size_t upstream) noexcept;

  // Keeps `conn` for reuse, or closes it when `max_idle` are already kept.
  void release(std::unique_ptr<UpstreamConnection> conn, std::size_t max_idle) noexcept;

  // Round-robin choice among `count` endpoints of `upstream`.
  std::size_t next_endpoint(std::size_t upstream, std::size_t count) noexcept;

  // A connection to upstream `index` of `snapshot`: an idle one when there is one, else a new
  // one to the next endpoint (trying each endpoint once), TLS-handshaken when the upstream has
  // `tls`. On failure `status` is 502 (refused everywhere, TLS refused) or 504 (connect or
  // handshake timeout) and `detail` says which.
  struct Acquired {
    std::unique_ptr<UpstreamConnection> conn;
    int status = 0;
    std::string_view detail;
  };
  // `count_request`: count a request to the upstream (portcullis_upstream_requests_total); the
  // HTTP/2 pool counts its streams itself.
  awaitable<Acquired> acquire(const config::Snapshot& snapshot, std::size_t index,
                              bool count_request = true);

  // Read buffer of a new upstream connection. A response head that does not fit grows it, up
  // to limits.response_header_bytes plus this much: most heads are small, and a worker may
  // hold hundreds of upstream connections.
  static constexpr std::size_t kBufferBytes = 16 * 1024;

  std::size_t idle_count() const noexcept;

  // A slot of `upstream`'s adaptive concurrency limit for one request. `held` is false when the
  // upstream has no limit (nothing to release) or it is reached (`refused`: shed the request).
  // The slot is given back by finish(), with the request's latency and final status.
  struct Admission {
    std::shared_ptr<ratelimit::AdaptiveConcurrency> limit;
    std::size_t index = 0;
    const config::Snapshot* snapshot = nullptr;
    std::uint16_t slot = 0;  // the upstream's metric slot
    TimePoint since{};
    bool refused = false;
  };
  Admission admit(std::size_t upstream) noexcept;
  // `status`: what the client was sent (0: nothing, the client went away).
  void finish(Admission& admission, int status) noexcept;

  static constexpr Duration kProbeAfter = std::chrono::milliseconds(100);

 private:
  struct PerUpstream {
    std::deque<std::unique_ptr<UpstreamConnection>> idle;
    std::size_t next = 0;
    // The last resumable TLS session of this upstream: new connections resume it, which costs
    // the upstream a fraction of a full handshake.
    struct SessionFree {
      void operator()(ssl_session_st* s) const noexcept;
    };
    std::unique_ptr<ssl_session_st, SessionFree> session;
    // Shared with the admissions of requests in flight, which may outlive a snapshot change.
    std::shared_ptr<ratelimit::AdaptiveConcurrency> concurrency;
    std::uint16_t concurrency_slot = 0;  // the upstream's metric slot
    std::int64_t reported = 0;           // the limit the gauge holds for it
  };
  struct Handshake {
    std::unique_ptr<asio::ssl::stream<tcp::socket>> stream;
    int status = 0;
    std::string_view detail;
  };
  awaitable<Handshake> handshake(const config::Snapshot& snapshot, std::size_t index,
                                 tcp::socket socket);

  asio::io_context& io_;
  WorkerMetrics& metrics_;
  const config::Snapshot* snapshot_ = nullptr;
  std::deque<PerUpstream> upstreams_;  // deque: PerUpstream is not cheaply movable
};

}  // namespace portcullis::proxy
