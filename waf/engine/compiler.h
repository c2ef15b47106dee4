// Rule compiler: parsed SecLang (waf/seclang) becomes a RuleSet — every name judged (an unknown
// variable, operator, transformation, action or directive is an error naming file and line),
// regexes compiled, default actions applied, SecRuleRemove*/SecRuleUpdate* directives applied
// to the rules they name. Features the engine accepts without effect (docs/waf.md
// "Unsupported") become warnings in RuleSet::warnings. Control plane only; safe for concurrent
// use on distinct inputs.
#pragma once

#include <memory>
#include <vector>

#include "core/result.h"
#include "waf/engine/rule.h"
#include "waf/seclang/parser.h"

namespace portcullis::waf {

Result<std::shared_ptr<const RuleSet>> compile_rules(const std::vector<seclang::Item>& items);

}  // namespace portcullis::waf
