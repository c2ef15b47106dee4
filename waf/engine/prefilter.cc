// The atom prefilter (see prefilter.h).
#include "waf/engine/prefilter.h"

#include <algorithm>
#include <cstring>

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
}

void Prefilter::candidates(const std::vector<int>& found, std::uint8_t* out,
                           std::vector<int>& ids) const {
  if (found.empty()) {
    std::memcpy(out, none_.data(), size_);
    return;
  }
  std::memset(out, 0, size_);
  ids.clear();
  filter_.AllPotentials(found, &ids);
  for (int id : ids) out[slot_of_id_[static_cast<std::size_t>(id)]] = 1;
  for (int slot : unfiltered_) out[slot] = 1;
}

}  // namespace portcullis::waf
