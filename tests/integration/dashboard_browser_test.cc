// The dashboard in a real browser: portcullis with the CRS and an admin token gets a mix of
// ordinary requests and attacks over TLS (the SQL injections from curl's TLS 1.3 stack, the XSS
// from TLS 1.2, so two JA4s); headless Chromium (Debian's, driven by playwright-core through
// tests/browser/dashboard.mjs) signs in with the token, reads the overview, clicks the SQL
// injection rule to filter the recent events, opens one event, filters by the top JA4, and saves
// a screenshot. The test checks that what the page showed is what was sent, and that the page
// raised no script error and no Content-Security-Policy violation.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using json = nlohmann::json;

const std::string kCrs = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0";
constexpr int kBenign = 20, kSqli = 6, kXss = 2;

class DashboardBrowserTest : public ProxyTest {
 protected:
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }

  // Waits until the event log has written `n` events (it writes every 20 ms).
  bool events_written(std::size_t n) {
    for (int i = 0; i < 200; ++i) {
      CurlResult r = run_curl({"-H", "Authorization: Bearer br0wser-t0ken", admin("/api/events")});
      if (r.status == 200 && json::parse(r.body)["events"].size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
  }
};

TEST_F(DashboardBrowserTest, ShowsWhatWasSentAndDrillsDownToOneEvent) {
  const CertificateFiles& tls = loopback_certificate();
  ASSERT_TRUE(proxy_.start_with_config(
      "listen:\n  - address: 127.0.0.1:0\n    tls: {certificates: [{cert: " + tls.cert +
      ", key: " + tls.key +
      "}]}\n"
      "admin: {address: 127.0.0.1:0, token: br0wser-t0ken}\n"
      "upstreams: [{name: app, endpoints: [" +
      upstream_.endpoint() +
      "]}]\n"
      "routes: [{upstream: app}]\n"
      "policies:\n"
      "  - name: default\n"
      "    waf:\n"
      "      rules: [" +
      kCrs + "/crs-setup.conf.example, " + kCrs + "/rules/*.conf]\n"));
  // curl over TLS (HTTP/2 offered) to a named host: CRS would otherwise note every request to a
  // numeric Host (920350).
  auto send = [&](std::string_view path, std::vector<std::string> args) {
    const std::string port = std::to_string(proxy_.port());
    args.insert(args.end(), {"-k", "--http2", "--resolve", "shop.example:" + port + ":127.0.0.1",
                             "https://shop.example:" + port + std::string(path)});
    return run_curl(args).status;
  };
  for (int i = 0; i < kBenign; ++i) {
    ASSERT_EQ(send("/products?page=2", {"-A", "Mozilla/5.0"}), 200);
  }
  for (int i = 0; i < kSqli; ++i) {
    ASSERT_EQ(send("/products?id=1%27%20or%201%3D1--", {"-A", "sqlmap/1.7 (Grüße)"}), 403);
  }
  for (int i = 0; i < kXss; ++i) {
    ASSERT_EQ(send("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
                   {"-A", "Mozilla/5.0", "--tls-max", "1.2"}),
              403);
  }
  ASSERT_TRUE(events_written(kSqli + kXss));
  // The JA4 of the SQL injections, from their events.
  CurlResult sqli_events = run_curl(
      {"-H", "Authorization: Bearer br0wser-t0ken", admin("/api/events?rule=942100&limit=1")});
  const std::string sqli_ja4 =
      json::parse(sqli_events.body)["events"][0]["fingerprints"].value("ja4", "");
  ASSERT_EQ(sqli_ja4.size(), 36u) << sqli_events.body;

  std::filesystem::create_directories(PORTCULLIS_ARTIFACT_DIR);
  const std::string screenshot = std::string(PORTCULLIS_ARTIFACT_DIR) + "/dashboard.png";
  std::filesystem::remove(screenshot);
  ProcessResult run =
      run_process({"node", PORTCULLIS_BROWSER_DRIVER, "--url", admin("/"), "--token",
                   "br0wser-t0ken", "--screenshot", screenshot, "--expect-rule", "942100"},
                  std::chrono::seconds(90));
  ASSERT_TRUE(run.exit && run.exit->exited && run.exit->code == 0)
      << run.out << run.err
      << "(tests/browser needs `npm ci --prefix tests/browser` and Debian's chromium; ./dev test "
         "does both)";
  json seen = json::parse(run.out);
  std::printf("dashboard loaded in %s ms; screenshot: %s\n", seen["load_ms"].dump().c_str(),
              screenshot.c_str());
  RecordProperty("load_ms", seen["load_ms"].dump());

  EXPECT_TRUE(seen["console_errors"].empty()) << seen["console_errors"];
  EXPECT_TRUE(seen["csp_violations"].empty()) << seen["csp_violations"];
  // The counters: every request, and the refused ones, all by the WAF.
  EXPECT_EQ(seen["requests_total"], kBenign + kSqli + kXss) << seen;
  EXPECT_EQ(seen["refused_total"], kSqli + kXss) << seen;
  EXPECT_EQ(seen["stages"]["waf"], kSqli + kXss) << seen;
  EXPECT_EQ(seen["stages"]["ratelimit"], 0) << seen;
  // The top rules: the anomaly threshold refused all of them; 942100 (libinjection) found
  // every SQL injection.
  ASSERT_GE(seen["top_rules"].size(), 2u) << seen;
  EXPECT_EQ(seen["top_rules"][0]["count"], kSqli + kXss) << seen["top_rules"];
  std::map<std::string, int> rules;
  for (const json& r : seen["top_rules"]) rules[r["id"]] = r["count"];
  EXPECT_EQ(rules["949110"], kSqli + kXss) << seen["top_rules"];
  EXPECT_EQ(rules["942100"], kSqli) << seen["top_rules"];
  // A User-Agent in UTF-8 reads as sent (the event log writes its bytes one by one).
  std::set<std::string> agents;
  for (const json& a : seen["top_user_agents"]) agents.insert(a);
  EXPECT_TRUE(agents.count("sqlmap/1.7 (Grüße)")) << seen["top_user_agents"];
  ASSERT_FALSE(seen["top_clients"].empty());
  EXPECT_EQ(seen["top_clients"][0]["client"], "127.0.0.1") << seen["top_clients"];
  ASSERT_EQ(seen["upstreams"].size(), 1u) << seen;
  EXPECT_EQ(seen["upstreams"][0]["name"], "app");
  EXPECT_EQ(seen["upstreams"][0]["health"], "healthy");
  EXPECT_EQ(seen["config_generation"], 1) << seen;
  EXPECT_EQ(seen["reload_result"], "success") << seen;

  // The drill-down: only the SQL injections, each of them.
  EXPECT_EQ(seen["filtered"]["rule"], "942100");
  EXPECT_EQ(seen["filtered"]["count"], kSqli) << seen["filtered"];
  EXPECT_TRUE(seen["filtered"]["all_match"].get<bool>()) << seen["filtered"];
  // The event opened is one of them, with its rules.
  std::set<std::string> ids;
  for (const json& id : seen["filtered"]["request_ids"]) ids.insert(id);
  EXPECT_TRUE(ids.count(seen["detail"]["request_id"].get<std::string>())) << seen["detail"];
  std::set<std::string> detail_rules;
  for (const json& r : seen["detail"]["rules"]) detail_rules.insert(r);
  EXPECT_TRUE(detail_rules.count("942100")) << seen["detail"];
  EXPECT_TRUE(detail_rules.count("949110")) << seen["detail"];

  // The fingerprint drill-down: the most frequent JA4 among flagged requests is curl's TLS 1.3
  // one, and it shows exactly the SQL injections.
  EXPECT_EQ(seen["filtered_ja4"]["ja4"], sqli_ja4) << seen;
  std::set<std::string> ja4_ids;
  for (const json& id : seen["filtered_ja4"]["request_ids"]) ja4_ids.insert(id);
  EXPECT_EQ(ja4_ids, ids) << "the JA4's events are the SQL injections";

  // Signing out ends the session.
  EXPECT_EQ(seen["signed_out"]["path"], "/login") << seen;
  EXPECT_EQ(seen["signed_out"]["summary_status"], 401) << seen;

  // The screenshot is a PNG of some size.
  std::ifstream png(screenshot, std::ios::binary);
  std::string magic(8, '\0');
  png.read(magic.data(), 8);
  EXPECT_EQ(magic, std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(std::filesystem::file_size(screenshot), 20000u);
}

}  // namespace
}  // namespace portcullis::testing
