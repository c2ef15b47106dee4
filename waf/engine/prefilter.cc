// The regex prefilter (see prefilter.h).
#include "waf/engine/prefilter.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>

namespace portcullis::waf {
namespace {

std::atomic<std::uint64_t> next_id{1};

void set_bit(std::uint64_t* words, std::size_t slot) noexcept {
  words[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

// One thread's remembered verdicts: kRemembered entries, each [hash, size, text words...,
// verdict words...], found by hash (direct-mapped: a newer text takes the place of an older).
struct Remembered {
  std::uint64_t owner = 0;
  std::size_t stride = 0;
  std::vector<std::uint64_t> table;
  std::vector<int> found, ids;
};

constexpr std::size_t kTextWords = Prefilter::kRememberedText / 8;

}  // namespace

Prefilter::Prefilter(const std::vector<const RE2*>& regexes)
    : id_(next_id.fetch_add(1)),
      filter_(3),
      size_(regexes.size()),
      words_(regexes.size() / 64 + 1) {
  none_.assign(words_, 0);
  unfiltered_.assign(words_, 0);
  set_mask_.assign(words_, 0);
  for (std::size_t i = 0; i < regexes.size(); ++i) {
    int id = -1;
    // Same pattern and options as the rule's own regex, so that the atoms are exact.
    if (filter_.Add(regexes[i]->pattern(), regexes[i]->options(), &id) != RE2::NoError) {
      set_bit(unfiltered_.data(), i);
      continue;
    }
    slot_of_id_.push_back(static_cast<int>(i));
  }
  filter_.Compile(&atoms_);
  automaton_ = std::make_unique<operators::PhraseAutomaton>(atoms_);
  // The regexes a text with no atom may match: those without atoms (FilteredRE2 reports them
  // whatever the text).
  std::vector<int> ids;
  filter_.AllPotentials({}, &ids);
  for (int id : ids) set_bit(none_.data(), static_cast<std::size_t>(slot_of_id_[id]));
  // They would run on every text: one RE2::Set of them says in a single pass which ones match.
  // Should the set not compile, they stay candidates.
  if (ids.empty()) return;
  auto set = std::make_unique<RE2::Set>(regexes.front()->options(), RE2::UNANCHORED);
  std::vector<int> slots;
  for (int id : ids) {
    auto slot = static_cast<std::size_t>(slot_of_id_[id]);
    std::string error;
    if (set->Add(regexes[slot]->pattern(), &error) < 0) return;
    slots.push_back(static_cast<int>(slot));
  }
  if (!set->Compile()) return;
  set_ = std::move(set);
  set_slots_ = std::move(slots);
  for (int slot : set_slots_) set_bit(set_mask_.data(), static_cast<std::size_t>(slot));
}

void Prefilter::compute(std::string_view text, std::uint64_t* out, std::vector<int>& found,
                        std::vector<int>& ids) const noexcept {
  found.clear();
  automaton_->find_all(text, [&](std::size_t atom) { found.push_back(static_cast<int>(atom)); });
  if (found.empty()) {
    std::copy(none_.begin(), none_.end(), out);
  } else {
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    std::fill(out, out + words_, 0);
    ids.clear();
    filter_.AllPotentials(found, &ids);
    for (int id : ids) set_bit(out, static_cast<std::size_t>(slot_of_id_[id]));
  }
  for (std::size_t w = 0; w < words_; ++w) out[w] |= unfiltered_[w];
  if (!set_) return;
  ids.clear();
  RE2::Set::ErrorInfo error{};
  if (!set_->Match(re2::StringPiece(text.data(), text.size()), &ids, &error) &&
      error.kind != RE2::Set::kNoError) {
    for (std::size_t w = 0; w < words_; ++w) out[w] |= set_mask_[w];  // out of DFA memory
    return;
  }
  for (std::size_t w = 0; w < words_; ++w) out[w] &= ~set_mask_[w];
  for (int id : ids) set_bit(out, static_cast<std::size_t>(set_slots_[id]));
}

void Prefilter::candidates(std::string_view text, std::uint64_t* out) const noexcept {
  thread_local Remembered mine;
  if (text.size() > kRememberedText) {
    compute(text, out, mine.found, mine.ids);
    return;
  }
  if (mine.owner != id_) {
    mine.owner = id_;
    mine.stride = 2 + kTextWords + words_;
    mine.table.assign(kRemembered * mine.stride, 0);
  }
  const std::uint64_t hash = std::hash<std::string_view>{}(text) | 1;
  std::uint64_t* e = mine.table.data() + (hash % kRemembered) * mine.stride;
  if (e[0] == hash && e[1] == text.size() &&
      std::memcmp(e + 2, text.data(), text.size()) == 0) {
    std::copy(e + 2 + kTextWords, e + mine.stride, out);
    return;
  }
  compute(text, out, mine.found, mine.ids);
  e[0] = hash;
  e[1] = text.size();
  if (!text.empty()) std::memcpy(e + 2, text.data(), text.size());
  std::copy(out, out + words_, e + 2 + kTextWords);
}

}  // namespace portcullis::waf
