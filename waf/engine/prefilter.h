// Prefilter: for a group of regexes that look at the same transformed values, which of them can
// possibly match a value — found with one Aho-Corasick pass over the value for the literal
// "atoms" RE2 derives from each regex (re2::FilteredRE2), instead of running every regex. A
// regex without atoms (it can match text with no required literal) is always a candidate.
// Built once per config snapshot; candidates() is const and safe for concurrent use.
#pragma once

#include <re2/filtered_re2.h>
#include <re2/set.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "waf/operators/phrase_automaton.h"

namespace portcullis::waf {

class Prefilter {
 public:
  // `regexes` in slot order; each is kept by the rule that owns it (the RuleSet outlives this).
  explicit Prefilter(const std::vector<const RE2*>& regexes);

  std::size_t size() const noexcept { return size_; }
  // The literal atoms of this group's regexes (lower case); RuleSet finds them in values once
  // for every group (RuleSet::atoms).
  const std::vector<std::string>& atoms() const noexcept { return atoms_; }
  // Fills `out` (size() bytes): 1 where the regex of that slot may match a text in which the
  // atoms `found` (indexes into atoms(), sorted, distinct) occur, 0 where it cannot. `ids` is
  // the caller's scratch vector, reused across calls.
  // The regexes without atoms are settled exactly by one RE2::Set pass over `text`.
  void candidates(std::string_view text, const std::vector<int>& found, std::uint8_t* out,
                  std::vector<int>& ids) const;

 private:
  re2::FilteredRE2 filter_;
  std::vector<std::string> atoms_;
  std::vector<int> unfiltered_;     // slots that are always candidates
  std::vector<int> slot_of_id_;     // the filter's regex id → slot
  std::vector<std::uint8_t> none_;  // the candidates of a text with no atom
  std::unique_ptr<RE2::Set> set_;   // the regexes without atoms, all at once (may be null)
  std::vector<int> set_slots_;      // set index → slot
  std::size_t size_ = 0;
};

}  // namespace portcullis::waf
