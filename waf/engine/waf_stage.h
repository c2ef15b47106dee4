// The `waf` stage: runs a compiled RuleSet (OWASP CRS or any SecLang rules) on each request —
// phase 1 on the request head, phase 2 once the body is held — and turns a disruptive action
// into a Verdict and matched rules into findings for the security event. Built once per config
// snapshot; its hooks are safe for concurrent use by multiple threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "core/stage.h"
#include "waf/engine/rule.h"
#include "waf/engine/transaction.h"

namespace portcullis::waf {

// docs/config.md "policies[].waf".
struct WafConfig {
  std::vector<std::string> rule_files;       // files or globs, loaded in order
  std::string inline_rules;                  // SecLang text loaded after the files
  std::string inline_origin = "waf.inline";  // the name errors in inline_rules carry
  int paranoia = 0;               // 1..4 sets the CRS paranoia levels; 0 leaves them to the rules
  int inbound_threshold = 0;      // >0 sets tx.inbound_anomaly_score_threshold
  int outbound_threshold = 0;     // >0 sets tx.outbound_anomaly_score_threshold
  std::vector<std::string> mask;  // regexes: variables whose names match are masked in events
};

class WafStage final : public Stage {
 public:
  WafStage(std::shared_ptr<const RuleSet> rules, RunOptions options);

  std::string_view name() const noexcept override { return "waf"; }
  Verdict on_headers(Exchange& exchange) const noexcept override;
  Verdict on_body(Exchange& exchange) const noexcept override;
  bool wants_body() const noexcept override;
  bool inspects_responses() const noexcept override;
  Verdict on_response_headers(Exchange& exchange) const noexcept override;
  std::size_t response_body_limit(const Exchange& exchange) const noexcept override;
  Verdict on_response_body(Exchange& exchange) const noexcept override;
  void on_complete(Exchange& exchange) const noexcept override;

  const RuleSet& rules() const noexcept { return *rules_; }

 private:
  Verdict verdict(const Transaction& t, Exchange& exchange) const noexcept;

  std::shared_ptr<const RuleSet> rules_;
  RunOptions options_;
};

// Loads and compiles the rules `config` names. Errors name the file and line.
Result<std::unique_ptr<WafStage>> make_waf_stage(const WafConfig& config);

}  // namespace portcullis::waf
