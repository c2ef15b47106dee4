// The atom prefilter (see prefilter.h).
#include "waf/engine/prefilter.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace portcullis::waf {

Prefilter::Prefilter(const std::vector<const RE2*>& regexes) : filter_(3), size_(regexes.size()) {
  for (std::size_t i = 0; i < regexes.size(); ++i) {
    int id = -1;
    // Same pattern and options as the rule's own regex, so that the atoms are exact.
    if (filter_.Add(regexes[i]->pattern(), regexes[i]->options(), &id) != RE2::NoError) {
      unfiltered_.push_back(static_cast<int>(i));
      continue;
    }
    slot_of_id_.push_back(static_cast<int>(i));
  }
  filter_.Compile(&atoms_);
  // Most values contain no atom at all: their candidates are computed once, here.
  none_.assign(size_, 0);
  std::vector<int> ids;
  filter_.AllPotentials({}, &ids);
  for (int id : ids) none_[static_cast<std::size_t>(slot_of_id_[static_cast<std::size_t>(id)])] = 1;
  for (int slot : unfiltered_) none_[static_cast<std::size_t>(slot)] = 1;
  // Regexes with no atoms are reported by AllPotentials with any input (passed_regexps), so
  // they need no list here; unfiltered_ only holds those the filter could not take.
  //
  // Those regexes (no required literal) would run on every value: one RE2::Set of them says
  // in a single pass which ones match. Should the set not compile, they stay candidates.
  if (regexes.empty()) return;
  auto set = std::make_unique<RE2::Set>(regexes.front()->options(), RE2::UNANCHORED);
  std::vector<int> slots;
  for (std::size_t i = 0; i < size_; ++i) {
    if (!none_[i] || std::find(unfiltered_.begin(), unfiltered_.end(), static_cast<int>(i)) !=
                         unfiltered_.end()) {
      continue;
    }
    std::string error;
    if (set->Add(regexes[i]->pattern(), &error) < 0) return;
    slots.push_back(static_cast<int>(i));
  }
  if (slots.empty() || !set->Compile()) return;
  set_ = std::move(set);
  set_slots_ = std::move(slots);
}

void Prefilter::candidates(std::string_view text, const std::vector<int>& found, std::uint8_t* out,
                           std::vector<int>& ids) const {
  if (found.empty()) {
    std::memcpy(out, none_.data(), size_);
  } else {
    std::memset(out, 0, size_);
    ids.clear();
    filter_.AllPotentials(found, &ids);
    for (int id : ids) out[slot_of_id_[static_cast<std::size_t>(id)]] = 1;
    for (int slot : unfiltered_) out[slot] = 1;
  }
  if (!set_) return;
  ids.clear();
  RE2::Set::ErrorInfo error{};
  if (!set_->Match(re2::StringPiece(text.data(), text.size()), &ids, &error) &&
      error.kind != RE2::Set::kNoError) {
    return;  // out of DFA memory: they stay candidates
  }
  for (int slot : set_slots_) out[slot] = 0;
  for (int id : ids) out[set_slots_[static_cast<std::size_t>(id)]] = 1;
}

}  // namespace portcullis::waf
