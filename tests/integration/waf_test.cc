// The WAF stage through the real binary: SecLang rules and the OWASP CRS v4 loaded from the
// config or --rules, requests refused or let through as a user of ModSecurity expects, the
// security events that say why, detect mode, response inspection, and rule files that do not
// load.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kCrs = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0";

class WafTest : public ProxyTest {
 protected:
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }

  // The recent security events (admin /events) once one mentions `needle`, or what was there
  // when the deadline passed.
  std::string events_with(std::string_view query, std::string_view needle) {
    std::string body;
    auto deadline = std::chrono::steady_clock::now() + seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      body = run_curl({admin("/events" + std::string(query))}).body;
      if (body.find(needle) != std::string::npos) break;
      std::this_thread::sleep_for(milliseconds(25));
    }
    return body;
  }

  std::string config(const std::string& waf_yaml, const std::string& mode = "block",
                     const std::string& upstream = {}) const {
    return "listen: [127.0.0.1:0]\nworkers: 1\nupstreams: [" +
           (upstream.empty() ? "{name: app, endpoints: [" + upstream_.endpoint() + "]}"
                             : upstream) +
           "]\nroutes: [{upstream: app}]\npolicies:\n  - name: default\n    mode: " + mode +
           "\n    waf:\n" + waf_yaml;
  }
};

TEST_F(WafTest, InlineRuleRefusesMatchingRequestAndLogsIt) {
  ASSERT_TRUE(proxy_.start_with_config(
      config("      inline: |\n"
             "        SecRule ARGS:q \"@contains attack\" "
             "\"id:1001,phase:1,deny,status:403,msg:'attack in q',logdata:'%{MATCHED_VAR}'\"\n")));

  CurlResult blocked = run_curl({url("/echo?q=an%20attack")});
  EXPECT_EQ(blocked.status, 403) << blocked.body;
  EXPECT_EQ(upstream_.head_count(), 0u) << "the refused request reached the upstream";
  CurlResult passed = run_curl({url("/echo?q=hello")});
  EXPECT_EQ(passed.status, 200);

  std::string events = events_with("?stage=waf", "1001");
  EXPECT_NE(events.find("\"id\":\"1001\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"message\":\"attack in q\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"data\":\"an attack\""), std::string::npos) << events;
  EXPECT_NE(events.find("\"variable\":\"ARGS:q\""), std::string::npos) << events;
}

TEST_F(WafTest, CoreRuleSetBlocksAttacksAndPassesOrdinaryTraffic) {
  ASSERT_TRUE(proxy_.start({"--upstream", "http://" + upstream_.endpoint(), "--rules",
                            kCrs + "/crs-setup.conf.example", "--rules", kCrs + "/rules/*.conf",
                            "--paranoia", "1"}));

  EXPECT_EQ(run_curl({url("/echo?name=Jane%20Doe&page=2")}).status, 200);
  EXPECT_EQ(run_curl({"-X", "POST", "-H", "Content-Type: application/json", "--data",
                      R"({"user":{"name":"Jane","tags":["a","b"]},"count":3})", url("/echo")})
                .status,
            200);
  // The same over HTTP/2 (h2c prior knowledge on the same port): :authority stands for Host.
  EXPECT_EQ(run_curl({"--http2-prior-knowledge", url("/echo?name=Jane%20Doe&page=2")}).status, 200);
  EXPECT_EQ(
      run_curl({"--http2-prior-knowledge", "-X", "POST", "-H", "Content-Type: application/json",
                "--data", R"({"user":{"name":"Jane"}})", url("/echo")})
          .status,
      200);
  EXPECT_EQ(
      run_curl({"--http2-prior-knowledge", url("/echo?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")})
          .status,
      403);
  // XSS in a query argument: CRS 941xxx rules score it, 949110 refuses it.
  CurlResult xss = run_curl({url("/echo?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")});
  EXPECT_EQ(xss.status, 403) << xss.body;
  // Path traversal in a JSON body.
  CurlResult lfi = run_curl({"-X", "POST", "-H", "Content-Type: application/json", "--data",
                             R"({"file":"../../../../etc/passwd"})", url("/echo")});
  EXPECT_EQ(lfi.status, 403) << lfi.body;

  // Both events are there once the second (the LFI one, written after the XSS one) is.
  std::string events = events_with("?rule=949110", "\"id\":\"930");
  EXPECT_NE(events.find("\"id\":\"941"), std::string::npos) << events;
  EXPECT_NE(events.find("\"id\":\"930"), std::string::npos) << events;
}

TEST_F(WafTest, DetectModeForwardsAndRecordsWhatWouldHaveBeenBlocked) {
  ASSERT_TRUE(proxy_.start_with_config(
      config("      rules: [" + kCrs + "/crs-setup.conf.example, " + kCrs + "/rules/*.conf]\n",
             "detect")));

  CurlResult r = run_curl({url("/echo?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(upstream_.head_count(), 1u);
  std::string events = events_with("?rule=949110", "949110");
  EXPECT_NE(events.find("\"action\":\"detect\""), std::string::npos) << events;
}

TEST_F(WafTest, ResponseBodyInspectionRefusesDataLeaks) {
  ASSERT_TRUE(
      proxy_.start_with_config(config("      rules: [" + kCrs + "/crs-setup.conf.example, " + kCrs +
                                      "/rules/*.conf]\n"
                                      "      inline: |\n"
                                      "        SecResponseBodyAccess On\n"
                                      "        SecResponseBodyMimeType text/plain text/html "
                                      "application/octet-stream\n")));

  // /echo answers with the request body as text/plain: here, an SQL error message.
  CurlResult leak = run_curl({"-X", "POST", "--data-binary",
                              "You have an error in your SQL syntax; check the manual that "
                              "corresponds to your MySQL server version",
                              url("/echo")});
  EXPECT_EQ(leak.status, 403) << leak.body;
  EXPECT_EQ(leak.body.find("SQL syntax"), std::string::npos) << "the leak reached the client";
  CurlResult fine = run_curl({"-X", "POST", "--data-binary", "all good", url("/echo")});
  EXPECT_EQ(fine.status, 200);
  EXPECT_EQ(fine.body, "all good");
  std::string events = events_with("?stage=waf", "951");
  EXPECT_NE(events.find("\"phase\":4"), std::string::npos) << events;

  // The same over HTTP/2: the client gets nothing of the body before the rules have seen it.
  CurlResult leak2 = run_curl({"--http2-prior-knowledge", "-X", "POST", "--data-binary",
                               "You have an error in your SQL syntax; check the manual that "
                               "corresponds to your MySQL server version",
                               url("/echo")});
  EXPECT_EQ(leak2.status, 403) << leak2.body;
  EXPECT_EQ(leak2.body.find("SQL syntax"), std::string::npos) << "the leak reached the client";
  CurlResult fine2 = run_curl(
      {"--http2-prior-knowledge", "-X", "POST", "--data-binary", "all good", url("/echo")});
  EXPECT_EQ(fine2.status, 200);
  EXPECT_EQ(fine2.body, "all good");
  // A body longer than the held prefix (SecResponseBodyLimit, 512 KiB) passes whole once the
  // prefix is found clean, over both protocols.
  for (bool h2 : {false, true}) {
    std::vector<std::string> args = {url("/big?bytes=700000")};
    if (h2) args.insert(args.begin(), "--http2-prior-knowledge");
    CurlResult long_body = run_curl(args);
    EXPECT_EQ(long_body.status, 200) << (h2 ? "h2" : "h1");
    EXPECT_EQ(long_body.body.size(), 700000u) << (h2 ? "h2" : "h1");
  }
}

// An HTTP/2 upstream (h2c): its response head (phase 3) and body (phase 4) are inspected before
// the client, HTTP/1.1 or HTTP/2, gets anything.
TEST_F(WafTest, ResponsesFromAnHttp2UpstreamAreInspected) {
  Nghttpd origin;
  ASSERT_TRUE(origin.ready()) << "nghttpd did not start";
  origin.serve("leak.txt",
               "You have an error in your SQL syntax; check the manual that corresponds to your "
               "MySQL server version\n");
  origin.serve("fine.txt", "all good\n");
  origin.serve("head.txt", "fine, but refused by its head\n");
  ASSERT_TRUE(proxy_.start_with_config(config(
      "      rules: [" + kCrs + "/crs-setup.conf.example, " + kCrs +
          "/rules/*.conf]\n"
          "      inline: |\n"
          "        SecResponseBodyAccess On\n"
          "        SecResponseBodyMimeType text/plain\n"
          "        SecRule RESPONSE_HEADERS:server \"@contains nghttpd\" "
          "\"id:100,phase:3,deny,status:502,chain\"\n"
          "          SecRule REQUEST_FILENAME \"@endsWith /head.txt\"\n",
      "block",
      "{name: app, protocol: h2c, endpoints: [127.0.0.1:" + std::to_string(origin.port()) + "]}")));
  for (bool h2 : {false, true}) {
    SCOPED_TRACE(h2 ? "HTTP/2 client" : "HTTP/1.1 client");
    auto get = [&](const std::string& path) {
      std::vector<std::string> args = {url(path)};
      if (h2) args.insert(args.begin(), "--http2-prior-knowledge");
      return run_curl(args);
    };
    CurlResult leak = get("/leak.txt");
    EXPECT_EQ(leak.status, 403);
    EXPECT_EQ(leak.body.find("SQL syntax"), std::string::npos) << "the leak reached the client";
    CurlResult head = get("/head.txt");
    EXPECT_EQ(head.status, 502);
    EXPECT_EQ(head.body.find("refused by its head"), std::string::npos);
    CurlResult fine = get("/fine.txt");
    EXPECT_EQ(fine.status, 200);
    EXPECT_EQ(fine.body, "all good\n");
  }
  std::string events = events_with("?stage=waf", "\"phase\":3");
  EXPECT_NE(events.find("\"phase\":4"), std::string::npos) << events;
}

TEST_F(WafTest, ResponseHeaderRuleRefusesForHttp1AndHttp2Clients) {
  ASSERT_TRUE(proxy_.start_with_config(
      config("      inline: |\n"
             "        SecRule RESPONSE_HEADERS:X-Big \"@rx ^h{8}$\" "
             "\"id:2001,phase:3,deny,status:502,msg:'internal header leaked'\"\n")));

  // /big-header?bytes=N answers with a header x-big of N 'h'.
  EXPECT_EQ(run_curl({url("/big-header?bytes=8")}).status, 502);
  EXPECT_EQ(run_curl({"--http2-prior-knowledge", url("/big-header?bytes=8")}).status, 502);
  EXPECT_EQ(run_curl({url("/big-header?bytes=9")}).status, 200);
  EXPECT_EQ(run_curl({"--http2-prior-knowledge", url("/big-header?bytes=9")}).status, 200);
  std::string events = events_with("?rule=2001", "2001");
  EXPECT_NE(events.find("\"phase\":3"), std::string::npos) << events;
  EXPECT_NE(events.find("\"protocol\":\"HTTP/2\""), std::string::npos) << events;
}

TEST_F(WafTest, RuleFileErrorsStopTheStartWithFileAndLine) {
  TempDir dir;
  auto rules = dir.write("bad.conf",
                         "SecRule ARGS \"@rx a\" \"id:1,phase:1,pass\"\n"
                         "SecRule ARGS \"@frobnicate a\" \"id:2,phase:1,pass\"\n");
  ProcessResult r = run_portcullis(
      {"--check", "--upstream", "http://127.0.0.1:9", "--rules", rules.string()}, seconds(20));
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 1);
  EXPECT_NE(r.err.find("bad.conf:2: unknown operator '@frobnicate'"), std::string::npos) << r.err;
}

TEST_F(WafTest, UnsupportedFeaturesAreWarnedAndCounted) {
  ASSERT_TRUE(proxy_.start({"--upstream", "http://" + upstream_.endpoint(), "--rules",
                            kCrs + "/crs-setup.conf.example", "--rules", kCrs + "/rules/*.conf"}));
  std::string metrics = run_curl({admin("/metrics")}).body;
  EXPECT_NE(metrics.find("portcullis_waf_load_warnings "), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("portcullis_waf_load_warnings 0\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace portcullis::testing
