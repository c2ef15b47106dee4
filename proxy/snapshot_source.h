// SnapshotSource: where workers get the current config snapshot. Publishing is control plane
// (takes a mutex); a worker only takes the mutex when the generation moved since its last look,
// so the request path shares nothing but one relaxed atomic read.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "config/snapshot.h"

namespace portcullis::proxy {

class SnapshotSource {
 public:
  explicit SnapshotSource(std::shared_ptr<const config::Snapshot> initial)
      : current_(std::move(initial)) {}

  // Thread-safe. In-flight requests keep the snapshot they started with.
  void publish(std::shared_ptr<const config::Snapshot> next) {
    std::lock_guard lock(mu_);
    current_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_release);
  }
  std::uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const config::Snapshot> current() const {
    std::lock_guard lock(mu_);
    return current_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const config::Snapshot> current_;
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace portcullis::proxy
