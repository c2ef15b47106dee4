// SecLang parser: rule files (and the files they Include) become an ordered list of items —
// rules with their chains gathered, markers, default actions and the other directives — each
// with the file and line it came from. Names are not judged here (the rule compiler does that),
// but the shape is: a SecRule has three arguments, a chain has a rule to continue with, an
// Include names files that exist. Control plane only; safe for concurrent use on distinct
// inputs.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "waf/seclang/syntax.h"

namespace portcullis::waf::seclang {

// A SecRule (or a SecAction, which has no variables and the operator "unconditionalMatch").
// The rules that a `chain` action joins to it follow in `chained`, in order; their actions are
// only those written on them.
struct RuleAst {
  bool is_action = false;  // written as SecAction
  std::vector<VariableRef> variables;
  OperatorRef op;
  std::vector<Action> actions;
  std::vector<RuleAst> chained;
  std::string file;
  int line = 0;
};

struct MarkerAst {
  std::string name;
  std::string file;
  int line = 0;
};

// SecDefaultAction: the actions rules of its phase inherit from here on.
struct DefaultActionAst {
  std::vector<Action> actions;
  std::string file;
  int line = 0;
};

// Any other directive (SecRuleEngine, SecRuleRemoveById, SecRuleUpdateTargetById,
// SecComponentSignature, ...): its name and arguments as written.
struct OtherDirective {
  Directive directive;
};

using Item = std::variant<RuleAst, MarkerAst, DefaultActionAst, OtherDirective>;

// Parses `text`, read from `file` (Include paths are relative to the file's directory).
Result<std::vector<Item>> parse_rules(std::string_view text, const std::string& file);

// Reads and parses `path` (a file, or a glob such as "rules/*.conf", files in name order).
Result<std::vector<Item>> parse_rule_files(const std::string& path);

// The value of the first action named `name` (case-insensitive), or nullptr.
const Action* find_action(const std::vector<Action>& actions, std::string_view name) noexcept;

}  // namespace portcullis::waf::seclang
