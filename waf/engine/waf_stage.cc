// The waf stage (see waf_stage.h).
#include "waf/engine/waf_stage.h"

#include <string>

#include "waf/bodies/bodies.h"
#include "waf/engine/compiler.h"
#include "waf/seclang/parser.h"

namespace portcullis::waf {

WafStage::WafStage(std::shared_ptr<const RuleSet> rules, RunOptions options)
    : rules_(std::move(rules)), options_(std::move(options)) {}

bool WafStage::wants_body() const noexcept {
  return rules_->settings.engine_mode != 0 && rules_->settings.request_body_access;
}

Verdict WafStage::on_headers(Exchange& ex) const noexcept {
  if (rules_->settings.engine_mode == 0) return Verdict::pass();
  Transaction* t = ex.make_state<Transaction>(this, *rules_, options_, ex);
  if (t == nullptr) return Verdict::pass();
  t->request_headers();
  // Without a body to wait for, phase 2 runs now.
  if (!t->intervention().disrupted && (!ex.has_body || !wants_body())) t->request_body();
  return verdict(*t, ex);
}

Verdict WafStage::on_body(Exchange& ex) const noexcept {
  Transaction* t = ex.state<Transaction>(this);
  if (t == nullptr || t->intervention().disrupted) return Verdict::pass();
  t->request_body();
  return verdict(*t, ex);
}

bool WafStage::inspects_responses() const noexcept {
  if (rules_->settings.engine_mode == 0) return false;
  return !rules_->phases[2].empty() || !rules_->phases[3].empty();
}

Verdict WafStage::on_response_headers(Exchange& ex) const noexcept {
  Transaction* t = ex.state<Transaction>(this);
  if (t == nullptr || t->intervention().disrupted) return Verdict::pass();
  t->response_headers();
  return verdict(*t, ex);
}

std::size_t WafStage::response_body_limit(const Exchange& ex) const noexcept {
  const EngineSettings& s = rules_->settings;
  if (!s.response_body_access || rules_->phases[3].empty()) return 0;
  std::string_view type;
  for (const HeaderField& h : ex.response_headers) {
    if (iequals(h.name, "content-type")) type = h.value;
  }
  type = bodies::media_type(type);
  if (type.empty()) return 0;
  for (const std::string& m : s.response_mime_types) {
    if (iequals(m, type)) return static_cast<std::size_t>(s.response_body_limit);
  }
  return 0;
}

Verdict WafStage::on_response_body(Exchange& ex) const noexcept {
  Transaction* t = ex.state<Transaction>(this);
  if (t == nullptr || t->intervention().disrupted) return Verdict::pass();
  t->response_body();
  return verdict(*t, ex);
}

void WafStage::on_complete(Exchange& ex) const noexcept {
  Transaction* t = ex.state<Transaction>(this);
  if (t != nullptr) t->logging();
}

Verdict WafStage::verdict(const Transaction& t, Exchange& ex) const noexcept {
  const Intervention& iv = t.intervention();
  if (!iv.disrupted && !iv.would_disrupt) return Verdict::pass();
  std::string_view reason =
      iv.message.empty() ? std::string_view("blocked by a WAF rule") : iv.message;
  Verdict v = Verdict::block(static_cast<std::uint16_t>(iv.status), "waf", reason,
                             iv.rule ? std::string_view(iv.rule->id_text) : std::string_view());
  if (iv.disrupted) return v;
  // DetectionOnly: what would have happened is recorded, the request goes on.
  if (ex.detected.is_continue()) ex.detected = v;
  return Verdict::pass();
}

Result<std::unique_ptr<WafStage>> make_waf_stage(const WafConfig& config) {
  std::vector<seclang::Item> items;
  std::string setup;
  auto setvar = [&](int id, const std::string& actions) {
    setup += "SecAction \"id:" + std::to_string(id) + ",phase:1,pass,nolog," + actions + "\"\n";
  };
  if (config.paranoia > 0) {
    std::string n = std::to_string(config.paranoia);
    setvar(9999001,
           "setvar:tx.blocking_paranoia_level=" + n + ",setvar:tx.detection_paranoia_level=" + n +
               ",setvar:tx.paranoia_level=" + n + ",setvar:tx.executing_paranoia_level=" + n);
  }
  if (config.inbound_threshold > 0) {
    setvar(9999002,
           "setvar:tx.inbound_anomaly_score_threshold=" + std::to_string(config.inbound_threshold));
  }
  if (config.outbound_threshold > 0) {
    setvar(9999003, "setvar:tx.outbound_anomaly_score_threshold=" +
                        std::to_string(config.outbound_threshold));
  }
  if (!setup.empty()) {
    auto parsed = seclang::parse_rules(setup, "waf.settings");
    if (!parsed) return parsed.error();
    items = std::move(*parsed);
  }
  for (const std::string& path : config.rule_files) {
    auto parsed = seclang::parse_rule_files(path);
    if (!parsed) return parsed.error();
    for (auto& item : *parsed) items.push_back(std::move(item));
  }
  if (!config.inline_rules.empty()) {
    auto parsed = seclang::parse_rules(config.inline_rules, config.inline_origin);
    if (!parsed) return parsed.error();
    for (auto& item : *parsed) items.push_back(std::move(item));
  }
  auto rules = compile_rules(items);
  if (!rules) return rules.error();
  RunOptions options;
  if (!config.mask.empty()) {
    std::string pattern;
    for (const std::string& m : config.mask) {
      if (!pattern.empty()) pattern += '|';
      pattern += "(?:" + m + ")";
    }
    RE2::Options o;
    o.set_log_errors(false);
    o.set_case_sensitive(false);
    auto re = std::make_shared<RE2>(pattern, o);
    if (!re->ok()) return Error{"bad mask pattern: " + re->error()};
    options.mask = std::move(re);
  }
  return std::make_unique<WafStage>(std::move(*rules), std::move(options));
}

}  // namespace portcullis::waf
