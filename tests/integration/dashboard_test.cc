// The dashboard on the admin listener: /api/summary counts a mix of passing and refused
// requests over time and by stage and names the top rules (with their messages), clients,
// User-Agents, routes, rate-limited keys and the upstream's health; /api/events filters the
// recent events for the drill-down; /api/report exports a period as HTML or JSON; the page and
// its files are served from the binary under a strict Content-Security-Policy; and the admin
// token (or the session cookie that signing in with it gives) guards all of it.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>
#include <string>
#include <thread>

#include "core/csp.h"
#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using json = nlohmann::json;

std::uint64_t sum(const json& series) {
  std::uint64_t n = 0;
  for (const json& v : series) n += v.get<std::uint64_t>();
  return n;
}

class DashboardTest : public ProxyTest {
 protected:
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }
};

TEST_F(DashboardTest, SummaryCountsWhatWasSentAndWhatWasRefused) {
  ASSERT_TRUE(
      start_proxy("policies:\n"
                  "  - name: default\n"
                  "    access: {methods: [GET]}\n"
                  "    ratelimit: {limits: [{name: per-ip, rate: 1/m, burst: 4, key: ip}]}\n",
                  2));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(run_curl({"-A", "scanner/1.0", "-X", "DELETE", url("/a")}).status, 405);
  }
  int passed = 0, limited = 0;
  for (int i = 0; i < 6; ++i) {
    int status = run_curl({"-A", "browser/2.0", url("/a")}).status;
    passed += status == 200;
    limited += status == 429;
  }
  EXPECT_EQ(passed, 4);
  EXPECT_EQ(limited, 2);

  CurlResult r = run_curl({admin("/api/summary")});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(find_header(r.headers, "content-type"), "application/json");
  json s = json::parse(r.body);
  EXPECT_EQ(sum(s["requests"]), 8u) << "two workers' counts merged";
  EXPECT_EQ(sum(s["refused"]), 4u);
  EXPECT_EQ(s["requests"].size(), 120u) << "ten minutes of 5 s buckets";
  EXPECT_EQ(s["refused_by_stage"]["access"], 2);
  EXPECT_EQ(s["refused_by_stage"]["ratelimit"], 2);
  ASSERT_FALSE(s["top_rules"].empty());
  std::map<std::string, std::string> rules;
  for (const json& e : s["top_rules"]) {
    rules[e["stage"].get<std::string>() + ":" + e["id"].get<std::string>()] = e["message"];
  }
  EXPECT_EQ(rules["access:method"], "method not allowed") << s["top_rules"];
  EXPECT_EQ(rules["ratelimit:per-ip"], "rate limit 'per-ip' exceeded") << s["top_rules"];
  EXPECT_EQ(s["totals"]["requests"], 8);
  EXPECT_EQ(s["totals"]["refused"], 4);
  EXPECT_EQ(s["actions"]["block"], 2);
  EXPECT_EQ(s["actions"]["rate_limit"], 2);
  EXPECT_EQ(s["top_routes"][0]["count"], 4);
  // The upstream answered the four that passed, within the last five minutes.
  ASSERT_EQ(s["upstreams"].size(), 1u) << s["upstreams"];
  EXPECT_EQ(s["upstreams"][0]["health"], "healthy") << s["upstreams"];
  EXPECT_EQ(s["upstreams"][0]["requests"], 4) << s["upstreams"];
  EXPECT_TRUE(s["upstreams"][0]["p50_ms"].is_number()) << s["upstreams"];
  EXPECT_LE(s["upstreams"][0]["p50_ms"].get<double>(), s["upstreams"][0]["p99_ms"].get<double>());
  EXPECT_EQ(s["top_clients"][0]["client"], "127.0.0.1");
  EXPECT_EQ(s["top_clients"][0]["count"], 4);
  std::set<std::string> agents;
  for (const json& e : s["top_user_agents"]) agents.insert(e["user_agent"].get<std::string>());
  EXPECT_EQ(agents, (std::set<std::string>{"scanner/1.0", "browser/2.0"}));
  EXPECT_EQ(s["rate_limited_keys"][0]["key"], "ip=127.0.0.1");
  EXPECT_EQ(s["rate_limited_keys"][0]["count"], 2);
  EXPECT_EQ(s["config"]["last_reload"]["result"], "success");
  EXPECT_EQ(run_curl({"-X", "POST", admin("/api/summary")}).status, 405);
}

TEST_F(DashboardTest, CountsOutliveReloadsAndTheLastReloadIsShown) {
  const std::string policy = "policies:\n  - name: default\n    access: {methods: [GET]}\n";
  ASSERT_TRUE(start_proxy(policy));
  EXPECT_EQ(run_curl({"-X", "DELETE", url("/a")}).status, 405);
  EXPECT_EQ(run_curl({url("/a")}).status, 200);
  auto summary = [&] { return json::parse(run_curl({admin("/api/summary")}).body); };
  auto reload = [&](const std::string& text) {
    std::ofstream(proxy_.config_path(), std::ios::trunc) << text;
    return run_curl({"-X", "POST", admin("/reload")}).status;
  };
  const std::string base = single_route_config(upstream_, policy, 1);

  // A good reload: a new generation, and what was counted before is still there.
  ASSERT_EQ(reload(base + "# changed\n"), 200);
  json s = summary();
  // 2, or 3 when the file watcher reloaded the write before the POST did.
  const int generation = s["config"]["generation"];
  EXPECT_GE(generation, 2) << s["config"];
  EXPECT_EQ(s["config"]["last_reload"]["result"], "success");
  EXPECT_EQ(s["totals"]["requests"], 2) << "the workers' counts are kept across reloads";
  EXPECT_EQ(s["refused_by_stage"]["access"], 1);

  // A bad one: refused, the running config stays, and the summary says why.
  ASSERT_EQ(reload(base + "limits: {header_byts: 1}\n"), 422);
  s = summary();
  EXPECT_EQ(s["config"]["generation"], generation);
  EXPECT_EQ(s["config"]["last_reload"]["result"], "failure");
  EXPECT_NE(s["config"]["last_reload"]["error"].get<std::string>().find("limits.header_byts"),
            std::string::npos)
      << s["config"];
  EXPECT_EQ(run_curl({"-X", "DELETE", url("/a")}).status, 405) << "the good config still runs";
  EXPECT_EQ(summary()["totals"]["refused"], 2);
}

TEST_F(DashboardTest, TheAdminTokenGuardsTheSummary) {
  ASSERT_TRUE(start_proxy("admin: {address: 127.0.0.1:0, token: s3cret-t0ken}\n"));
  EXPECT_EQ(run_curl({admin("/api/summary")}).status, 401);
  EXPECT_EQ(run_curl({"-H", "Authorization: Bearer wrong", admin("/api/summary")}).status, 401);
  EXPECT_EQ(run_curl({"-H", "Authorization: Bearer s3cret-t0ken", admin("/api/summary")}).status,
            200);
  // Not on the data port: there it is a path like any other, forwarded upstream.
  CurlResult data = run_curl({url("/api/summary")});
  EXPECT_EQ(data.status, 200);
  EXPECT_EQ(data.body.find("refused_by_stage"), std::string::npos);
}

// Requests the WAF refuses, each matching a known CRS rule, and some that pass.
class DashboardWafTest : public DashboardTest {
 protected:
  void SetUp() override {
    const std::string crs = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0";
    ASSERT_TRUE(proxy_.start({"--upstream", "http://" + upstream_.endpoint(), "--rules",
                              crs + "/crs-setup.conf.example", "--rules", crs + "/rules/*.conf",
                              "--admin", "127.0.0.1:0", "--events", "off"}));
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(run_curl({"-H", "Host: shop.example", url("/search?q=1%27%20or%201%3D1--")}).status,
                403);
    }
    ASSERT_EQ(run_curl({"-H", "Host: shop.example", url("/?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")})
                  .status,
              403);
    for (int i = 0; i < 5; ++i) {
      ASSERT_EQ(run_curl({"-H", "Host: shop.example", "-A", "Mozilla/5.0", url("/ok")}).status,
                200);
    }
    // The event log writes every 20 ms: wait for the four events.
    for (int i = 0; i < 200 && get("/events")["events"].size() < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  json get(std::string_view path) {
    CurlResult r = run_curl({admin(path)});
    EXPECT_EQ(r.status, 200) << path << r;
    return r.status == 200 ? json::parse(r.body) : json();
  }
};

TEST_F(DashboardWafTest, EventsFilterByRuleClientRouteAndTime) {
  json sqli = get("/api/events?rule=942100");
  ASSERT_EQ(sqli["events"].size(), 3u) << sqli;
  for (const json& e : sqli["events"]) {
    bool has = false;
    for (const json& r : e["rules"]) has |= r["id"] == "942100";
    EXPECT_TRUE(has) << e;
  }
  json xss = get("/api/events?rule=941100");
  ASSERT_EQ(xss["events"].size(), 1u) << xss;
  EXPECT_EQ(xss["events"][0]["path"], "/");
  EXPECT_EQ(get("/api/events?client=127.0.0.1")["events"].size(), 4u);
  EXPECT_EQ(get("/api/events?client=192.0.2.1")["events"].size(), 0u);
  EXPECT_EQ(get("/api/events?route=upstream&rule=942100")["events"].size(), 3u)
      << "--upstream's route";
  EXPECT_EQ(get("/api/events?route=other&rule=942100")["events"].size(), 0u);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_EQ(get("/api/events?since=" + std::to_string(now - 120))["events"].size(), 4u);
  EXPECT_EQ(get("/api/events?since=" + std::to_string(now + 60))["events"].size(), 0u);
  CurlResult bad = run_curl({admin("/api/events?since=yesterday")});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("since must be a time in seconds"), std::string::npos) << bad.body;
  // One event by its request id: what the detail view shows, with the matched data.
  const std::string id = sqli["events"][0]["request_id"];
  json one = get("/api/events?request_id=" + id);
  ASSERT_EQ(one["events"].size(), 1u);
  EXPECT_EQ(one["events"][0]["anomaly_score"].get<int>() >= 5, true) << one;
}

TEST_F(DashboardWafTest, SummaryNamesTheTopRuleWithItsMessage) {
  json s = get("/api/summary");
  EXPECT_EQ(s["totals"]["requests"], 9);
  EXPECT_EQ(s["totals"]["refused"], 4);
  EXPECT_EQ(s["refused_by_stage"]["waf"], 4);
  std::map<std::string, json> rules;
  for (const json& r : s["top_rules"]) rules[r["id"]] = r;
  ASSERT_TRUE(rules.count("942100")) << s["top_rules"];
  EXPECT_EQ(rules["942100"]["count"], 3);
  EXPECT_EQ(rules["942100"]["message"], "SQL Injection Attack Detected via libinjection");
  EXPECT_EQ(rules["941100"]["count"], 1);
  EXPECT_EQ(rules["949110"]["count"], 4) << "the anomaly threshold refused all four";
}

TEST_F(DashboardWafTest, ReportExportsAPeriodAsOnePageOrJson) {
  CurlResult page = run_curl({admin("/api/report?window=24h")});
  ASSERT_EQ(page.status, 200) << page;
  EXPECT_EQ(find_header(page.headers, "content-type"), "text/html; charset=utf-8");
  EXPECT_NE(find_header(page.headers, "content-disposition")
                .value_or("")
                .find("filename=\"portcullis-report-"),
            std::string::npos);
  // Self-contained: one style element, allowed by its hash; no script; nothing to fetch.
  const std::size_t open = page.body.find("<style>"), close = page.body.find("</style>");
  ASSERT_NE(open, std::string::npos);
  const std::string style = page.body.substr(open + 7, close - open - 7);
  const std::string policy = find_header(page.headers, "content-security-policy").value_or("");
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos) << policy;
  EXPECT_NE(policy.find("style-src " + csp_hash(style)), std::string::npos) << policy;
  EXPECT_EQ(page.body.find("<script"), std::string::npos);
  EXPECT_EQ(page.body.find(" src="), std::string::npos);
  EXPECT_NE(page.body.find("SQL Injection Attack Detected via libinjection"), std::string::npos);
  EXPECT_NE(page.body.find("<b>9</b>requests"), std::string::npos) << "nine requests in the period";

  CurlResult data = run_curl({admin("/api/report?window=90m&format=json")});
  ASSERT_EQ(data.status, 200) << data;
  json report = json::parse(data.body);
  EXPECT_EQ(report["totals"]["refused"], 4);
  EXPECT_EQ(report["bucket_seconds"], 300);
  EXPECT_EQ(report["requests"].size(), 288u) << "a day of 5-minute buckets";
  EXPECT_EQ(run_curl({"-H", "Accept: application/json", admin("/api/report")}).body[0], '{');

  for (std::string bad : {"window=25h", "window=0h", "window=soon", "window=24h&format=pdf"}) {
    CurlResult r = run_curl({admin("/api/report?" + bad)});
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("\"error\""), std::string::npos) << r.body;
  }
}

TEST_F(DashboardTest, ThePageAndItsFilesComeFromTheBinaryUnderAStrictPolicy) {
  ASSERT_TRUE(start_proxy());
  CurlResult page = run_curl({admin("/")});
  ASSERT_EQ(page.status, 200) << page;
  EXPECT_EQ(find_header(page.headers, "content-type"), "text/html; charset=utf-8");
  const std::string policy = find_header(page.headers, "content-security-policy").value_or("");
  for (std::string directive : {"default-src 'none'", "script-src 'self'", "style-src 'self'",
                                "connect-src 'self'", "frame-ancestors 'none'"}) {
    EXPECT_NE(policy.find(directive), std::string::npos) << policy;
  }
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos) << policy;
  EXPECT_EQ(policy.find("http"), std::string::npos) << "no other origin: " << policy;
  EXPECT_NE(page.body.find("/assets/app.js"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << "no inline script";
  for (std::string asset : {"/assets/app.js", "/assets/app.css", "/assets/icon.svg"}) {
    CurlResult r = run_curl({admin(asset)});
    EXPECT_EQ(r.status, 200) << asset;
    EXPECT_GT(r.body.size(), 100u) << asset;
    const std::string etag = find_header(r.headers, "etag").value_or("");
    ASSERT_FALSE(etag.empty()) << asset;
    EXPECT_EQ(run_curl({"-H", "If-None-Match: " + etag, admin(asset)}).status, 304) << asset;
  }
  EXPECT_EQ(find_header(run_curl({admin("/assets/app.js")}).headers, "content-type"),
            "text/javascript; charset=utf-8");
  EXPECT_EQ(run_curl({admin("/assets/missing.js")}).status, 404);
  EXPECT_EQ(run_curl({admin("/assets/index.html")}).status, 404) << "the page is only at /";
  // Without a token there is nothing to sign in to.
  CurlResult login = run_curl({admin("/login")});
  EXPECT_EQ(login.status, 303);
  EXPECT_EQ(find_header(login.headers, "location"), "/");
  // Not on the data port: there / is the upstream's.
  CurlResult data = run_curl({url("/")});
  EXPECT_EQ(data.status, 200);
  EXPECT_EQ(data.body.find("/assets/app.js"), std::string::npos);
}

TEST_F(DashboardTest, SigningInWithTheTokenGivesASessionCookie) {
  ASSERT_TRUE(start_proxy("admin: {address: 127.0.0.1:0, token: s3cret-t0ken}\n"));
  // A browser is sent to the sign-in form; a script gets 401.
  CurlResult browser = run_curl({"-H", "Accept: text/html", admin("/")});
  EXPECT_EQ(browser.status, 303);
  EXPECT_EQ(find_header(browser.headers, "location"), "/login");
  EXPECT_EQ(run_curl({admin("/")}).status, 401);
  EXPECT_EQ(run_curl({admin("/api/events")}).status, 401);
  EXPECT_EQ(run_curl({admin("/api/report")}).status, 401);
  CurlResult form = run_curl({admin("/login")});
  EXPECT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<form method=\"post\" action=\"/login\">"), std::string::npos);
  EXPECT_NE(
      find_header(form.headers, "content-security-policy").value_or("").find("form-action 'self'"),
      std::string::npos);

  CurlResult wrong = run_curl({"--data-urlencode", "token=guess", admin("/login")});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_NE(wrong.body.find("That is not the admin token."), std::string::npos);
  EXPECT_FALSE(find_header(wrong.headers, "set-cookie").has_value());

  CurlResult right = run_curl({"--data-urlencode", "token=s3cret-t0ken", admin("/login")});
  ASSERT_EQ(right.status, 303) << right;
  EXPECT_EQ(find_header(right.headers, "location"), "/");
  const std::string cookie = find_header(right.headers, "set-cookie").value_or("");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("s3cret"), std::string::npos) << "the cookie is not the token";
  const std::string pair = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(run_curl({"-H", "Cookie: " + pair, admin("/")}).status, 200);
  EXPECT_EQ(run_curl({"-H", "Cookie: theme=dark; " + pair, admin("/api/summary")}).status, 200);
  EXPECT_EQ(run_curl({"-H", "Cookie: " + pair + "0", admin("/api/summary")}).status, 401);
  // The cookie reads; it does not change things: /reload still wants the bearer token.
  EXPECT_EQ(run_curl({"-X", "POST", "-H", "Cookie: " + pair, admin("/reload")}).status, 401);
  // Signing out clears it.
  CurlResult out = run_curl({"-X", "POST", admin("/logout")});
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(find_header(out.headers, "set-cookie").value_or("").find("Max-Age=0"),
            std::string::npos);
  // A large form is refused, not read.
  EXPECT_EQ(run_curl({"--data-binary", "token=" + std::string(20000, 'x'), admin("/login")}).status,
            413);
}

}  // namespace
}  // namespace portcullis::testing
