#include "proxy/aggregates.h"

#include <algorithm>

namespace portcullis::proxy {

TimeBuckets::TimeBuckets(std::size_t buckets, std::int64_t width_s)
    : counts_(std::max<std::size_t>(1, buckets), 0), width_s_(std::max<std::int64_t>(1, width_s)) {}

void TimeBuckets::advance(std::int64_t bucket) {
  if (head_ < 0) {
    head_ = bucket;
    return;
  }
  if (bucket <= head_) return;
  const auto n = static_cast<std::int64_t>(counts_.size());
  // Zero the buckets time passed over (all of them after a long pause).
  for (std::int64_t b = head_ + 1; b <= bucket && b <= head_ + n; ++b) {
    counts_[static_cast<std::size_t>(b % n)] = 0;
  }
  head_ = bucket;
}

void TimeBuckets::add(std::int64_t now_s, std::uint64_t n) {
  const std::int64_t bucket = now_s / width_s_;
  advance(bucket);
  const auto size = static_cast<std::int64_t>(counts_.size());
  if (bucket <= head_ - size) return;  // older than the oldest bucket
  counts_[static_cast<std::size_t>(bucket % size)] += n;
}

std::vector<std::uint64_t> TimeBuckets::series(std::int64_t now_s) const {
  const auto size = static_cast<std::int64_t>(counts_.size());
  const std::int64_t newest = now_s / width_s_;
  std::vector<std::uint64_t> out(counts_.size(), 0);
  for (std::int64_t i = 0; i < size; ++i) {
    const std::int64_t b = newest - (size - 1) + i;
    // A bucket is valid when it is no newer than head_ and not yet overwritten.
    if (head_ < 0 || b > head_ || b <= head_ - size) continue;
    out[static_cast<std::size_t>(i)] = counts_[static_cast<std::size_t>(b % size)];
  }
  return out;
}

void TimeBuckets::merge(const TimeBuckets& other) {
  if (other.head_ < 0 || other.counts_.size() != counts_.size() || other.width_s_ != width_s_) {
    return;
  }
  advance(other.head_);
  const auto size = static_cast<std::int64_t>(counts_.size());
  for (std::int64_t b = other.head_ - size + 1; b <= other.head_; ++b) {
    if (b < 0 || b <= head_ - size) continue;
    counts_[static_cast<std::size_t>(b % size)] +=
        other.counts_[static_cast<std::size_t>(b % size)];
  }
}

TopK::TopK(std::size_t k) : k_(std::max<std::size_t>(1, k)) { entries_.reserve(k_); }

void TopK::clear() noexcept {
  used_ = 0;
  total_ = 0;
}

void TopK::add(std::string_view item, std::uint64_t n, std::string_view detail) {
  total_ += n;
  count(item, n, detail);
}

TopK::Entry& TopK::count(std::string_view item, std::uint64_t n, std::string_view detail) {
  item = item.substr(0, kMaxItem);
  detail = detail.substr(0, kMaxItem);
  for (std::size_t i = 0; i < used_; ++i) {
    Entry& e = entries_[i];
    if (e.item == item) {
      e.count += n;
      if (!detail.empty()) e.detail.assign(detail);
      return e;
    }
  }
  Entry* slot = nullptr;
  if (used_ < k_) {
    // A free counter: one left by clear() keeps its storage, a new one reserves the most an
    // item and a detail take, so that reusing it never allocates.
    if (used_ == entries_.size()) {
      entries_.emplace_back();
      entries_.back().item.reserve(kMaxItem);
    }
    slot = &entries_[used_++];
    slot->count = 0;
  } else {
    // Full: the item takes over the smallest counter, inheriting its count as its error.
    slot =
        &*std::min_element(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(used_),
                           [](const Entry& a, const Entry& b) { return a.count < b.count; });
  }
  if (!detail.empty() && slot->detail.capacity() < kMaxItem) slot->detail.reserve(kMaxItem);
  slot->item.assign(item);
  slot->detail.assign(detail);
  slot->error = slot->count;
  slot->count += n;
  return *slot;
}

std::vector<TopK::Entry> TopK::top(std::size_t n) const {
  std::vector<Entry> out(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(used_));
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.count != b.count ? a.count > b.count : a.item < b.item;
  });
  if (out.size() > n) out.resize(n);
  return out;
}

void TopK::merge(const TopK& other) {
  for (std::size_t i = 0; i < other.used_; ++i) {
    const Entry& e = other.entries_[i];
    // Its count, and the other summary's uncertainty along with it.
    count(e.item, e.count, e.detail).error += e.error;
  }
  total_ += other.total_;
}

}  // namespace portcullis::proxy
