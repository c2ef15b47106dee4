// Compiled rules: a SecRule (or SecAction, or SecMarker) turned into what the transaction runs —
// targets resolved to variables, transformations to function pointers, the operator built,
// actions compiled. A RuleSet holds them per phase in load order. Built once per config
// snapshot by compile_rules (compiler.h); immutable afterwards and safe for concurrent use by
// multiple threads.
#pragma once

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/phrase_automaton.h"
#include "waf/actions/actions.h"
#include "waf/engine/macro.h"
#include "waf/engine/prefilter.h"
#include "waf/operators/operator.h"
#include "waf/transformations/transformation.h"
#include "waf/variables/variables.h"

namespace portcullis::waf {

// One variable of a rule's target list, or of its exclusions (`!ARGS:foo`).
struct Target {
  Var var = Var::kArgs;
  std::string key;                    // lower-cased literal key; empty: every member
  std::uint64_t key_hash = 0;         // member_key_hash(var, key) for a literal key
  std::shared_ptr<const RE2> key_re;  // ARGS:/^id_/ (then `key` is the pattern, for display)
  // A literal (lower case) every key the regex matches contains, at its start when
  // `key_literal_anchored`; when `key_literal_only`, the regex is nothing more. Lets most keys
  // be turned down without running the regex.
  std::string key_literal;
  bool key_literal_anchored = false;
  bool key_literal_only = false;
  bool count = false;           // &ARGS
  bool xml_attributes = false;  // XML://@* (XML:/* and other paths: the text)
  std::string display;          // as written, for logs: "ARGS:foo"
};

struct Rule {
  // --- identity and metadata (of the chain's first rule; chained rules carry only their own)
  std::int64_t id = 0;
  std::string id_text;
  int phase = 2;
  Macro msg;
  Macro logdata;
  int severity = -1;  // 0 EMERGENCY .. 7 DEBUG; -1 none
  std::vector<std::string> tags;
  std::string ver;
  std::string file;
  int line = 0;

  // --- what it looks at and how
  std::vector<Target> targets;
  std::vector<Target> exclusions;
  std::vector<const TransformationInfo*> transforms;
  std::vector<std::string> transform_names;
  std::unique_ptr<Operator> op;
  std::string op_name;
  std::string op_argument;
  bool negated = false;
  bool capture = false;
  bool multi_match = false;
  // Transformation chain numbering: chain_ids[k] names the prefix transforms[0..k], the same
  // number wherever the same prefix appears; a value's transformed form is cached per request
  // under the number of the whole chain.
  std::vector<std::uint32_t> chain_ids;
  // The bytes that can make any of the transformations change a value (or `chain_always`): a
  // value with none of them is its own transformed form.
  ByteSet chain_triggers;
  bool chain_always = false;
  // The regex's slot in the rule set's prefilter; -1: the operator is not a regex.
  int prefilter_slot = -1;
  // Rules that look at the same targets through the same chain share a "target group": per
  // request and phase, the union of their prefilter verdicts over every value of those targets
  // says at once which of them cannot match (RuleSet::target_group_count; -1: not eligible).
  int target_group = -1;
  // For a rule in a target group, one number per target: the (target, chain) pair, shared by
  // every group that lists the same target through the same chain, so that the verdicts of a
  // target's values are joined once per phase however many groups list it
  // (RuleSet::target_union_count).
  std::vector<std::uint32_t> target_unions;

  // --- what it does on a match
  std::vector<SetVar> setvars;  // per matched value, as ModSecurity v3
  std::vector<Ctl> ctls;        // once the whole chain matched
  Disruptive disruptive = Disruptive::kNone;
  AllowScope allow_scope = AllowScope::kAll;
  int status = 0;
  bool log = true;
  bool log_set = false;  // log/nolog written on the rule (else the default action decides)
  int skip = 0;
  std::string skip_after;
  std::unique_ptr<Rule> chained;  // the next rule of a chain

  // --- SecMarker
  bool is_marker = false;
  std::string marker;  // the marker's name

  bool has_tag(std::string_view tag) const noexcept;
};

// The rule-engine settings that directives set (SecRuleEngine, SecRequestBodyAccess ...).
struct EngineSettings {
  int engine_mode = 2;  // 0 Off, 1 DetectionOnly, 2 On
  bool request_body_access = true;
  std::uint64_t request_body_limit = 13107200;
  std::uint64_t request_body_no_files_limit = 131072;
  bool request_body_reject_over_limit = true;  // SecRequestBodyLimitAction Reject
  bool response_body_access = false;
  std::uint64_t response_body_limit = 524288;
  std::vector<std::string> response_mime_types = {"text/plain", "text/html"};
  std::size_t arguments_limit = 1000;
  std::size_t json_depth_limit = 10000;
  std::string component_signature;
};

struct RuleSet {
  static constexpr int kPhases = 5;
  // rules[phase - 1] in load order; a SecMarker appears in every phase, as in ModSecurity.
  std::array<std::vector<std::shared_ptr<const Rule>>, kPhases> phases;
  // Default disruptive action and log flag per phase (SecDefaultAction).
  std::array<Disruptive, kPhases> default_disruptive{Disruptive::kPass, Disruptive::kPass,
                                                     Disruptive::kPass, Disruptive::kPass,
                                                     Disruptive::kPass};
  std::array<int, kPhases> default_status{};
  std::array<bool, kPhases> default_log{true, true, true, true, true};
  EngineSettings settings;
  std::size_t rule_count = 0;
  // Every regex of every rule (Rule::prefilter_slot): which of them may match a text is found
  // once per distinct text, whatever rule asks.
  std::unique_ptr<Prefilter> prefilter;
  std::uint32_t chain_count = 0;
  std::uint32_t target_group_count = 0;
  std::uint32_t target_union_count = 0;
  // What was accepted without effect (unsupported actions and directives), one line each.
  std::vector<std::string> warnings;
};

}  // namespace portcullis::waf
