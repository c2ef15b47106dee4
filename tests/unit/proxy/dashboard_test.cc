// The dashboard's periods and views: what a worker records is counted in the right period, the
// live view covers ten minutes and the report's view whole hours, periods are reused as time
// goes round, top rules keep their messages, and upstream windows and percentiles come out of
// the metrics' histograms.
#include "proxy/dashboard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/metrics.h"

namespace portcullis::proxy {
namespace {

constexpr std::int64_t kNoon = 1796040000;  // a whole hour

struct Request {
  std::string client = "198.51.100.7", agent = "sqlmap/1.7", route = "api", ja4;
  std::vector<Finding> findings;
};

// Records one request: refused by `enforced` (or passed when it is pass()).
void record(Dashboard& d, std::int64_t now, const Request& r, const Verdict& enforced,
            int status = 403, const Verdict& detected = Verdict::pass()) {
  Exchange ex;
  std::vector<HeaderField> headers = {{"user-agent", r.agent}};
  ex.headers = headers;
  ex.client_ip = r.client;
  ex.route_id = r.route;
  ex.ja4 = r.ja4;
  ex.findings = r.findings;
  d.record(&ex, enforced.is_continue() ? 200 : status, enforced, detected, now);
}

Dashboard::View live(const Dashboard& d, std::int64_t now) {
  Dashboard::View v(Dashboard::Range::kLive);
  d.add_to(v, now, Dashboard::kLiveSeconds);
  return v;
}

TEST(DashboardTest, CountsRefusalsByStageActionAndRule) {
  Dashboard d;
  Request sqli;
  sqli.findings = {{.stage = "waf", .rule = "942100", .message = "SQL Injection Attack"},
                   {.stage = "waf", .rule = "949110", .message = "Inbound Anomaly Score Exceeded"}};
  for (int i = 0; i < 3; ++i) {
    record(d, kNoon + i, sqli,
           Verdict::block(403, "waf", "Inbound Anomaly Score Exceeded", "949110"));
  }
  Verdict limited{Action::kRateLimit, 429, 1, "ratelimit", "rate limit exceeded", "per-ip"};
  record(d, kNoon + 5, Request{}, limited, 429);
  record(d, kNoon + 6, Request{.client = "192.0.2.1", .agent = "Mozilla/5.0"}, Verdict::pass());

  const Dashboard::View v = live(d, kNoon + 10);
  EXPECT_EQ(v.totals.requests, 5u);
  EXPECT_EQ(v.totals.refused, 4u);
  EXPECT_EQ(v.totals.refused_by_stage[stage_index("waf")], 3u);
  EXPECT_EQ(v.totals.refused_by_stage[stage_index("ratelimit")], 1u);
  EXPECT_EQ(v.totals.actions[0], 3u) << "block";
  EXPECT_EQ(v.totals.actions[2], 1u) << "rate_limit";
  auto rules = v.totals.rules.top(10);
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].item, "waf:942100") << "every rule that matched, in order on a tie";
  EXPECT_EQ(rules[0].count, 3u);
  EXPECT_EQ(rules[0].detail, "SQL Injection Attack");
  EXPECT_EQ(rules[1].item, "waf:949110") << "the deciding rule, counted once per request";
  EXPECT_EQ(rules[1].count, 3u);
  EXPECT_EQ(rules[2].item, "ratelimit:per-ip") << "a refusal without findings is its own rule";
  auto clients = v.totals.clients.top(10);
  ASSERT_EQ(clients.size(), 1u) << "only offending clients: the passing one is not listed";
  EXPECT_EQ(clients[0].item, "198.51.100.7");
  EXPECT_EQ(clients[0].count, 4u);
  EXPECT_EQ(v.totals.limited_keys.total(), 0u) << "the exchange had no limiter key";
}

TEST(DashboardTest, DetectModeIsFlaggedButNotRefused) {
  Dashboard d;
  record(d, kNoon, Request{}, Verdict::pass(), 200,
         Verdict::block(403, "bots", "automation", "ua"));
  const Dashboard::View v = live(d, kNoon);
  EXPECT_EQ(v.totals.refused, 0u);
  EXPECT_EQ(v.totals.flagged, 1u);
  EXPECT_EQ(v.totals.actions[3], 1u) << "detect";
  EXPECT_EQ(v.totals.clients.total(), 1u);
  EXPECT_EQ(v.refused.series(kNoon).back(), 0u);
}

TEST(DashboardTest, TheLiveViewForgetsWhatIsOlderThanTenMinutes) {
  Dashboard d;
  const Verdict block = Verdict::block(403, "access", "method", "method");
  record(d, kNoon, Request{.client = "192.0.2.1"}, block);
  record(d, kNoon + 300, Request{.client = "192.0.2.2"}, block);
  record(d, kNoon + 659, Request{.client = "192.0.2.3"}, block);
  // At 12:11:00 the minute periods kept are 12:01 .. 12:11: 12:00's is gone.
  Dashboard::View v = live(d, kNoon + 660);
  EXPECT_EQ(v.since, kNoon + 60);
  EXPECT_EQ(v.totals.refused, 2u);
  auto clients = v.totals.clients.top(10);
  ASSERT_EQ(clients.size(), 2u);
  EXPECT_NE(clients[0].item, "192.0.2.1");
  EXPECT_NE(clients[1].item, "192.0.2.1");
  // The 5 s series: 120 buckets, the last being 12:11:00's.
  auto series = v.refused.series(kNoon + 660);
  ASSERT_EQ(series.size(), 120u);
  EXPECT_EQ(series[118], 1u) << "12:10:55";
  EXPECT_EQ(series[47], 1u) << "12:05:00 is 72 buckets before 12:11:00";
}

TEST(DashboardTest, PeriodsAreReusedAsTimeGoesRound) {
  Dashboard d;
  const Verdict block = Verdict::block(403, "waf", "x", "941100");
  // Eleven minute periods in the ring: the 12th minute takes over the first one's period.
  for (std::int64_t m = 0; m < 12; ++m) record(d, kNoon + m * 60, Request{}, block);
  Dashboard::View v = live(d, kNoon + 11 * 60);
  EXPECT_EQ(v.totals.refused, 11u) << "12:01 .. 12:11";
  // A day later nothing of it is left in the live view.
  EXPECT_EQ(live(d, kNoon + 86400).totals.requests, 0u);
}

TEST(DashboardTest, TheDayViewCoversWholeHours) {
  Dashboard d;
  const Verdict block = Verdict::block(403, "waf", "x", "941100");
  for (std::int64_t h = 0; h < 30; ++h) record(d, kNoon + h * 3600 + 10, Request{}, block);
  const std::int64_t now = kNoon + 29 * 3600 + 20;
  Dashboard::View day(Dashboard::Range::kDay);
  d.add_to(day, now, 24 * 3600);
  EXPECT_EQ(day.totals.refused, 25u) << "the current hour and the 24 before it";
  EXPECT_EQ(day.since, kNoon + 5 * 3600);
  Dashboard::View hour(Dashboard::Range::kDay);
  d.add_to(hour, now, 3600);
  EXPECT_EQ(hour.totals.refused, 2u) << "the current hour and the one before";
  EXPECT_EQ(day.requests.size(), 288u) << "5-minute buckets over a day";
}

TEST(DashboardTest, WorkersAddUpInOneView) {
  Dashboard a, b;
  const Verdict block = Verdict::block(403, "schema", "bad body", "required");
  record(a, kNoon, Request{.client = "192.0.2.1"}, block);
  record(b, kNoon + 1, Request{.client = "192.0.2.1"}, block);
  record(b, kNoon + 2, Request{.client = "192.0.2.9"}, block);
  Dashboard::View v(Dashboard::Range::kLive);
  a.add_to(v, kNoon + 3, Dashboard::kLiveSeconds);
  b.add_to(v, kNoon + 3, Dashboard::kLiveSeconds);
  EXPECT_EQ(v.totals.refused_by_stage[stage_index("schema")], 3u);
  auto clients = v.totals.clients.top(1);
  EXPECT_EQ(clients[0].item, "192.0.2.1");
  EXPECT_EQ(clients[0].count, 2u);
}

TEST(DashboardTest, SummaryJsonSplitsRulesAndReportsUpstreams) {
  Dashboard d;
  Request r;
  r.findings = {{.stage = "waf", .rule = "941110", .message = "XSS Filter - Category 1"}};
  record(d, kNoon, r, Verdict::block(403, "waf", "x", "941110"));
  Dashboard::View v = live(d, kNoon + 1);
  UpstreamWindow up;
  up.name = "app";
  up.window_s = 300;
  up.requests = 100;
  up.latency[2] = 100;  // all between 1 and 2.5 ms
  ConfigState config;
  config.json = "{\"generation\":1}";
  const std::string json = render_summary(v, kNoon + 1, {up}, config);
  EXPECT_NE(json.find("\"top_rules\":[{\"stage\":\"waf\",\"id\":\"941110\","
                      "\"message\":\"XSS Filter - Category 1\",\"count\":1,\"error\":0}]"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"health\":\"healthy\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"p50_ms\":1.750"), std::string::npos) << json;
  EXPECT_NE(json.find("\"config\":{\"generation\":1}"), std::string::npos);
}

TEST(DashboardTest, ReportIsOnePageWithoutScriptAndEscapesWhatClientsSent) {
  Dashboard d;
  Request r{.agent = "<script>alert(1)</script>"};
  record(d, kNoon, r, Verdict::block(403, "bots", "bad agent", "ua"));
  Dashboard::View v(Dashboard::Range::kDay);
  d.add_to(v, kNoon + 1, 24 * 3600);
  ConfigState config;
  config.last_reload_ok = false;
  config.last_reload_error = "line 3: unknown key";
  std::string style_hash;
  const std::string page = render_report_html(v, kNoon + 1, {}, config, style_hash);
  EXPECT_EQ(page.find("<script"), std::string::npos) << "the agent is text, not markup";
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("failure: line 3: unknown key"), std::string::npos);
  EXPECT_EQ(style_hash.substr(0, 8), "'sha256-");
  EXPECT_EQ(style_hash.size(), 8 + 44 + 1u) << "base64 of a SHA-256, quoted";
  EXPECT_EQ(page.find("src="), std::string::npos) << "nothing to fetch";
}

TEST(UpstreamWindowTest, PercentilesInterpolateWithinBuckets) {
  std::array<std::uint64_t, 15> buckets{};
  EXPECT_LT(latency_percentile_ms(buckets, 0.5), 0) << "empty";
  buckets[0] = 50;  // <= 0.5 ms
  buckets[4] = 50;  // 5 .. 10 ms
  EXPECT_DOUBLE_EQ(latency_percentile_ms(buckets, 0.5), 0.5);
  EXPECT_DOUBLE_EQ(latency_percentile_ms(buckets, 0.9), 9.0);
  buckets[14] = 1000;  // above 10 s: no upper bound, its lower one is shown
  EXPECT_DOUBLE_EQ(latency_percentile_ms(buckets, 0.99), 10000.0);
}

TEST(UpstreamWindowTest, AWindowIsTheDifferenceFromAnOlderSample) {
  UpstreamHistory history;
  UpstreamWindow before{.name = "app", .requests = 100};
  before.errors[0] = 5;
  before.latency[1] = 95;
  history.sample(kNoon, {before});
  history.sample(kNoon + 10, {before});
  UpstreamWindow now = before;
  now.requests = 130;
  now.errors[0] = 35;  // every new attempt failed to connect
  auto w = history.window(kNoon + 20, 300, {now});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].window_s, 20);
  EXPECT_EQ(w[0].requests, 30u);
  EXPECT_EQ(w[0].errors[0], 30u);
  EXPECT_EQ(w[0].latency[1], 0u);
  Dashboard::View v(Dashboard::Range::kLive);
  EXPECT_NE(render_summary(v, kNoon + 20, w, ConfigState{.json = "{}"}).find("\"health\":\"down\""),
            std::string::npos);
  // An upstream that appeared after the sample counts from zero.
  auto fresh = history.window(kNoon + 20, 300, {UpstreamWindow{.name = "new", .requests = 3}});
  EXPECT_EQ(fresh[0].requests, 3u);
}

}  // namespace
}  // namespace portcullis::proxy
