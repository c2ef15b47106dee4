#include "ratelimit/bucket_table.h"

#include <bit>
#include <limits>

namespace portcullis::ratelimit {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

BucketTable::BucketTable(std::size_t capacity)
    : mask_(capacity_for(capacity) / kWays - 1),
      slots_(std::make_unique<Slot[]>((mask_ + 1) * kWays)) {}

BucketTable::Slot* BucketTable::find(std::uint64_t key) const noexcept {
  Slot* set = &slots_[((key ^ (key >> 32)) & mask_) * kWays];
  for (std::size_t i = 0; i < kWays; ++i) {
    if (set[i].key.load(kRelaxed) == key) return &set[i];
  }
  return nullptr;
}

BucketTable::Slot* BucketTable::claim(std::uint64_t key, std::int64_t now_ns) noexcept {
  Slot* set = &slots_[((key ^ (key >> 32)) & mask_) * kWays];
  for (int attempt = 0; attempt < 4; ++attempt) {
    Slot* victim = nullptr;
    std::int64_t earliest = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 0; i < kWays; ++i) {
      const std::uint64_t held = set[i].key.load(kRelaxed);
      if (held == key) return &set[i];  // another thread claimed it meanwhile
      const std::int64_t tat = set[i].tat.load(kRelaxed);
      if (held == 0 || tat <= now_ns) {
        victim = &set[i];
        earliest = std::numeric_limits<std::int64_t>::min();
        break;
      }
      if (tat < earliest) {
        earliest = tat;
        victim = &set[i];
      }
    }
    std::uint64_t held = victim->key.load(kRelaxed);
    if (victim->key.compare_exchange_strong(held, key, kRelaxed)) {
      if (earliest != std::numeric_limits<std::int64_t>::min()) evictions_.fetch_add(1, kRelaxed);
      victim->tat.store(0, kRelaxed);
      return victim;
    }
  }
  return nullptr;
}

GcraDecision BucketTable::take(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
                               std::uint32_t cost) noexcept {
  if (key == 0) key = 1;
  Slot* slot = find(key);
  if (slot == nullptr) slot = claim(key, now_ns);
  // Under a storm of takeovers of one set the request is decided as a new key's: allowed unless
  // its cost exceeds the burst; nothing is stored.
  if (slot == nullptr) return gcra.decide(0, now_ns, cost);
  std::int64_t tat = slot->tat.load(kRelaxed);
  for (;;) {
    GcraDecision d = gcra.decide(tat, now_ns, cost);
    if (!d.allowed) return d;
    if (slot->tat.compare_exchange_weak(tat, d.tat_ns, kRelaxed)) return d;
  }
}

void BucketTable::charge(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
                         std::uint32_t cost) noexcept {
  if (key == 0) key = 1;
  Slot* slot = find(key);
  if (slot == nullptr) slot = claim(key, now_ns);
  if (slot == nullptr || cost == 0) return;
  std::int64_t tat = slot->tat.load(kRelaxed);
  while (!slot->tat.compare_exchange_weak(tat, gcra.charge(tat, now_ns, cost), kRelaxed)) {
  }
}

GcraDecision BucketTable::peek(std::uint64_t key, const Gcra& gcra, std::int64_t now_ns,
                               std::uint32_t cost) const noexcept {
  if (key == 0) key = 1;
  const Slot* slot = find(key);
  return gcra.decide(slot ? slot->tat.load(kRelaxed) : 0, now_ns, cost);
}

}  // namespace portcullis::ratelimit
