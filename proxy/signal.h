// Signal: a wake-up between coroutines of one thread. wait() returns after notify(); a notify()
// with no waiter is lost, so a waiter checks its condition before every wait.
#pragma once

#include "core/clock.h"
#include "proxy/asio.h"

namespace portcullis::proxy {

class Signal {
 public:
  explicit Signal(asio::io_context& io) : timer_(io, TimePoint::max()) {}
  awaitable<void> wait() { co_await timer_.async_wait(kNoThrow); }
  void notify() noexcept { timer_.cancel(); }

 private:
  asio::steady_timer timer_;
};

}  // namespace portcullis::proxy
