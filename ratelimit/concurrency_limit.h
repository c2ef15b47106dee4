// Upstream protection: a concurrency limit that adapts to what the upstream's latency and
// errors say about its queue (docs/ratelimit.md "Upstream protection").
//
// The controller is a gradient controller after Netflix's concurrency-limits (Gradient2): it
// keeps a long-term average of request latency (the upstream's latency without a queue) and a
// short-term one (its latency now). While the short-term latency stays within `tolerance` times
// the long-term one, the limit grows by about its square root per sample (room for a queue), as
// long as the traffic uses at least half of it. When latency rises past that, the limit is
// multiplied by the gradient  tolerance × long / short  (at least 0.5): a queue is building, so
// fewer requests go in. An overload error (502, 503 or 504, from the upstream or because it
// could not be reached) multiplies the limit by `backoff`, as AIMD does. Each change is smoothed,
// and the limit stays within [min, max]. A sustained new latency becomes the new normal as the
// long-term average follows it; a long-term average far above the short-term one decays faster,
// so the limit recovers soon after the upstream does.
//
// Requests past the limit are refused with 503 and Retry-After before they reach the upstream.
// Not thread-safe: each worker keeps its own per upstream, so a process's limit is the sum of
// its workers'.
#pragma once

#include <cstdint>

namespace portcullis::ratelimit {

struct ConcurrencyOptions {
  double initial = 20;
  double min = 4;
  double max = 1000;
  double tolerance = 2.0;           // short/long latency ratio taken as "no queue"
  double smoothing = 0.2;           // weight of a new estimate
  double backoff = 0.9;             // factor on an overload error
  std::uint32_t long_window = 600;  // samples of the long-term average
  std::uint32_t short_window = 10;  // samples of the short-term average
  std::uint32_t retry_after_s = 1;

  bool operator==(const ConcurrencyOptions&) const = default;
};

class AdaptiveConcurrency {
 public:
  explicit AdaptiveConcurrency(const ConcurrencyOptions& options) noexcept;

  // Takes a slot for one request; false when the limit is reached (shed it).
  bool try_acquire() noexcept;
  enum class Outcome : std::uint8_t {
    kSuccess,   // answered: its latency is a sample
    kOverload,  // 502/503/504: the upstream is struggling
    kIgnore,    // abandoned by the client: no sample
  };
  // Gives the slot back, with the request's latency in nanoseconds.
  void release(std::int64_t latency_ns, Outcome outcome) noexcept;

  int limit() const noexcept { return static_cast<int>(limit_); }
  int in_flight() const noexcept { return in_flight_; }
  const ConcurrencyOptions& options() const noexcept { return options_; }
  double long_latency_ns() const noexcept { return long_ns_; }
  double short_latency_ns() const noexcept { return short_ns_; }

 private:
  ConcurrencyOptions options_;
  double limit_;
  int in_flight_ = 0;
  double long_ns_ = 0;
  double short_ns_ = 0;
  std::uint64_t samples_ = 0;
};

}  // namespace portcullis::ratelimit
