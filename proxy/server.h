// Server: the workers and their threads, the demo upstream, the event log, and the control
// plane: the admin listener, configuration reloads (SIGHUP, file changes, POST /reload) and the
// signal-driven shutdown. The control plane runs on its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/loader.h"
#include "config/snapshot.h"
#include "proxy/dashboard.h"
#include "proxy/snapshot_source.h"

namespace portcullis::proxy {

class Worker;
class DemoUpstream;
class EventLog;
class AdminServer;

// Where reloads read the configuration from.
struct ConfigSource {
  std::string path;  // empty: the embedded default
  config::Overrides overrides;
};

// The outcome of one reload, as /config/status and POST /reload report it.
struct ReloadResult {
  bool ok = false;
  bool changed = false;               // a new snapshot was published
  std::string trigger;                // "SIGHUP", "file", "POST /reload"
  std::string error;                  // when !ok: what is wrong, with file, line and key
  std::vector<std::string> warnings;  // settings that take effect only at restart
  std::uint64_t generation = 0;
  std::string hash;
  double unix_time = 0;
};

class Server {
 public:
  Server(std::shared_ptr<const config::Snapshot> snapshot, ConfigSource source);
  ~Server();

  // Binds every listener (SO_REUSEPORT, one acceptor per worker) and the admin listener, and
  // starts the threads. Prints "portcullis: listening on http://HOST:PORT" per listener (and
  // "portcullis: admin on http://HOST:PORT") to stderr. Throws std::system_error when a
  // socket cannot be bound.
  void start();

  // Blocks until SIGTERM or SIGINT (SIGHUP reloads), then stops accepting, lets in-flight
  // requests finish up to the drain timeout and stops. Returns the process exit code. The
  // caller must have blocked those signals in every thread (block_signals) before start().
  int wait_and_drain();

  // The bound port of each listener, in config order (valid after start()).
  const std::vector<std::uint16_t>& ports() const noexcept { return ports_; }

  static void block_signals();

  // ---- control plane (its thread only)

  // Loads the configuration again and publishes it when it compiles and its listeners bind;
  // a bad one leaves the running configuration in force.
  // `superseded`, when given, is asked after a failed load: true means the file changed while
  // it was read (a writer was at work), so the failure is not reported and the next change
  // brings another reload.
  ReloadResult reload(const std::string& trigger, bool only_if_changed = false,
                      const std::function<bool()>& superseded = {});
  const ReloadResult& last_reload() const noexcept { return last_; }
  const ReloadResult& last_success() const noexcept { return last_ok_; }
  std::uint64_t reloads_ok() const noexcept { return reloads_ok_; }
  std::uint64_t reloads_failed() const noexcept { return reloads_failed_; }
  std::shared_ptr<const config::Snapshot> snapshot() const { return snapshots_.current(); }
  const ConfigSource& source() const noexcept { return source_; }
  std::string render_metrics() const;
  // The dashboard's counts of every worker over the last `span_s` seconds (/api/summary,
  // /api/report).
  void dashboard_view(Dashboard::View& into, std::int64_t now_s, std::int64_t span_s) const;
  // Each upstream's counts since the start, summed over the workers (the admin thread keeps
  // samples of them to show a window: UpstreamHistory).
  std::vector<UpstreamWindow> upstream_totals() const;
  EventLog& event_log() noexcept { return *log_; }
  bool draining() const noexcept { return draining_.load(); }

 private:
  struct BoundListener {
    std::uint16_t port = 0;
    std::shared_ptr<const config::TlsServerContext> tls;
    std::uint16_t slot = 0;
  };
  // Binds the listeners `next` has and the running set lacks, and tells the workers about
  // changed and removed ones. Returns an error (nothing changed) or empty.
  std::string apply_listeners(const config::Snapshot& next);
  // `snapshot` as the workers get it: when its last user lets go, on whatever thread, it is
  // destroyed on the control thread. Freeing a compiled rule set takes milliseconds and a Redis
  // store joins its thread: not work for a worker between two requests.
  std::shared_ptr<const config::Snapshot> retired_on_control(
      std::shared_ptr<const config::Snapshot> snapshot);

  ConfigSource source_;
  SnapshotSource snapshots_;
  std::unique_ptr<EventLog> log_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<DemoUpstream> demo_;
  std::vector<std::uint16_t> ports_;
  std::map<std::string, BoundListener> listeners_;  // by configured address

  std::unique_ptr<AdminServer> admin_;  // the control plane's event loop, admin listener, watcher
  std::thread control_thread_;
  // While set, snapshots released by workers go to the control thread to be destroyed; cleared
  // when the server stops (the last ones are then destroyed where they are released).
  std::atomic<bool> control_running_{false};
  std::atomic<bool> draining_{false};

  ReloadResult last_;
  ReloadResult last_ok_;
  std::uint64_t reloads_ok_ = 0;
  std::uint64_t reloads_failed_ = 0;
  std::uint64_t generation_ = 1;
  std::string last_attempt_hash_;  // of the config text last loaded (or tried)
};

}  // namespace portcullis::proxy
