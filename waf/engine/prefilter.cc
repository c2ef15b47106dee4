// The regex prefilter (see prefilter.h).
#include "waf/engine/prefilter.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>

namespace portcullis::waf {
namespace {

std::atomic<std::uint64_t> next_id{1};

void set_bit(std::uint64_t* words, std::size_t slot) noexcept {
  words[slot / 64] |= std::uint64_t{1} << (slot % 64);
}

// One thread's remembered verdicts: kRemembered entries, each [hash (0: empty), size, text
// words..., verdict words...], in sets of kWays found by hash.
struct Remembered {
  std::uint64_t owner = 0;
  std::size_t stride = 0;
  std::vector<std::uint64_t> table;
};

constexpr std::size_t kTextWords = Prefilter::kRememberedText / 8;
constexpr std::size_t kWays = 4;

}  // namespace

Prefilter::Prefilter(const std::vector<Member>& members)
    : id_(next_id.fetch_add(1)),
      filter_(3),
      size_(members.size()),
      words_(members.size() / 64 + 1) {
  none_.assign(words_, 0);
  unfiltered_.assign(words_, 0);
  set_mask_.assign(words_, 0);
  std::vector<const RE2*> regexes(members.size(), nullptr);
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].regex == nullptr) continue;
    regexes[i] = members[i].regex;
    int id = -1;
    // Same pattern and options as the rule's own regex, so that the atoms are exact.
    if (filter_.Add(regexes[i]->pattern(), regexes[i]->options(), &id) != RE2::NoError) {
      set_bit(unfiltered_.data(), i);
      continue;
    }
    slot_of_id_.push_back(static_cast<int>(i));
  }
  filter_.Compile(&atoms_);
  // The phrases join the atoms in the automaton; a phrase that is also an atom shares its index.
  std::vector<std::string> texts = atoms_;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < atoms_.size(); ++i) index.emplace(atoms_[i], i);
  std::vector<std::vector<std::uint32_t>> slots_of(texts.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (members[i].phrases == nullptr) continue;
    for (const std::string& phrase : *members[i].phrases) {
      if (phrase.empty()) continue;
      std::string lower = phrase;
      for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      auto [it, added] = index.emplace(lower, texts.size());
      if (added) {
        texts.push_back(lower);
        slots_of.emplace_back();
      }
      auto& slots = slots_of[it->second];
      if (slots.empty() || slots.back() != i) slots.push_back(static_cast<std::uint32_t>(i));
    }
  }
  automaton_ = std::make_unique<PhraseAutomaton>(texts, /*keep_text=*/false);
  phrase_first_.push_back(0);
  for (const auto& slots : slots_of) {
    phrase_slots_.insert(phrase_slots_.end(), slots.begin(), slots.end());
    phrase_first_.push_back(static_cast<std::uint32_t>(phrase_slots_.size()));
  }
  // The regexes a text with no atom may match: those without atoms (FilteredRE2 reports them
  // whatever the text).
  std::vector<int> ids;
  filter_.AllPotentials({}, &ids);
  for (int id : ids) set_bit(none_.data(), static_cast<std::size_t>(slot_of_id_[id]));
  // They would run on every text: one RE2::Set of them says in a single pass which ones match.
  // Should the set not compile, they stay candidates.
  if (ids.empty()) return;
  auto set = std::make_unique<RE2::Set>(
      regexes[static_cast<std::size_t>(slot_of_id_[ids.front()])]->options(), RE2::UNANCHORED);
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

void Prefilter::compute(std::string_view text, std::uint64_t* out, Scratch& scratch,
                        bool run_set) const noexcept {
  std::vector<int>& found = scratch.found;
  found.clear();
  std::vector<std::uint32_t>& phrase_hits = scratch.phrase_hits;
  phrase_hits.clear();
  const std::size_t atoms = atoms_.size();
  automaton_->find_all(text, [&](std::size_t i) {
    if (i < atoms) found.push_back(static_cast<int>(i));
    if (phrase_first_[i] != phrase_first_[i + 1])
      phrase_hits.push_back(static_cast<std::uint32_t>(i));
  });
  if (found.empty()) {
    std::copy(none_.begin(), none_.end(), out);
  } else {
    std::sort(found.begin(), found.end());
    found.erase(std::unique(found.begin(), found.end()), found.end());
    potentials(found, out, scratch);
  }
  for (std::size_t w = 0; w < words_; ++w) out[w] |= unfiltered_[w];
  for (std::uint32_t i : phrase_hits) {
    for (std::uint32_t k = phrase_first_[i]; k < phrase_first_[i + 1]; ++k) {
      set_bit(out, phrase_slots_[k]);
    }
  }
  if (!set_ || !run_set) return;  // the regexes without atoms stay candidates
  std::vector<int>& ids = scratch.ids;
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

void Prefilter::potentials(const std::vector<int>& found, std::uint64_t* out,
                           Scratch& scratch) const noexcept {
  // Remembered by the list of atoms: texts differ far more often than the atoms found in them.
  const bool remember = found.size() <= kRememberedAtoms;
  std::uint64_t* e = nullptr;
  if (remember) {
    if (scratch.atom_sets.empty()) {
      scratch.atom_stride = 2 + kRememberedAtoms / 2 + words_;
      scratch.atom_sets.assign(kRememberedAtomSets * scratch.atom_stride, 0);
    }
    std::uint64_t hash = found.size();
    for (int atom : found) hash = (hash ^ static_cast<std::uint64_t>(atom)) * 0x100000001b3ull;
    hash |= 1;
    e = scratch.atom_sets.data() + (hash % kRememberedAtomSets) * scratch.atom_stride;
    auto* atoms = reinterpret_cast<std::int32_t*>(e + 2);
    if (e[0] == hash && e[1] == found.size() && std::equal(found.begin(), found.end(), atoms)) {
      std::copy(e + 2 + kRememberedAtoms / 2, e + scratch.atom_stride, out);
      return;
    }
    e[0] = hash;
    e[1] = found.size();
    std::copy(found.begin(), found.end(), atoms);
  }
  std::fill(out, out + words_, 0);
  scratch.ids.clear();
  filter_.AllPotentials(found, &scratch.ids);
  for (int id : scratch.ids) set_bit(out, static_cast<std::size_t>(slot_of_id_[id]));
  if (e != nullptr) std::copy(out, out + words_, e + 2 + kRememberedAtoms / 2);
}

void Prefilter::candidates(std::string_view text, std::uint64_t* out) const noexcept {
  thread_local Remembered mine;
  thread_local Scratch scratch;
  if (mine.owner != id_) {
    mine.owner = id_;
    mine.stride = 2 + kTextWords + words_;
    mine.table.assign(kRemembered * mine.stride, 0);
    scratch.atom_sets.clear();
  }
  if (text.size() > kRememberedText) {
    // A long text (a body) is seldom seen twice, and only a few rules look at it: the regexes
    // without atoms run one by one when a rule asks, instead of all at once here.
    compute(text, out, scratch, false);
    return;
  }
  // Four ways per set: a text takes an empty way, or the place of one chosen by its hash.
  const std::uint64_t hash = std::hash<std::string_view>{}(text) | 1;
  std::uint64_t* set = mine.table.data() + (hash % (kRemembered / kWays)) * kWays * mine.stride;
  std::uint64_t* e = nullptr;
  for (std::size_t way = 0; way < kWays; ++way) {
    std::uint64_t* w = set + way * mine.stride;
    if (w[0] == hash && w[1] == text.size() && std::memcmp(w + 2, text.data(), text.size()) == 0) {
      std::copy(w + 2 + kTextWords, w + mine.stride, out);
      return;
    }
    if (e == nullptr && w[0] == 0) e = w;
  }
  if (e == nullptr) e = set + (hash >> 40) % kWays * mine.stride;
  compute(text, out, scratch, true);
  e[0] = hash;
  e[1] = text.size();
  if (!text.empty()) std::memcpy(e + 2, text.data(), text.size());
  std::copy(out, out + words_, e + 2 + kTextWords);
}

}  // namespace portcullis::waf
