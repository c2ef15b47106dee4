// Server: the workers, their threads, the demo upstream, and the signal-driven shutdown.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "config/snapshot.h"
#include "proxy/snapshot_source.h"

namespace portcullis::proxy {

class Worker;
class DemoUpstream;

class Server {
 public:
  explicit Server(std::shared_ptr<const config::Snapshot> snapshot);
  ~Server();

  // Binds every listener (SO_REUSEPORT, one acceptor per worker) and starts the threads.
  // Prints one "portcullis: listening on http://HOST:PORT" line per listener to stderr.
  // Throws std::system_error when a socket cannot be bound.
  void start();

  // Blocks until SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish up to
  // the drain timeout and stops. Returns the process exit code. The caller must have blocked
  // those signals in every thread (block_signals) before start().
  int wait_and_drain();

  // The bound port of each listener, in config order (valid after start()).
  const std::vector<std::uint16_t>& ports() const noexcept { return ports_; }

  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and the threads it starts later),
  // so that wait_and_drain() receives them; ignores SIGPIPE.
  static void block_signals();

 private:
  SnapshotSource snapshots_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::unique_ptr<DemoUpstream> demo_;
  std::vector<std::uint16_t> ports_;
};

}  // namespace portcullis::proxy
