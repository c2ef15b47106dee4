#include "proxy/metrics.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <functional>

#include "bots/classifier.h"
#include "ratelimit/redis_store.h"

namespace portcullis::proxy {

void Histogram::observe(Duration d) noexcept {
  const double s = std::chrono::duration<double>(d).count();
  std::size_t i = 0;
  while (i < kBounds.size() && s > kBounds[i]) ++i;
  buckets_[i].add();
  sum_ns_.add(static_cast<std::uint64_t>(std::max<std::int64_t>(0, d.count())));
}

VerdictLabel verdict_label(const Verdict& enforced, const Verdict& detected) noexcept {
  switch (enforced.action) {
    case Action::kBlock:
      return VerdictLabel::kBlock;
    case Action::kChallenge:
      return VerdictLabel::kChallenge;
    case Action::kRateLimit:
      return VerdictLabel::kRateLimit;
    case Action::kContinue:
      break;
  }
  return detected.is_continue() ? VerdictLabel::kPass : VerdictLabel::kDetect;
}

std::size_t stage_index(std::string_view stage) noexcept {
  for (std::size_t i = 0; i + 1 < kStageNames.size(); ++i) {
    if (kStageNames[i] == stage) return i;
  }
  return kStageNames.size() - 1;
}

void WorkerMetrics::request(std::uint16_t listener, std::uint16_t route, Protocol protocol,
                            int status, VerdictLabel verdict, Duration elapsed) noexcept {
  std::size_t cls = status >= 100 && status < 600 ? static_cast<std::size_t>(status / 100 - 1) : 4;
  std::size_t proto = protocol == Protocol::kHttp2 ? 1 : 0;
  requests_[index(std::min<std::size_t>(listener, kListeners - 1),
                  std::min<std::size_t>(route, kRoutes - 1), proto, cls,
                  static_cast<std::size_t>(verdict))]
      .add();
  request_time_[proto].observe(elapsed);
}

WorkerMetrics::RuleSlot* WorkerMetrics::rule_slot(std::string_view stage,
                                                  std::string_view rule) noexcept {
  stage = stage.substr(0, sizeof(RuleSlot::stage));
  rule = rule.substr(0, sizeof(RuleSlot::rule));
  std::size_t h = std::hash<std::string_view>{}(stage)*31 + std::hash<std::string_view>{}(rule);
  for (std::size_t probe = 0; probe < kMaxRuleKeys; ++probe) {
    RuleSlot& slot = rule_slots_[(h + probe) % kMaxRuleKeys];
    if (!slot.used.load(std::memory_order_relaxed)) {
      if (rules_used_ + 1 >= kMaxRuleKeys) break;  // keep the table from filling up
      if (!stage.empty()) std::memcpy(slot.stage, stage.data(), stage.size());
      slot.stage_len = static_cast<std::uint8_t>(stage.size());
      if (!rule.empty()) std::memcpy(slot.rule, rule.data(), rule.size());
      slot.rule_len = static_cast<std::uint8_t>(rule.size());
      slot.used.store(true, std::memory_order_release);
      ++rules_used_;
      return &slot;
    }
    if (std::string_view(slot.stage, slot.stage_len) == stage &&
        std::string_view(slot.rule, slot.rule_len) == rule) {
      return &slot;
    }
  }
  if (!other_rules_.used.load(std::memory_order_relaxed)) {
    std::memcpy(other_rules_.stage, "other", 5);
    other_rules_.stage_len = 5;
    std::memcpy(other_rules_.rule, "other", 5);
    other_rules_.rule_len = 5;
    other_rules_.used.store(true, std::memory_order_release);
  }
  return &other_rules_;
}

void WorkerMetrics::block(std::string_view stage, std::string_view rule, bool detected) noexcept {
  RuleSlot* slot = rule_slot(stage, rule);
  (detected ? slot->detected : slot->blocked).add();
}

std::vector<WorkerMetrics::RuleCount> WorkerMetrics::rules() const {
  std::vector<RuleCount> out;
  auto take = [&](const RuleSlot& slot) {
    if (!slot.used.load(std::memory_order_acquire)) return;
    out.push_back(RuleCount{std::string(slot.stage, slot.stage_len),
                            std::string(slot.rule, slot.rule_len), slot.blocked.value(),
                            slot.detected.value()});
  };
  for (const RuleSlot& slot : rule_slots_) take(slot);
  take(other_rules_);
  return out;
}

void WorkerMetrics::stages(const Exchange& ex) noexcept {
  for (std::uint8_t i = 0; i < ex.stages_timed; ++i) {
    stage_time_[stage_index(ex.stage_names[i])].observe(Duration(ex.stage_ns[i]));
  }
  if (ex.bot_class.empty()) return;
  for (std::size_t c = 0; c < kBotClasses; ++c) {
    if (bots::to_string(static_cast<bots::BotClass>(c)) == ex.bot_class) bot_classes_[c].add();
  }
  for (std::uint32_t bits = ex.bot_signal_bits; bits != 0; bits &= bits - 1) {
    const auto i = static_cast<std::size_t>(std::countr_zero(bits));
    if (i < kBotSignals) bot_signals_[i].add();
  }
}

namespace {

constexpr std::string_view kClassNames[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
constexpr std::string_view kVerdictNames[] = {"pass", "block", "challenge", "rate_limit", "detect"};
constexpr std::string_view kProtocolNames[] = {"http1", "http2"};
constexpr std::string_view kUpstreamErrorNames[] = {"connect", "timeout", "tls", "reset",
                                                    "bad_response"};

// Label values are escaped as the exposition format requires: backslash, quote, newline.
std::string escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

class Writer {
 public:
  void header(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  void sample(std::string_view name, std::string_view labels, double value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.17g\n", value);
    out_.append(buf);
  }
  void sample(std::string_view name, std::string_view labels, std::uint64_t value) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_.append(" ").append(std::to_string(value)).append("\n");
  }
  // A histogram summed over `parts`, with `labels` (may be empty) on every series.
  void histogram(std::string_view name, std::string_view labels,
                 const std::vector<const Histogram*>& parts) {
    std::uint64_t cumulative = 0;
    std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
    for (std::size_t i = 0; i <= Histogram::kBounds.size(); ++i) {
      for (const Histogram* h : parts) cumulative += h->bucket(i);
      char le[32];
      if (i < Histogram::kBounds.size()) {
        std::snprintf(le, sizeof le, "%g", Histogram::kBounds[i]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      sample(std::string(name) + "_bucket", prefix + "le=\"" + le + "\"", cumulative);
    }
    std::uint64_t sum_ns = 0;
    for (const Histogram* h : parts) sum_ns += h->sum_ns();
    sample(std::string(name) + "_sum", labels, static_cast<double>(sum_ns) / 1e9);
    sample(std::string(name) + "_count", labels, cumulative);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string label(std::string_view key, std::string_view value) {
  return std::string(key) + "=\"" + escape(value) + "\"";
}

}  // namespace

std::string render_metrics(const std::vector<const WorkerMetrics*>& workers,
                           const ControlMetrics& control) {
  using config::LabelKind;
  const auto listeners = config::label_names(LabelKind::kListener);
  const auto routes = config::label_names(LabelKind::kRoute);
  const auto upstreams = config::label_names(LabelKind::kUpstream);
  Writer w;

  w.header("portcullis_requests_total", "counter",
           "Requests answered, by listener, route, protocol, status class and verdict.");
  for (std::size_t l = 0; l < listeners.size(); ++l) {
    for (std::size_t r = 0; r < routes.size(); ++r) {
      for (std::size_t p = 0; p < WorkerMetrics::kProtocols; ++p) {
        for (std::size_t c = 0; c < WorkerMetrics::kClasses; ++c) {
          for (std::size_t v = 0; v < WorkerMetrics::kVerdicts; ++v) {
            std::uint64_t n = 0;
            for (const WorkerMetrics* m : workers) n += m->requests(l, r, p, c, v);
            if (n == 0) continue;
            w.sample("portcullis_requests_total",
                     label("listener", listeners[l]) + "," + label("route", routes[r]) + "," +
                         label("protocol", kProtocolNames[p]) + "," +
                         label("code_class", kClassNames[c]) + "," +
                         label("verdict", kVerdictNames[v]),
                     n);
          }
        }
      }
    }
  }

  w.header("portcullis_request_duration_seconds", "histogram",
           "Time from a complete request head to the end of the response.");
  for (std::size_t p = 0; p < WorkerMetrics::kProtocols; ++p) {
    std::vector<const Histogram*> parts;
    for (const WorkerMetrics* m : workers) parts.push_back(&m->request_time(p));
    w.histogram("portcullis_request_duration_seconds", label("protocol", kProtocolNames[p]), parts);
  }

  w.header("portcullis_stage_duration_seconds", "histogram",
           "Time each inspection stage spent on a request.");
  for (std::size_t s = 0; s < kStageNames.size(); ++s) {
    std::vector<const Histogram*> parts;
    std::uint64_t any = 0;
    for (const WorkerMetrics* m : workers) {
      parts.push_back(&m->stage_time(s));
      for (std::size_t i = 0; i <= Histogram::kBounds.size(); ++i)
        any += m->stage_time(s).bucket(i);
    }
    if (any)
      w.histogram("portcullis_stage_duration_seconds", label("stage", kStageNames[s]), parts);
  }

  w.header("portcullis_bot_requests_total", "counter",
           "Requests the bots stage classified, by class.");
  for (std::size_t c = 0; c < WorkerMetrics::kBotClasses; ++c) {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->bot_class(c).value();
    w.sample("portcullis_bot_requests_total",
             label("class", bots::to_string(static_cast<bots::BotClass>(c))), n);
  }
  w.header("portcullis_bot_signals_total", "counter",
           "Bot classifier signals that fired, by signal (docs/bots.md).");
  for (std::size_t i = 0; i < static_cast<std::size_t>(bots::Signal::kCount); ++i) {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->bot_signal(i).value();
    w.sample("portcullis_bot_signals_total",
             label("signal", bots::signal_info(static_cast<bots::Signal>(i)).name), n);
  }

  w.header("portcullis_blocks_total", "counter",
           "Requests a stage refused (mode=block) or would have refused (mode=detect), by stage "
           "and rule.");
  {
    std::vector<WorkerMetrics::RuleCount> sum;
    for (const WorkerMetrics* m : workers) {
      for (const auto& r : m->rules()) {
        auto it = std::find_if(sum.begin(), sum.end(), [&](const auto& s) {
          return s.stage == r.stage && s.rule == r.rule;
        });
        if (it == sum.end()) {
          sum.push_back(r);
        } else {
          it->blocked += r.blocked;
          it->detected += r.detected;
        }
      }
    }
    for (const auto& r : sum) {
      std::string base = label("stage", r.stage) + "," + label("rule", r.rule);
      if (r.blocked) w.sample("portcullis_blocks_total", base + ",mode=\"block\"", r.blocked);
      if (r.detected) w.sample("portcullis_blocks_total", base + ",mode=\"detect\"", r.detected);
    }
  }

  w.header("portcullis_connections_accepted_total", "counter",
           "Client connections accepted, by listener.");
  for (std::size_t l = 0; l < listeners.size(); ++l) {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->accepted(l).value();
    w.sample("portcullis_connections_accepted_total", label("listener", listeners[l]), n);
  }
  w.header("portcullis_connections_active", "gauge", "Client connections open now.");
  {
    std::int64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->connections_active.value();
    w.sample("portcullis_connections_active", "", static_cast<double>(n));
  }
  w.header("portcullis_tls_handshake_failures_total", "counter",
           "TLS handshakes that failed or timed out (plain HTTP on a TLS port, unknown SNI with "
           "no default, truncated handshakes, refused client certificates).");
  {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->tls_handshake_failures.value();
    w.sample("portcullis_tls_handshake_failures_total", "", n);
  }

  w.header("portcullis_upstream_requests_total", "counter", "Requests sent to an upstream.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->upstream(u).requests.value();
    w.sample("portcullis_upstream_requests_total", label("upstream", upstreams[u]), n);
  }
  w.header("portcullis_upstream_errors_total", "counter",
           "Upstream attempts that failed, by upstream and kind.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    for (std::size_t e = 0; e < static_cast<std::size_t>(UpstreamError::kCount); ++e) {
      std::uint64_t n = 0;
      for (const WorkerMetrics* m : workers) n += m->upstream(u).errors[e].value();
      w.sample("portcullis_upstream_errors_total",
               label("upstream", upstreams[u]) + "," + label("kind", kUpstreamErrorNames[e]), n);
    }
  }
  w.header("portcullis_upstream_connections_total", "counter",
           "Upstream connections used for a request: opened anew or reused from the pool.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    std::uint64_t opened = 0, reused = 0;
    for (const WorkerMetrics* m : workers) {
      opened += m->upstream(u).connections_opened.value();
      reused += m->upstream(u).connections_reused.value();
    }
    w.sample("portcullis_upstream_connections_total",
             label("upstream", upstreams[u]) + ",state=\"opened\"", opened);
    w.sample("portcullis_upstream_connections_total",
             label("upstream", upstreams[u]) + ",state=\"reused\"", reused);
  }
  w.header("portcullis_upstream_idle_connections", "gauge",
           "Idle keep-alive connections in the upstream pools.");
  {
    std::int64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->upstream_idle.value();
    w.sample("portcullis_upstream_idle_connections", "", static_cast<double>(n));
  }
  w.header("portcullis_upstream_concurrency_limit", "gauge",
           "The adaptive concurrency limit of an upstream, summed over the workers.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    std::int64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->upstream(u).concurrency_limit.value();
    if (n > 0) {
      w.sample("portcullis_upstream_concurrency_limit", label("upstream", upstreams[u]),
               static_cast<double>(n));
    }
  }
  w.header("portcullis_upstream_shed_total", "counter",
           "Requests refused with 503 because their upstream's concurrency limit was reached.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    std::uint64_t n = 0;
    for (const WorkerMetrics* m : workers) n += m->upstream(u).shed.value();
    w.sample("portcullis_upstream_shed_total", label("upstream", upstreams[u]), n);
  }
  {
    const ratelimit::RedisStore::Stats redis = ratelimit::RedisStore::stats();
    w.header("portcullis_ratelimit_redis_up", "gauge",
             "1 while the Redis of global limits is connected; 0 when it is not (or none is "
             "configured).");
    w.sample("portcullis_ratelimit_redis_up", "",
             redis.configured > 0 && redis.connected == redis.configured ? 1.0 : 0.0);
    w.header("portcullis_ratelimit_redis_refills_total", "counter",
             "Token batches the global limits asked of Redis.");
    w.sample("portcullis_ratelimit_redis_refills_total", "", redis.refills);
    w.header("portcullis_ratelimit_redis_errors_total", "counter",
             "Redis requests and connection attempts that failed or timed out.");
    w.sample("portcullis_ratelimit_redis_errors_total", "", redis.errors);
    w.header("portcullis_ratelimit_redis_fallbacks_total", "counter",
             "Requests under a global limit decided without Redis while it was down.");
    w.sample("portcullis_ratelimit_redis_fallbacks_total", "", redis.fallbacks);
  }
  w.header("portcullis_upstream_response_seconds", "histogram",
           "Time from sending a request upstream to its response head.");
  for (std::size_t u = 0; u < upstreams.size(); ++u) {
    std::vector<const Histogram*> parts;
    for (const WorkerMetrics* m : workers) parts.push_back(&m->upstream(u).response_time);
    w.histogram("portcullis_upstream_response_seconds", label("upstream", upstreams[u]), parts);
  }

  w.header("portcullis_config_reloads_total", "counter", "Configuration reloads, by result.");
  w.sample("portcullis_config_reloads_total", "result=\"success\"", control.reloads_ok);
  w.sample("portcullis_config_reloads_total", "result=\"failure\"", control.reloads_failed);
  w.header("portcullis_config_last_reload_successful", "gauge",
           "1 when the last reload attempt succeeded (or none was made), else 0.");
  w.sample("portcullis_config_last_reload_successful", "", control.last_reload_ok ? 1.0 : 0.0);
  w.header("portcullis_config_last_reload_success_timestamp_seconds", "gauge",
           "Unix time the configuration in force was loaded.");
  w.sample("portcullis_config_last_reload_success_timestamp_seconds", "",
           control.last_reload_ok_unix);
  w.header("portcullis_config_info", "gauge",
           "The configuration in force: its hash and generation (1 at start).");
  w.sample("portcullis_config_info",
           label("hash", control.config_hash) + "," +
               label("generation", std::to_string(control.generation)),
           1.0);

  w.header("portcullis_waf_load_warnings", "gauge",
           "Rule-file features the WAF accepted without effect in the configuration in force "
           "(each is printed at load; docs/waf.md lists them).");
  w.sample("portcullis_waf_load_warnings", "", static_cast<double>(control.waf_load_warnings));
  w.header("portcullis_events_total", "counter",
           "Security event log lines, written or dropped because the queue was full.");
  w.sample("portcullis_events_total", "result=\"written\"", control.events_written);
  w.sample("portcullis_events_total", "result=\"dropped\"", control.events_dropped);
  w.header("portcullis_access_log_total", "counter",
           "Access log lines, written or dropped because the queue was full.");
  w.sample("portcullis_access_log_total", "result=\"written\"", control.access_written);
  w.sample("portcullis_access_log_total", "result=\"dropped\"", control.access_dropped);
  return w.take();
}

}  // namespace portcullis::proxy
