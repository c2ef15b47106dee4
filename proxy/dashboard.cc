#include "proxy/dashboard.h"

#include "core/json_text.h"
#include "core/short_text.h"
#include "proxy/metrics.h"

namespace portcullis::proxy {
namespace {

constexpr std::string_view kBotClassNames[] = {"human", "verified_bot", "automation", "malicious"};

void append_series(std::string& out, const std::vector<std::uint64_t>& series) {
  out += '[';
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(series[i]);
  }
  out += ']';
}

void append_top(std::string& out, const TopK& top, std::size_t n, std::string_view key) {
  out += '[';
  bool first = true;
  for (const TopK::Entry& e : top.top(n)) {
    if (!first) out += ',';
    first = false;
    out += "{\"";
    out += key;
    out += "\":";
    append_json_string(out, e.item);
    out += ",\"count\":" + std::to_string(e.count) + ",\"error\":" + std::to_string(e.error) + "}";
  }
  out += ']';
}

}  // namespace

void Dashboard::Data::merge(const Data& other) {
  requests.merge(other.requests);
  refused.merge(other.refused);
  for (std::size_t i = 0; i < refused_by_stage.size(); ++i) {
    refused_by_stage[i] += other.refused_by_stage[i];
  }
  for (std::size_t i = 0; i < bot_classes.size(); ++i) bot_classes[i] += other.bot_classes[i];
  rules.merge(other.rules);
  clients.merge(other.clients);
  ja4.merge(other.ja4);
  user_agents.merge(other.user_agents);
  limited_keys.merge(other.limited_keys);
}

void Dashboard::record(const Exchange* ex, int status, const Verdict& enforced,
                       const Verdict& detected, std::int64_t now_s) noexcept {
  std::lock_guard lock(mutex_);
  data_.requests.add(now_s);
  const bool refused = !enforced.is_continue();
  const Verdict& decided = refused ? enforced : detected;
  if (refused) {
    data_.refused.add(now_s);
    data_.refused_by_stage[stage_index(enforced.stage)] += 1;
  }
  if (ex == nullptr) return;
  for (std::size_t c = 0; c < std::size(kBotClassNames); ++c) {
    if (ex->bot_class == kBotClassNames[c]) data_.bot_classes[c] += 1;
  }
  if (decided.is_continue()) return;
  ShortText rule;
  rule << decided.stage << ":" << (decided.rule.empty() ? decided.reason : decided.rule);
  data_.rules.add(rule.view());
  data_.clients.add(ex->client_ip);
  if (!ex->ja4.empty()) data_.ja4.add(ex->ja4);
  data_.user_agents.add(ex->header("user-agent"));
  if (status == 429 && !ex->limiter_key.empty()) data_.limited_keys.add(ex->limiter_key);
}

Dashboard::Data Dashboard::copy() const {
  std::lock_guard lock(mutex_);
  return data_;
}

std::string render_summary(const Dashboard::Data& d, std::int64_t now_s,
                           const std::string& config) {
  std::string out = "{\"now\":" + std::to_string(now_s);
  out += ",\"bucket_seconds\":" + std::to_string(Dashboard::kBucketSeconds);
  out += ",\"requests\":";
  append_series(out, d.requests.series(now_s));
  out += ",\"refused\":";
  append_series(out, d.refused.series(now_s));
  out += ",\"refused_by_stage\":{";
  for (std::size_t i = 0; i < kStageNames.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, kStageNames[i]);
    out += ':' + std::to_string(d.refused_by_stage[i]);
  }
  out += "},\"bot_classes\":{";
  for (std::size_t i = 0; i < std::size(kBotClassNames); ++i) {
    if (i) out += ',';
    append_json_string(out, kBotClassNames[i]);
    out += ':' + std::to_string(d.bot_classes[i]);
  }
  out += "},\"top_rules\":";
  append_top(out, d.rules, 10, "rule");
  out += ",\"top_clients\":";
  append_top(out, d.clients, 10, "client");
  out += ",\"top_ja4\":";
  append_top(out, d.ja4, 10, "ja4");
  out += ",\"top_user_agents\":";
  append_top(out, d.user_agents, 10, "user_agent");
  out += ",\"rate_limited_keys\":";
  append_top(out, d.limited_keys, 10, "key");
  out += ",\"config\":" + config + "}\n";
  return out;
}

}  // namespace portcullis::proxy
