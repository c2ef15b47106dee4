// The operator behind @pm and @pmFromFile, which differ only in where the phrases come from.
// Internal to waf/operators.
#pragma once

#include <utility>

#include "core/phrase_automaton.h"
#include "waf/operators/operator.h"

namespace portcullis::waf::operators {

// Matches when a phrase occurs in the value; with `capture`, TX.0 is that phrase as written.
// Safe for concurrent use by multiple threads.
class PhraseMatch final : public Operator {
 public:
  explicit PhraseMatch(PhraseAutomaton automaton) : automaton_(std::move(automaton)) {}

  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    const std::string* phrase = automaton_.find(value);
    if (phrase == nullptr) return false;
    if (ctx.capturing()) ctx.set_capture(0, *phrase);
    return true;
  }
  const std::vector<std::string>* phrases() const noexcept override {
    return &automaton_.phrases();
  }

 private:
  PhraseAutomaton automaton_;
};

}  // namespace portcullis::waf::operators
