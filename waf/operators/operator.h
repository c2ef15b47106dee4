// Operators (SecLang `@NAME ARGUMENT`): the test a rule applies to each (transformed) value.
// An operator is built once per config snapshot from its argument (regexes compiled, phrase
// automata built, files read) and then shared read-only by every worker: match() is const and
// safe for concurrent use by multiple threads, never throws and never blocks.
#pragma once

#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace re2 {
class RE2;
}

namespace portcullis::waf {
using re2::RE2;

// What an operator may need of the transaction it runs in.
class MatchContext {
 public:
  virtual ~MatchContext() = default;
  // `text` with its %{collection.key} macros expanded (TX.x, MATCHED_VAR, REQUEST_HEADERS.host
  // ...), written into `storage` when anything was expanded; `text` itself when it has none.
  virtual std::string_view expand(std::string_view text, std::pmr::string& storage) noexcept = 0;
  // Whether the rule has `capture`: then @rx (and the other operators that capture) store the
  // whole match as capture 0 and its groups as 1..9 (TX.0..TX.9).
  virtual bool capturing() const noexcept = 0;
  virtual void set_capture(int index, std::string_view value) noexcept = 0;
  // Per-request memory for operators that need scratch space.
  virtual std::pmr::memory_resource* arena() noexcept = 0;
};

class Operator {
 public:
  virtual ~Operator() = default;
  // True when `value` matches (before the rule's `!` negation, which the engine applies).
  virtual bool match(std::string_view value, MatchContext& ctx) const noexcept = 0;
  // The compiled regex when the operator is a regex search with a fixed pattern (@rx without
  // macros): the engine's prefilter uses it to skip values that cannot match. nullptr otherwise.
  virtual const RE2* regex() const noexcept { return nullptr; }
  // The phrases of a phrase match (@pm, @pmFromFile): the operator matches exactly when one of
  // them occurs in the value, ignoring ASCII case. Null for other operators.
  virtual const std::vector<std::string>* phrases() const noexcept { return nullptr; }
};

// What a factory gets: the argument as written after the operator's name, and the folder of
// the rule file (files named by @pmFromFile, @ipMatchFromFile are relative to it).
struct OperatorArgs {
  std::string_view argument;
  std::string rules_dir;
};

using OperatorFactory = Result<std::unique_ptr<Operator>> (*)(const OperatorArgs& args);

// The factory of the operator named `name` (as SecLang spells it, case-insensitive), or
// nullptr when there is no such operator.
OperatorFactory find_operator(std::string_view name) noexcept;

}  // namespace portcullis::waf
