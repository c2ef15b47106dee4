// BucketTable: the GCRA state (bucket) of every limited key, shared by all workers and kept
// across config reloads.
//
// Memory is fixed at construction: `capacity` slots of 16 bytes (a 64-bit key hash and a 64-bit
// TAT) in sets of kWays, whatever the traffic; a spray of millions of distinct keys cannot grow
// it. A key lives in one set chosen by its hash. Eviction, when its set is full: first a slot
// whose TAT has passed (a full bucket: forgetting it changes no decision), else the slot with
// the earliest TAT (the bucket closest to full, the least recently limited). Keys that are
// being limited hard therefore keep their slots; a new key takes over an idle one.
//
// No lock: each slot's key and TAT are atomics, and a decision is a compare-and-swap loop on the
// TAT. Safe for concurrent use by multiple threads. A slot taken over while another thread
// updates it may see one update of the old key land on the new one; that only happens when a
// set is full of keys being limited at once, and only errs by one request's cost.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "ratelimit/gcra.h"

namespace portcullis::ratelimit {

class BucketTable {
 public:
  static constexpr std::size_t kWays = 4;

  // `capacity` is rounded up to a whole number of sets (a power of two, at least one set).
  explicit BucketTable(std::size_t capacity);

  // Decides a request of `cost` for `key` (a 64-bit hash; 0 is taken as 1) under `gcra` at
  // `now_ns`, storing the new state when it is allowed.
  GcraDecision take(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
                    std::uint32_t cost = 1) noexcept;
  // Takes `cost` more tokens from `key`'s bucket whatever it holds (Gcra::charge): what later
  // stages found about an allowed request, charged after the fact.
  void charge(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
              std::uint32_t cost) noexcept;
  // The decision take() would make, without storing anything.
  GcraDecision peek(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
                    std::uint32_t cost = 1) const noexcept;

  std::size_t capacity() const noexcept { return (mask_ + 1) * kWays; }
  // The capacity a table built with `requested` has.
  static std::size_t capacity_for(std::size_t requested) noexcept {
    return std::bit_ceil(std::max<std::size_t>(1, (requested + kWays - 1) / kWays)) * kWays;
  }
  std::size_t memory() const noexcept { return sizeof(*this) + capacity() * sizeof(Slot); }
  // Keys that took over a slot whose bucket was not yet full (evictions that forgot something).
  std::uint64_t evictions() const noexcept { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<std::int64_t> tat{0};
  };

  Slot* find(std::uint64_t key) const noexcept;
  Slot* claim(std::uint64_t key, std::int64_t now_ns) noexcept;

  std::size_t mask_;  // sets - 1
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace portcullis::ratelimit
