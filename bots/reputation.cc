#include "bots/reputation.h"

#include <bit>

#include "core/word_hash.h"

namespace portcullis::bots {
namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

}  // namespace

Reputation::Reputation(std::size_t capacity, std::uint32_t window_s)
    : mask_(std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity) - 1),
      window_s_(window_s < 1 ? 1 : window_s),
      slots_(std::make_unique<Slot[]>(mask_ + 1)) {}

std::uint64_t Reputation::key_of(std::string_view fingerprint) noexcept {
  const std::uint64_t h = hash_words(kWordHashSeed, fingerprint);
  return h == 0 ? 1 : h;
}

// Window indexes start at 1 so that 0 can mean "never used".
void Reputation::roll(Slot& slot, std::uint32_t window) noexcept {
  std::uint32_t seen = slot.window.load(kRelaxed);
  if (seen == window) return;
  if (!slot.window.compare_exchange_strong(seen, window, kRelaxed)) return;
  const bool adjacent = seen + 1 == window;
  slot.previous_requests.store(adjacent ? slot.requests.load(kRelaxed) : 0, kRelaxed);
  slot.previous_errors.store(adjacent ? slot.errors.load(kRelaxed) : 0, kRelaxed);
  slot.requests.store(0, kRelaxed);
  slot.errors.store(0, kRelaxed);
}

Reputation::Slot* Reputation::find(std::uint64_t key, std::uint32_t window, bool claim) noexcept {
  // The second slot comes from the high bits, so two keys sharing one slot rarely share both.
  Slot* choices[2] = {&slots_[key & mask_], &slots_[(key >> 32 ^ key >> 13) & mask_]};
  for (Slot* s : choices) {
    if (s->key.load(kRelaxed) == key) return s;
  }
  if (!claim) return nullptr;
  for (Slot* s : choices) {
    std::uint64_t held = s->key.load(kRelaxed);
    const std::uint32_t last = s->window.load(kRelaxed);
    const bool idle = held == 0 || last + 2 <= window;
    if (idle && s->key.compare_exchange_strong(held, key, kRelaxed)) {
      s->window.store(window, kRelaxed);
      s->requests.store(0, kRelaxed);
      s->errors.store(0, kRelaxed);
      s->previous_requests.store(0, kRelaxed);
      s->previous_errors.store(0, kRelaxed);
      return s;
    }
  }
  return nullptr;
}

Reputation::Standing Reputation::record_request(std::uint64_t key, std::uint32_t now_s) noexcept {
  const std::uint32_t window = now_s / window_s_ + 1;
  Slot* s = find(key, window, true);
  if (s == nullptr) {
    untracked_.fetch_add(1, kRelaxed);
    return {};
  }
  roll(*s, window);
  const std::uint32_t requests = s->requests.fetch_add(1, kRelaxed) + 1;
  // The share of the previous window still inside the sliding window ending now.
  const double overlap = 1.0 - static_cast<double>(now_s % window_s_) / window_s_;
  Standing standing;
  standing.tracked = true;
  standing.requests = requests + overlap * s->previous_requests.load(kRelaxed);
  standing.errors = s->errors.load(kRelaxed) + overlap * s->previous_errors.load(kRelaxed);
  return standing;
}

void Reputation::record_error(std::uint64_t key, std::uint32_t now_s) noexcept {
  const std::uint32_t window = now_s / window_s_ + 1;
  Slot* s = find(key, window, false);
  if (s == nullptr) return;
  roll(*s, window);
  s->errors.fetch_add(1, kRelaxed);
}

}  // namespace portcullis::bots
