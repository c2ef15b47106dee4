// Prefilter: which of a rule set's regexes can possibly match a text, and which of its phrase
// matches (@pm, @pmFromFile) do, found without running them one by one. Each regex's literal
// "atoms" (re2::FilteredRE2) and every phrase are looked for in one Aho-Corasick pass over the
// text; the regexes without atoms (they can match text with no required literal) are settled
// exactly by one RE2::Set pass. Short texts recur from request to request (header names and
// values, argument names), so their verdicts are also kept per thread, by content, in a
// bounded table.
// Built once per config snapshot; candidates() is const and safe for concurrent use.
#pragma once

#include <re2/filtered_re2.h>
#include <re2/set.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/phrase_automaton.h"

namespace portcullis::waf {

class Prefilter {
 public:
  // A slot: a regex (a candidate when it may match) or a phrase list (set exactly when one of
  // the phrases occurs, ignoring ASCII case). Both are kept by the rule that owns them (the
  // RuleSet outlives this).
  struct Member {
    const RE2* regex = nullptr;
    const std::vector<std::string>* phrases = nullptr;
  };
  explicit Prefilter(const std::vector<Member>& members);

  std::size_t size() const noexcept { return size_; }
  // Verdicts are bit sets of this many 64-bit words (bit i: slot i).
  std::size_t words() const noexcept { return words_; }
  // Fills `out` (words() words): bit i set where the regex of slot i may match `text` (where the
  // phrase list of slot i occurs in it), clear where it cannot (does not).
  void candidates(std::string_view text, std::uint64_t* out) const noexcept;
  // Whether the verdicts (as candidates() fills them) have slot `slot` set.
  static bool has(const std::uint64_t* verdicts, std::size_t slot) noexcept {
    return (verdicts[slot / 64] >> (slot % 64) & 1) != 0;
  }

  // Texts up to this long have their verdicts remembered per thread; the table has
  // kRemembered entries (a few hundred KiB per thread and rule set).
  static constexpr std::size_t kRememberedText = 192;
  static constexpr std::size_t kRemembered = 2048;
  // The filter's verdicts for a list of up to kRememberedAtoms atoms are also remembered per
  // thread, kRememberedAtomSets lists.
  static constexpr std::size_t kRememberedAtoms = 16;
  static constexpr std::size_t kRememberedAtomSets = 512;

  // One thread's working memory (reused from call to call).
  struct Scratch {
    std::vector<int> found, ids;
    std::vector<std::uint32_t> phrase_hits;  // automaton indexes with phrase slots
    std::size_t atom_stride = 0;
    std::vector<std::uint64_t> atom_sets;  // [hash, count, atoms (int32)..., verdicts...]
  };

 private:
  void compute(std::string_view text, std::uint64_t* out, Scratch& scratch,
               bool run_set) const noexcept;
  // The regexes whose atoms `found` (sorted, distinct) make them possible matches.
  void potentials(const std::vector<int>& found, std::uint64_t* out,
                  Scratch& scratch) const noexcept;

  std::uint64_t id_;  // tells this prefilter's remembered verdicts from an older snapshot's
  re2::FilteredRE2 filter_;
  std::vector<std::string> atoms_;
  // atoms_ and then the phrases (lower case), one pass for both: automaton index i < atoms_.size()
  // is the filter's atom i; the phrase slots of index i are
  // phrase_slots_[phrase_first_[i] .. phrase_first_[i + 1]).
  std::unique_ptr<PhraseAutomaton> automaton_;
  std::vector<std::uint32_t> phrase_first_;
  std::vector<std::uint32_t> phrase_slots_;
  std::vector<int> slot_of_id_;            // the filter's regex id → slot
  std::vector<std::uint64_t> none_;        // the verdicts for a text with no atom
  std::vector<std::uint64_t> unfiltered_;  // slots the filter could not take: always candidates
  std::unique_ptr<RE2::Set> set_;          // the regexes without atoms, all at once (may be null)
  std::vector<int> set_slots_;             // set index → slot
  std::vector<std::uint64_t> set_mask_;    // the slots of set_
  std::size_t size_ = 0;
  std::size_t words_ = 1;
};

}  // namespace portcullis::waf
