#include "proxy/dashboard.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/csp.h"
#include "core/html_text.h"
#include "core/json_text.h"
#include "core/short_text.h"
#include "proxy/metrics.h"

namespace portcullis::proxy {
namespace {

constexpr std::string_view kBotClassNames[] = {"human", "verified_bot", "automation", "malicious"};
constexpr std::string_view kActionNames[] = {"block", "challenge", "rate_limit", "detect"};
constexpr std::string_view kUpstreamErrorNames[] = {"connect", "timeout", "tls", "reset",
                                                    "bad_response"};
constexpr std::size_t kListed = 10;  // entries of each top list shown

constexpr std::int64_t kLiveBucketSeconds = 5;
constexpr std::int64_t kDayBucketSeconds = 300;

std::size_t action_index(Action a) noexcept {
  switch (a) {
    case Action::kChallenge:
      return 1;
    case Action::kRateLimit:
      return 2;
    default:
      return 0;
  }
}

void append_series(std::string& out, const std::vector<std::uint64_t>& series) {
  out += '[';
  for (std::size_t i = 0; i < series.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(series[i]);
  }
  out += ']';
}

void append_top(std::string& out, const TopK& top, std::string_view key) {
  out += '[';
  bool first = true;
  for (const TopK::Entry& e : top.top(kListed)) {
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

// A rule's item is "stage:id".
std::pair<std::string_view, std::string_view> split_rule(std::string_view item) {
  std::size_t colon = item.find(':');
  if (colon == std::string_view::npos) return {{}, item};
  return {item.substr(0, colon), item.substr(colon + 1)};
}

void append_number(std::string& out, double v) {
  if (v < 0) {
    out += "null";
    return;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  out += buf;
}

std::uint64_t total_errors(const UpstreamWindow& u) {
  std::uint64_t n = 0;
  for (std::uint64_t e : u.errors) n += e;
  return n;
}

std::uint64_t responses(const UpstreamWindow& u) {
  std::uint64_t n = 0;
  for (std::uint64_t b : u.latency) n += b;
  return n;
}

// healthy: answering, with at most 5% of attempts failing; degraded: more fail, or requests
// were shed; down: attempts were made and none was answered; idle: no attempt in the window.
std::string_view health(const UpstreamWindow& u) {
  const std::uint64_t errors = total_errors(u), answered = responses(u);
  if (errors == 0 && answered == 0 && u.requests == 0) return u.shed ? "degraded" : "idle";
  if (answered == 0 && errors > 0) return "down";
  if (errors * 20 > errors + answered || u.shed > 0) return "degraded";
  return "healthy";
}

}  // namespace

double latency_percentile_ms(const std::array<std::uint64_t, 15>& buckets, double p) {
  std::uint64_t total = 0;
  for (std::uint64_t b : buckets) total += b;
  if (total == 0) return -1;
  const double rank = p * static_cast<double>(total);
  double seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const double in_bucket = static_cast<double>(buckets[i]);
    if (in_bucket == 0) continue;
    if (seen + in_bucket >= rank) {
      const double lower = i == 0 ? 0 : Histogram::kBounds[i - 1];
      // The last bucket has no upper bound: report its lower one.
      if (i >= Histogram::kBounds.size()) return lower * 1000;
      const double upper = Histogram::kBounds[i];
      const double within = std::clamp((rank - seen) / in_bucket, 0.0, 1.0);
      return (lower + (upper - lower) * within) * 1000;
    }
    seen += in_bucket;
  }
  return Histogram::kBounds.back() * 1000;
}

Dashboard::Period::Period(std::size_t k)
    : rules(k), clients(k), ja4(k), user_agents(k), routes(k), limited_keys(k) {}

void Dashboard::Period::clear() noexcept {
  requests = refused = flagged = 0;
  refused_by_stage = {};
  actions = {};
  bot_classes = {};
  for (TopK* t : {&rules, &clients, &ja4, &user_agents, &routes, &limited_keys}) t->clear();
}

void Dashboard::Period::merge(const Period& other) {
  requests += other.requests;
  refused += other.refused;
  flagged += other.flagged;
  for (std::size_t i = 0; i < refused_by_stage.size(); ++i) {
    refused_by_stage[i] += other.refused_by_stage[i];
  }
  for (std::size_t i = 0; i < actions.size(); ++i) actions[i] += other.actions[i];
  for (std::size_t i = 0; i < bot_classes.size(); ++i) bot_classes[i] += other.bot_classes[i];
  rules.merge(other.rules);
  clients.merge(other.clients);
  ja4.merge(other.ja4);
  user_agents.merge(other.user_agents);
  routes.merge(other.routes);
  limited_keys.merge(other.limited_keys);
}

Dashboard::PeriodRing::PeriodRing(std::size_t count, std::int64_t width_s)
    : periods_(std::max<std::size_t>(1, count)), width_s_(std::max<std::int64_t>(1, width_s)) {}

Dashboard::Period& Dashboard::PeriodRing::at(std::int64_t now_s) noexcept {
  const std::int64_t number = now_s / width_s_;
  Period& p = periods_[static_cast<std::size_t>(number) % periods_.size()];
  if (p.number != number) {
    p.clear();
    p.number = number;
  }
  return p;
}

std::int64_t Dashboard::PeriodRing::add_to(std::int64_t now_s, std::int64_t span_s,
                                           Period& into) const {
  const std::int64_t current = now_s / width_s_;
  const std::int64_t oldest = std::max(current - static_cast<std::int64_t>(periods_.size()) + 1,
                                       current - (span_s + width_s_ - 1) / width_s_);
  for (const Period& p : periods_) {
    if (p.number >= oldest && p.number <= current) into.merge(p);
  }
  return oldest * width_s_;
}

Dashboard::View::View(Range r)
    : range(r),
      requests(
          r == Range::kLive ? kLiveSeconds / kLiveBucketSeconds : kDaySeconds / kDayBucketSeconds,
          r == Range::kLive ? kLiveBucketSeconds : kDayBucketSeconds),
      refused(requests.size(), requests.width_s()),
      totals(kTop * 2) {}

Dashboard::Dashboard()
    : live_requests_(kLiveSeconds / kLiveBucketSeconds, kLiveBucketSeconds),
      live_refused_(live_requests_.size(), kLiveBucketSeconds),
      day_requests_(kDaySeconds / kDayBucketSeconds, kDayBucketSeconds),
      day_refused_(day_requests_.size(), kDayBucketSeconds),
      minutes_(kLiveSeconds / 60 + 1, 60),
      hours_(kDaySeconds / 3600 + 1, 3600) {}

void Dashboard::record(const Exchange* ex, int status, const Verdict& enforced,
                       const Verdict& detected, std::int64_t now_s) noexcept {
  std::lock_guard lock(mutex_);
  const bool refused = !enforced.is_continue();
  const Verdict& decided = refused ? enforced : detected;
  const bool flagged = !decided.is_continue();
  live_requests_.add(now_s);
  day_requests_.add(now_s);
  if (refused) {
    live_refused_.add(now_s);
    day_refused_.add(now_s);
  }
  // The same counts go into the current minute and the current hour: what they need from the
  // exchange (rule keys, the User-Agent) is worked out once.
  Period* const periods[] = {&minutes_.at(now_s), &hours_.at(now_s)};
  auto each = [&periods](auto&& add) {
    for (Period* p : periods) add(*p);
  };
  each([&](Period& p) {
    p.requests += 1;
    if (refused) {
      p.refused += 1;
      p.refused_by_stage[stage_index(enforced.stage)] += 1;
      p.actions[action_index(enforced.action)] += 1;
    } else if (flagged) {
      p.actions[3] += 1;  // detect
    }
    if (flagged) p.flagged += 1;
  });
  if (ex == nullptr) return;
  for (std::size_t c = 0; c < std::size(kBotClassNames); ++c) {
    if (ex->bot_class == kBotClassNames[c]) each([c](Period& p) { p.bot_classes[c] += 1; });
  }
  bool decided_listed = decided.rule.empty() && decided.reason.empty();
  for (const Finding& f : ex->findings) {
    if (f.rule.empty()) continue;
    ShortText rule;
    rule << f.stage << ":" << f.rule;
    each([&](Period& p) { p.rules.add(rule.view(), 1, f.message); });
    if (f.stage == decided.stage && f.rule == decided.rule) decided_listed = true;
  }
  if (!flagged) return;
  if (!decided_listed) {
    ShortText rule;
    rule << decided.stage << ":" << (decided.rule.empty() ? decided.reason : decided.rule);
    const std::string_view message =
        decided.rule == "method" ? std::string_view("method not allowed") : decided.reason;
    each([&](Period& p) { p.rules.add(rule.view(), 1, message); });
  }
  const std::string_view user_agent = ex->header("user-agent");
  const bool limited = status == 429 && !ex->limiter_key.empty();
  each([&](Period& p) {
    p.clients.add(ex->client_ip);
    if (!ex->ja4.empty()) p.ja4.add(ex->ja4);
    p.user_agents.add(user_agent);
    if (!ex->route_id.empty()) p.routes.add(ex->route_id);
    if (limited) p.limited_keys.add(ex->limiter_key);
  });
}

void Dashboard::add_to(View& into, std::int64_t now_s, std::int64_t span_s) const {
  std::lock_guard lock(mutex_);
  if (into.range == Range::kLive) {
    into.requests.merge(live_requests_);
    into.refused.merge(live_refused_);
    into.since = minutes_.add_to(now_s, span_s, into.totals);
  } else {
    into.requests.merge(day_requests_);
    into.refused.merge(day_refused_);
    into.since = hours_.add_to(now_s, span_s, into.totals);
  }
}

std::string render_summary(const Dashboard::View& v, std::int64_t now_s,
                           const std::vector<UpstreamWindow>& upstreams,
                           const ConfigState& config) {
  const Dashboard::Period& t = v.totals;
  std::string out = "{\"now\":" + std::to_string(now_s);
  out += ",\"bucket_seconds\":" + std::to_string(v.requests.width_s());
  out += ",\"requests\":";
  append_series(out, v.requests.series(now_s));
  out += ",\"refused\":";
  append_series(out, v.refused.series(now_s));
  out += ",\"since\":" + std::to_string(v.since);
  out += ",\"window_seconds\":" + std::to_string(now_s - v.since);
  out += ",\"totals\":{\"requests\":" + std::to_string(t.requests) +
         ",\"refused\":" + std::to_string(t.refused) + ",\"flagged\":" + std::to_string(t.flagged) +
         "}";
  out += ",\"refused_by_stage\":{";
  for (std::size_t i = 0; i < kStageNames.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, kStageNames[i]);
    out += ':' + std::to_string(t.refused_by_stage[i]);
  }
  out += "},\"actions\":{";
  for (std::size_t i = 0; i < std::size(kActionNames); ++i) {
    if (i) out += ',';
    append_json_string(out, kActionNames[i]);
    out += ':' + std::to_string(t.actions[i]);
  }
  out += "},\"bot_classes\":{";
  for (std::size_t i = 0; i < std::size(kBotClassNames); ++i) {
    if (i) out += ',';
    append_json_string(out, kBotClassNames[i]);
    out += ':' + std::to_string(t.bot_classes[i]);
  }
  out += "},\"top_rules\":[";
  bool first = true;
  for (const TopK::Entry& e : t.rules.top(kListed)) {
    if (!first) out += ',';
    first = false;
    auto [stage, id] = split_rule(e.item);
    out += "{\"stage\":";
    append_json_string(out, stage);
    out += ",\"id\":";
    append_json_string(out, id);
    out += ",\"message\":";
    append_json_string(out, e.detail);
    out += ",\"count\":" + std::to_string(e.count) + ",\"error\":" + std::to_string(e.error) + "}";
  }
  out += "],\"top_clients\":";
  append_top(out, t.clients, "client");
  out += ",\"top_ja4\":";
  append_top(out, t.ja4, "ja4");
  out += ",\"top_user_agents\":";
  append_top(out, t.user_agents, "user_agent");
  out += ",\"top_routes\":";
  append_top(out, t.routes, "route");
  out += ",\"rate_limited_keys\":";
  append_top(out, t.limited_keys, "key");
  out += ",\"upstreams\":[";
  for (std::size_t i = 0; i < upstreams.size(); ++i) {
    const UpstreamWindow& u = upstreams[i];
    if (i) out += ',';
    out += "{\"name\":";
    append_json_string(out, u.name);
    out += ",\"health\":";
    append_json_string(out, health(u));
    out += ",\"window_seconds\":" + std::to_string(u.window_s);
    out += ",\"requests\":" + std::to_string(u.requests);
    out += ",\"errors\":" + std::to_string(total_errors(u));
    out += ",\"error_kinds\":{";
    for (std::size_t e = 0; e < u.errors.size(); ++e) {
      if (e) out += ',';
      append_json_string(out, kUpstreamErrorNames[e]);
      out += ':' + std::to_string(u.errors[e]);
    }
    out += "}";
    for (auto [name, p] :
         {std::pair<const char*, double>{"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p99_ms", 0.99}}) {
      out += ",\"";
      out += name;
      out += "\":";
      append_number(out, latency_percentile_ms(u.latency, p));
    }
    out += ",\"concurrency_limit\":" + std::to_string(u.concurrency_limit);
    out += ",\"shed\":" + std::to_string(u.shed) + "}";
  }
  out += "],\"config\":" + config.json + "}\n";
  return out;
}

void UpstreamHistory::sample(std::int64_t now_s, const std::vector<UpstreamWindow>& totals) {
  recent_.push_back({now_s, totals});
  if (recent_.size() > 31) recent_.erase(recent_.begin());
  if (hourly_.empty() || now_s - hourly_.back().time >= 3600) {
    hourly_.push_back({now_s, totals});
    if (hourly_.size() > 25) hourly_.erase(hourly_.begin());
  }
}

std::vector<UpstreamWindow> UpstreamHistory::window(
    std::int64_t now_s, std::int64_t span_s, const std::vector<UpstreamWindow>& totals) const {
  const Sample* base = nullptr;
  for (const std::vector<Sample>* samples : {&recent_, &hourly_}) {
    for (const Sample& s : *samples) {
      if (now_s - s.time > span_s) continue;
      // The oldest sample within the span.
      if (base == nullptr || s.time < base->time) base = &s;
      break;
    }
  }
  std::vector<UpstreamWindow> out = totals;
  for (UpstreamWindow& u : out) {
    u.window_s = base ? now_s - base->time : 0;
    if (base == nullptr) continue;
    for (const UpstreamWindow& then : base->totals) {
      if (then.name != u.name) continue;
      // A counter never goes down; a smaller total is another upstream under the same name.
      if (then.requests > u.requests) break;
      u.requests -= then.requests;
      for (std::size_t e = 0; e < u.errors.size(); ++e) {
        u.errors[e] -= std::min(u.errors[e], then.errors[e]);
      }
      for (std::size_t b = 0; b < u.latency.size(); ++b) {
        u.latency[b] -= std::min(u.latency[b], then.latency[b]);
      }
      u.shed -= std::min(u.shed, then.shed);
      break;
    }
  }
  return out;
}

// ---- The report: one HTML page with its own style and SVG, no script, nothing to fetch.

namespace {

std::string utc(double unix_s) {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "0%";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * static_cast<double>(part) / whole);
  return buf;
}

std::string ms(double v) {
  if (v < 0) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

constexpr std::string_view kReportStyle =
    "body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;margin:24px auto;max-width:1100px;"
    "padding:0 16px}h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;"
    "border-bottom:1px solid #d5d9e0;padding-bottom:4px}p.meta{color:#5b6475;margin:0}"
    "table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;"
    "padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}"
    "th{color:#5b6475;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #d5d9e0;"
    "border-radius:6px;padding:8px 14px;min-width:140px}.card b{display:block;font-size:22px}"
    ".bad{color:#b42318}.good{color:#067647}.cols{display:grid;"
    "grid-template-columns:1fr 1fr;gap:0 24px}code{font-size:12px;word-break:break-all}"
    "svg{width:100%;height:auto;border:1px solid #eceef2;margin-top:14px}";

void table_top(std::string& out, std::string_view title, std::string_view column, const TopK& top) {
  out += "<div><h2>";
  append_html(out, title);
  out += "</h2><table><tr><th>";
  append_html(out, column);
  out += "</th><th>count</th></tr>";
  auto entries = top.top(kListed);
  if (entries.empty()) out += "<tr><td colspan=\"2\">none</td></tr>";
  for (const TopK::Entry& e : entries) {
    out += "<tr><td><code>";
    append_html(out, e.item.empty() ? std::string_view("(empty)") : std::string_view(e.item));
    out += "</code></td><td class=\"n\">";
    if (e.error) out += "≈";
    out += std::to_string(e.count) + "</td></tr>";
  }
  out += "</table></div>";
}

void counts_table(std::string& out, std::string_view title, const std::string_view* names,
                  const std::uint64_t* counts, std::size_t n) {
  out += "<div><h2>";
  append_html(out, title);
  out += "</h2><table>";
  for (std::size_t i = 0; i < n; ++i) {
    out += "<tr><td>";
    append_html(out, names[i]);
    out += "</td><td class=\"n\">" + std::to_string(counts[i]) + "</td></tr>";
  }
  out += "</table></div>";
}

// Requests and refusals per bucket as two polylines.
void chart(std::string& out, const std::vector<std::uint64_t>& requests,
           const std::vector<std::uint64_t>& refused) {
  constexpr int kWidth = 1000, kHeight = 160;
  std::uint64_t top = 1;
  for (std::uint64_t v : requests) top = std::max(top, v);
  auto line = [&](const std::vector<std::uint64_t>& series, std::string_view colour) {
    out += "<polyline fill=\"none\" stroke-width=\"1.5\" stroke=\"";
    out += colour;
    out += "\" points=\"";
    for (std::size_t i = 0; i < series.size(); ++i) {
      const double x =
          series.size() > 1 ? kWidth * static_cast<double>(i) / (series.size() - 1) : 0;
      const double y = kHeight - 4 - (kHeight - 8) * static_cast<double>(series[i]) / top;
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x, y);
      out += buf;
    }
    out += "\"/>";
  };
  out += "<svg viewBox=\"0 0 " + std::to_string(kWidth) + " " + std::to_string(kHeight) +
         "\" role=\"img\" aria-label=\"requests and refusals over the period\">";
  line(requests, "#2e6bd8");
  line(refused, "#d92d20");
  out += "<text x=\"6\" y=\"14\" font-size=\"12\" fill=\"#5b6475\">peak " + std::to_string(top) +
         " per bucket</text></svg>";
  out += "<p class=\"meta\">Blue: requests; red: refused.</p>";
}

}  // namespace

std::string render_report_html(const Dashboard::View& v, std::int64_t now_s,
                               const std::vector<UpstreamWindow>& upstreams,
                               const ConfigState& config, std::string& style_hash) {
  style_hash = csp_hash(kReportStyle);

  const Dashboard::Period& t = v.totals;
  std::string out;
  out.reserve(32 * 1024);
  out +=
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>Portcullis report ";
  out += utc(static_cast<double>(v.since)) + " – " + utc(static_cast<double>(now_s));
  out += "</title><style>";
  out += kReportStyle;
  out += "</style></head><body>";
  out += "<h1>Portcullis security report</h1><p class=\"meta\">From " +
         utc(static_cast<double>(v.since)) + " to " + utc(static_cast<double>(now_s)) +
         " (since the proxy started, if that is later). Config generation " +
         std::to_string(config.generation) + ", <code>";
  append_html(out, config.hash);
  out += "</code> from <code>";
  append_html(out, config.source);
  out += "</code>. Last reload (";
  append_html(out, config.last_reload_trigger);
  out += ", " + utc(config.last_reload_time) + "): ";
  if (config.last_reload_ok) {
    out += "<span class=\"good\">success</span>";
  } else {
    out += "<span class=\"bad\">failure: ";
    append_html(out, config.last_reload_error);
    out += "</span>";
  }
  out += ".</p>";

  out += "<h2>Overview</h2><div class=\"cards\">";
  auto card = [&](std::string_view label, const std::string& value) {
    out += "<div class=\"card\"><b>";
    append_html(out, value);
    out += "</b>";
    append_html(out, label);
    out += "</div>";
  };
  card("requests", std::to_string(t.requests));
  card("refused", std::to_string(t.refused));
  card("refusal rate", percent(t.refused, t.requests));
  card("flagged (refused or detected)", std::to_string(t.flagged));
  out += "</div>";
  chart(out, v.requests.series(now_s), v.refused.series(now_s));

  out += "<div class=\"cols\">";
  counts_table(out, "Refusals by stage", kStageNames.data(), t.refused_by_stage.data(),
               kStageNames.size());
  counts_table(out, "Actions", kActionNames, t.actions.data(), std::size(kActionNames));
  counts_table(out, "Bot classes", kBotClassNames, t.bot_classes.data(), std::size(kBotClassNames));
  out += "</div>";

  out +=
      "<h2>Top rules</h2><table><tr><th>stage</th><th>rule</th><th>message</th>"
      "<th>count</th></tr>";
  auto rules = t.rules.top(kListed);
  if (rules.empty()) out += "<tr><td colspan=\"4\">none</td></tr>";
  for (const TopK::Entry& e : rules) {
    auto [stage, id] = split_rule(e.item);
    out += "<tr><td>";
    append_html(out, stage);
    out += "</td><td><code>";
    append_html(out, id);
    out += "</code></td><td>";
    append_html(out, e.detail);
    out += "</td><td class=\"n\">";
    if (e.error) out += "≈";
    out += std::to_string(e.count) + "</td></tr>";
  }
  out += "</table><div class=\"cols\">";
  table_top(out, "Top clients", "client", t.clients);
  table_top(out, "Top JA4", "JA4", t.ja4);
  table_top(out, "Top User-Agents", "User-Agent", t.user_agents);
  table_top(out, "Top routes", "route", t.routes);
  table_top(out, "Rate-limited keys", "key", t.limited_keys);
  out += "</div>";

  out +=
      "<h2>Upstreams</h2><table><tr><th>upstream</th><th>health</th><th>requests</th>"
      "<th>errors</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>shed</th></tr>";
  if (upstreams.empty()) out += "<tr><td colspan=\"8\">none</td></tr>";
  for (const UpstreamWindow& u : upstreams) {
    out += "<tr><td>";
    append_html(out, u.name);
    out += "</td><td>";
    append_html(out, health(u));
    out += "</td><td class=\"n\">" + std::to_string(u.requests) + "</td><td class=\"n\">" +
           std::to_string(total_errors(u)) + "</td><td class=\"n\">" +
           ms(latency_percentile_ms(u.latency, 0.5)) + "</td><td class=\"n\">" +
           ms(latency_percentile_ms(u.latency, 0.9)) + "</td><td class=\"n\">" +
           ms(latency_percentile_ms(u.latency, 0.99)) + "</td><td class=\"n\">" +
           std::to_string(u.shed) + "</td></tr>";
  }
  out +=
      "</table><p class=\"meta\">Counts in the top lists may overstate by a little where "
      "marked ≈ (bounded summaries). Generated " +
      utc(static_cast<double>(now_s)) + ".</p></body></html>\n";
  return out;
}

}  // namespace portcullis::proxy
