// DemoUpstream: the built-in origin of the embedded default config, so that a first run
// answers at once. It replies to every request with 200 text/plain describing what it received
// (method, target, headers), which shows what the proxy added and removed.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "config/snapshot.h"

namespace portcullis::proxy {

class DemoUpstream {
 public:
  // Binds `addr` now (throws std::system_error when it cannot) and serves on its own thread.
  explicit DemoUpstream(const config::SocketAddress& addr);
  ~DemoUpstream();  // stops and joins
  std::uint16_t port() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::thread thread_;
};

}  // namespace portcullis::proxy
