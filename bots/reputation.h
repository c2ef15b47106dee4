// Reputation: how much each client fingerprint has been sending lately, and how much of it went
// wrong (answered 4xx/5xx or refused by a stage), so that a fingerprint that floods or probes
// gets a higher bot score than the same stack used politely. Shared by every worker and kept
// across config reloads (DESIGN.md "Threads").
//
// Memory is bounded and fixed at construction: `capacity` slots of 32 bytes, whatever the
// traffic. A fingerprint (its 64-bit hash) may live in one of two slots chosen by the hash;
// when both hold other fingerprints that were active in the last two windows it is not tracked
// (and counted as such). Eviction: a slot whose fingerprint has been idle for two windows is
// taken by the next fingerprint that hashes to it.
//
// Counts are per window (a fixed number of seconds); a rate is read over a sliding window made
// of the previous window's count, weighted by how much of it still overlaps, plus the current
// one. Updates are relaxed atomics with no lock: concurrent updates of one slot may lose a count
// at a window boundary, which a reputation can afford. Safe for concurrent use by multiple
// threads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace portcullis::bots {

class Reputation {
 public:
  // `capacity` is rounded up to a power of two (at least 2); `window_s` is at least 1.
  Reputation(std::size_t capacity, std::uint32_t window_s);

  struct Standing {
    bool tracked = false;
    double requests = 0;  // requests over the sliding window, this one included
    double errors = 0;    // of them, those that went wrong (as far as known)
  };

  // Counts one request of fingerprint `key` at `now_s` (seconds on any steady clock) and returns
  // its standing.
  Standing record_request(std::uint64_t key, std::uint32_t now_s) noexcept;
  // Counts one error of `key` (a request of it that went wrong); nothing if it is not tracked.
  void record_error(std::uint64_t key, std::uint32_t now_s) noexcept;

  // Requests of fingerprints that found no slot, since construction.
  std::uint64_t untracked() const noexcept { return untracked_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return mask_ + 1; }
  std::uint32_t window_s() const noexcept { return window_s_; }
  // Bytes held, all of them allocated by the constructor.
  std::size_t memory() const noexcept { return sizeof(*this) + capacity() * sizeof(Slot); }

  // The 64-bit key of a fingerprint text (core/word_hash.h; never 0, which marks a free slot).
  static std::uint64_t key_of(std::string_view fingerprint) noexcept;

 private:
  struct alignas(32) Slot {
    std::atomic<std::uint64_t> key{0};
    std::atomic<std::uint32_t> window{0};  // index of the window the counts below belong to
    std::atomic<std::uint32_t> requests{0};
    std::atomic<std::uint32_t> errors{0};
    std::atomic<std::uint32_t> previous_requests{0};
    std::atomic<std::uint32_t> previous_errors{0};
  };

  Slot* find(std::uint64_t key, std::uint32_t window, bool claim) noexcept;
  void roll(Slot& slot, std::uint32_t window) noexcept;

  std::size_t mask_;
  std::uint32_t window_s_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> untracked_{0};
};

}  // namespace portcullis::bots
