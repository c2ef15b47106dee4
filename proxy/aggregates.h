// Bounded aggregates for the security dashboard (issue: the admin listener's /api/summary):
// counts over time in fixed buckets, and the most frequent items of a stream in a fixed number
// of counters. Memory is fixed at construction whatever the traffic.
//
// Not thread-safe: each worker keeps its own and the admin thread merges copies taken under the
// worker's own lock (never shared between workers).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::proxy {

// Counts per time bucket: `buckets` buckets of `width_s` seconds each, the last one being the
// current one. Time moves only forward; a bucket is zeroed when time comes round to it again.
class TimeBuckets {
 public:
  TimeBuckets(std::size_t buckets, std::int64_t width_s);

  // Adds `n` at `now_s` (seconds since the epoch). A time before the oldest bucket is dropped.
  void add(std::int64_t now_s, std::uint64_t n = 1);
  // The counts of the buckets, oldest first, as of `now_s` (buckets that time has passed
  // without an add are zero). The last is the bucket `now_s` falls in.
  std::vector<std::uint64_t> series(std::int64_t now_s) const;
  // Adds another's counts (of the same shape) into this one.
  void merge(const TimeBuckets& other);

  std::size_t size() const noexcept { return counts_.size(); }
  std::int64_t width_s() const noexcept { return width_s_; }

 private:
  void advance(std::int64_t bucket);

  std::vector<std::uint64_t> counts_;
  std::int64_t width_s_;
  std::int64_t head_ = -1;  // the absolute bucket number of the newest bucket; -1: none yet
};

// The most frequent items of a stream, by the Space-Saving algorithm (Metwally et al.): `k`
// counters. An item counted more than N/k times (N: everything counted) is always among them;
// each entry's count overstates its true count by at most its `error`.
class TopK {
 public:
  explicit TopK(std::size_t k);

  // Counts `n` more of `item` (its first `kMaxItem` bytes). A non-empty `detail` (a rule's
  // message: its first `kMaxItem` bytes) is kept with the item, the last one given.
  void add(std::string_view item, std::uint64_t n = 1, std::string_view detail = {});
  struct Entry {
    std::string item;
    std::string detail;
    std::uint64_t count = 0;
    std::uint64_t error = 0;  // count - error <= the true count <= count
  };
  // The entries, most frequent first.
  std::vector<Entry> top(std::size_t n) const;
  // Adds another summary into this one (its entries counted as added here), keeping k.
  void merge(const TopK& other);
  // Forgets everything counted, keeping the counters' storage.
  void clear() noexcept;

  std::uint64_t total() const noexcept { return total_; }
  std::size_t capacity() const noexcept { return k_; }
  static constexpr std::size_t kMaxItem = 128;

 private:
  // Counts `n` more of `item` (add() without the total); the entry that holds it.
  Entry& count(std::string_view item, std::uint64_t n, std::string_view detail);

  std::size_t k_;
  std::vector<Entry> entries_;  // the first used_ are counting; at most k_
  std::size_t used_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace portcullis::proxy
