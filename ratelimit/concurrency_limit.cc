#include "ratelimit/concurrency_limit.h"

#include <algorithm>
#include <cmath>

namespace portcullis::ratelimit {

AdaptiveConcurrency::AdaptiveConcurrency(const ConcurrencyOptions& options) noexcept
    : options_(options), limit_(std::clamp(options.initial, options.min, options.max)) {}

bool AdaptiveConcurrency::try_acquire() noexcept {
  if (in_flight_ >= static_cast<int>(limit_)) return false;
  ++in_flight_;
  return true;
}

void AdaptiveConcurrency::release(std::int64_t latency_ns, Outcome outcome) noexcept {
  // Whether the traffic used the limit: a limit nobody reaches must not keep growing.
  const bool busy = in_flight_ >= limit_ / 2;
  if (in_flight_ > 0) --in_flight_;
  if (outcome == Outcome::kIgnore) return;
  double next = limit_;
  if (outcome == Outcome::kOverload) {
    next = limit_ * options_.backoff;
  } else {
    const double rtt = static_cast<double>(std::max<std::int64_t>(1, latency_ns));
    if (samples_++ == 0) {
      long_ns_ = short_ns_ = rtt;
    } else {
      long_ns_ +=
          (rtt - long_ns_) / std::min<double>(static_cast<double>(samples_), options_.long_window);
      short_ns_ += (rtt - short_ns_) /
                   std::min<double>(static_cast<double>(samples_), options_.short_window);
    }
    // The upstream recovered from a slow spell: let the baseline come down quickly.
    if (long_ns_ > 2 * short_ns_) long_ns_ *= 0.95;
    const double gradient = std::clamp(options_.tolerance * long_ns_ / short_ns_, 0.5, 1.0);
    const double estimate = limit_ * gradient + std::sqrt(limit_);
    if (estimate > limit_ && !busy) return;
    next = limit_ * (1 - options_.smoothing) + estimate * options_.smoothing;
  }
  limit_ = std::clamp(next, options_.min, options_.max);
}

}  // namespace portcullis::ratelimit
