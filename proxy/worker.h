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
#include "proxy/dashboard.h"
#include "proxy/metrics.h"
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
class EventLog;
struct TlsFingerprints;
class Worker;

// One request as the metrics and the access log see it; recorded when it goes out of scope.
// Sessions keep one per request and fill it in as they learn more.
struct RequestRecord {
  RequestRecord(Worker& worker, std::uint16_t listener, Protocol protocol) noexcept
      : worker(worker), listener(listener), protocol(protocol) {}
  ~RequestRecord();
  RequestRecord(const RequestRecord&) = delete;
  RequestRecord& operator=(const RequestRecord&) = delete;

  Worker& worker;
  std::uint16_t listener;
  Protocol protocol;
  TimePoint start = Clock::now();
  Exchange* ex = nullptr;  // set once the request has one
  // The route's policy, once matched: its stages' on_complete runs when the record ends. The
  // session keeps the snapshot it belongs to alive for longer than the record.
  const Pipeline* pipeline = nullptr;
  std::uint16_t route = 0;  // route label slot; 0: none matched
  int status = 0;           // the status sent; 0: no response (not recorded)
  Verdict enforced;         // the verdict that refused the request, if any
  // The upstream concurrency slot the request holds, given back when the record ends.
  UpstreamPool::Admission admission;
};

class Worker {
 public:
  Worker(int index, SnapshotSource& snapshots, EventLog& log);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int index() const noexcept { return index_; }
  asio::io_context& io() noexcept { return io_; }
  UpstreamPool& pool() noexcept { return pool_; }
  H2UpstreamPool& h2_upstreams() noexcept { return *h2_upstreams_; }

  // The snapshot a new request uses. Worker thread only.
  const std::shared_ptr<const config::Snapshot>& snapshot() noexcept;

  // Binds an SO_REUSEPORT acceptor to `address` on this worker's io_context (port 0 picks
  // one). Any thread. Throws std::system_error when it cannot.
  std::unique_ptr<tcp::acceptor> bind(const config::SocketAddress& address);
  // Starts accepting on `acceptor` for the listener configured as `key` (its address as
  // written). Any thread; takes effect on the worker's thread.
  void add_listener(std::string key, std::unique_ptr<tcp::acceptor> acceptor,
                    std::shared_ptr<const config::TlsServerContext> tls, std::uint16_t slot);
  // A reload changed the listener's TLS (new certificates): new connections use `tls`,
  // established ones keep theirs. Any thread.
  void update_listener(std::string key, std::shared_ptr<const config::TlsServerContext> tls,
                       std::uint16_t slot);
  // Stops accepting on the listener; its connections go on. Any thread.
  void remove_listener(std::string key);

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

  WorkerMetrics& metrics() noexcept { return *metrics_; }
  // This worker's share of the dashboard (/api/summary).
  const Dashboard& dashboard() const noexcept { return *dashboard_; }
  const WorkerMetrics& metrics() const noexcept { return *metrics_; }

  // A stage's verdict refused the request (or, `detected`, would have): counts it and queues
  // its security event. Worker thread only.
  void security_event(const Exchange& ex, const Verdict& verdict, bool detected,
                      std::uint16_t status);
  // A TLS handshake failed after the client's ClientHello was fingerprinted: queues an event
  // (stage "tls", rule "handshake_failed") with the client and its fingerprints, so that
  // clients that probe or abort handshakes are seen. Worker thread only.
  void handshake_failure(const tcp::endpoint& client, const TlsFingerprints& fingerprints,
                         std::string_view why);
  // Records a finished request (RequestRecord's destructor). Worker thread only.
  void finish_request(const RequestRecord& record);

  // Writes a new 16-hex-digit request id into `out`. Worker thread only.
  void next_request_id(char (&out)[16]) noexcept;

 private:
  struct Acceptor {
    std::string key;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::shared_ptr<const config::TlsServerContext> tls;
    std::uint16_t slot = 0;  // listener label slot
  };
  awaitable<void> accept_loop(std::shared_ptr<Acceptor> acceptor);

  int index_;
  SnapshotSource& snapshots_;
  EventLog& log_;
  std::unique_ptr<WorkerMetrics> metrics_;
  std::unique_ptr<Dashboard> dashboard_ = std::make_unique<Dashboard>();
  asio::io_context io_;
  std::vector<std::shared_ptr<Acceptor>> acceptors_;  // worker thread only
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

// Starts serving one accepted client connection of listener slot `listener` on `worker`
// (defined in http1_session.cc).
void start_http1_session(Worker& worker, std::uint16_t listener, tcp::socket socket);

// Serves HTTP/2 on a plain connection whose first bytes (`initial`, the client preface
// included) were already read (defined in h2_session.cc).
void start_h2_session(Worker& worker, std::uint16_t listener, tcp::socket socket,
                      std::string initial);

// Runs the TLS handshake on an accepted connection, then serves it (defined in
// tls_handshake.cc).
void start_tls_handshake(Worker& worker, std::uint16_t listener, tcp::socket socket,
                         std::shared_ptr<const config::TlsServerContext> tls);

}  // namespace portcullis::proxy
