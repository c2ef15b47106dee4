// GCRA, the generic cell rate algorithm: the exact form of a token bucket with one 64-bit state
// per key, the theoretical arrival time (TAT) of the next request if the client sent at exactly
// the limit. A bucket of `burst` requests refilled at `rate` per second allows a request of
// cost c at time `now` when  max(TAT, now) + c·T − burst·T <= now,  T = 1/rate, and then
// TAT := max(TAT, now) + c·T. A TAT at or before `now` is a full bucket: a key whose TAT has
// passed can be forgotten without changing any decision.
#pragma once

#include <algorithm>
#include <cstdint>

namespace portcullis::ratelimit {

struct GcraDecision {
  bool allowed = false;
  std::int64_t tat_ns = 0;          // the state to store (unchanged when refused)
  std::uint32_t remaining = 0;      // unit-cost requests still allowed right now
  std::int64_t retry_after_ns = 0;  // refused: when this request would be allowed
  std::int64_t reset_ns = 0;        // until the bucket is full again
};

class Gcra {
 public:
  // `requests` per `period_ns`, bursts of up to `burst` (at least 1).
  constexpr Gcra(std::uint64_t requests, std::int64_t period_ns, std::uint32_t burst) noexcept
      : emission_ns_(std::max<std::int64_t>(
            1, period_ns / static_cast<std::int64_t>(std::max<std::uint64_t>(1, requests)))),
        burst_(std::max<std::uint32_t>(1, burst)),
        window_ns_(emission_ns_ * static_cast<std::int64_t>(burst_)) {}

  // The decision for a request of `cost` (clamped to 1..burst) at `now_ns` given the stored
  // `tat_ns` (0: a key never seen). Pure: safe for concurrent use.
  constexpr GcraDecision decide(std::int64_t tat_ns, std::int64_t now_ns,
                                std::uint32_t cost = 1) const noexcept {
    cost = std::clamp<std::uint32_t>(cost, 1, burst_);
    const std::int64_t tat = std::max(tat_ns, now_ns);
    const std::int64_t new_tat = tat + emission_ns_ * static_cast<std::int64_t>(cost);
    const std::int64_t allow_at = new_tat - window_ns_;
    GcraDecision d;
    if (now_ns < allow_at) {
      d.allowed = false;
      d.tat_ns = tat_ns;
      d.retry_after_ns = allow_at - now_ns;
      d.remaining = 0;
      d.reset_ns = tat - now_ns;
      return d;
    }
    d.allowed = true;
    d.tat_ns = new_tat;
    d.remaining = static_cast<std::uint32_t>((now_ns - allow_at) / emission_ns_);
    d.reset_ns = new_tat - now_ns;
    return d;
  }

  // The state after `cost` more tokens are taken unconditionally at `now_ns` (a charge after the
  // fact), never further than an empty bucket: a charge can refuse the next requests for at
  // most the time the bucket takes to fill.
  constexpr std::int64_t charge(std::int64_t tat_ns, std::int64_t now_ns,
                                std::uint32_t cost) const noexcept {
    const std::int64_t tat =
        std::max(tat_ns, now_ns) + emission_ns_ * static_cast<std::int64_t>(cost);
    return std::min(tat, now_ns + window_ns_);
  }

  std::int64_t emission_ns() const noexcept { return emission_ns_; }
  std::uint32_t burst() const noexcept { return burst_; }
  std::int64_t window_ns() const noexcept { return window_ns_; }

 private:
  std::int64_t emission_ns_;  // T
  std::uint32_t burst_;
  std::int64_t window_ns_;  // burst·T: how far ahead of now the TAT may run
};

}  // namespace portcullis::ratelimit
