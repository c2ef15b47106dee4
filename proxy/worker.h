// Worker: one thread with its own io_context, its own SO_REUSEPORT acceptors and its own
// upstream pools. Nothing in a worker is shared with another worker but the SnapshotSource.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "proxy/asio.h"
#include "proxy/snapshot_source.h"
#include "proxy/upstream_pool.h"

namespace portcullis::proxy {

// What the worker needs of a live session: a way to end it when draining.
class SessionLink {
 public:
  virtual ~SessionLink() = default;
  // Called on the worker's thread when the worker starts draining. A session waiting for its
  // next request closes now; one in the middle of a request closes after its response.
  virtual void on_drain() noexcept = 0;

 private:
  friend class Worker;
  SessionLink* prev_ = nullptr;
  SessionLink* next_ = nullptr;
};

class H2UpstreamPool;

class Worker {
 public:
  Worker(int index, SnapshotSource& snapshots);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int index() const noexcept { return index_; }
  asio::io_context& io() noexcept { return io_; }
  UpstreamPool& pool() noexcept { return pool_; }
  H2UpstreamPool& h2_upstreams() noexcept { return *h2_upstreams_; }

  // The snapshot a new request uses. Worker thread only.
  const std::shared_ptr<const config::Snapshot>& snapshot() noexcept;

  // Opens an acceptor for `listener` (port 0 picks one); returns the bound port. Before run().
  std::uint16_t listen(const config::Listener& listener);

  // Runs the event loop until stop(). The thread body.
  void run();
  // Thread-safe: stops accepting and asks every session to finish (see SessionLink::on_drain).
  void begin_drain();
  // Thread-safe: ends the event loop now.
  void stop() { io_.stop(); }

  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }
  // Sessions alive on this worker; readable from any thread.
  std::size_t live_sessions() const noexcept { return live_.load(std::memory_order_relaxed); }

  // Session bookkeeping, worker thread only.
  void attach(SessionLink* session) noexcept;
  void detach(SessionLink* session) noexcept;

  // Failed TLS handshakes (plain HTTP on a TLS port, truncated or refused handshakes).
  std::atomic<std::uint64_t> tls_handshake_failures{0};

  // Writes a new 16-hex-digit request id into `out`. Worker thread only.
  void next_request_id(char (&out)[16]) noexcept;

 private:
  struct Acceptor {
    std::unique_ptr<tcp::acceptor> acceptor;
    std::shared_ptr<const config::TlsServerContext> tls;
  };
  awaitable<void> accept_loop(Acceptor& acceptor);

  int index_;
  SnapshotSource& snapshots_;
  asio::io_context io_;
  std::vector<Acceptor> acceptors_;
  UpstreamPool pool_;
  std::unique_ptr<H2UpstreamPool> h2_upstreams_;
  std::shared_ptr<const config::Snapshot> snapshot_;
  std::uint64_t generation_ = ~std::uint64_t{0};
  SessionLink* sessions_ = nullptr;
  std::atomic<std::size_t> live_{0};
  std::atomic<bool> draining_{false};
  std::uint64_t id_seed_;
  std::uint64_t id_counter_ = 0;
};

// Starts serving one accepted client connection on `worker` (defined in http1_session.cc).
void start_http1_session(Worker& worker, tcp::socket socket);

// Serves HTTP/2 on a plain connection whose first bytes (`initial`, the client preface
// included) were already read (defined in h2_session.cc).
void start_h2_session(Worker& worker, tcp::socket socket, std::string initial);

// Runs the TLS handshake on an accepted connection, then serves it (defined in
// tls_handshake.cc).
void start_tls_handshake(Worker& worker, tcp::socket socket,
                         std::shared_ptr<const config::TlsServerContext> tls);

}  // namespace portcullis::proxy
