// The ratelimit stage through the real binary: the quick-start flag, 429 with Retry-After and
// the RateLimit fields over HTTP/1.1 and HTTP/2, a stricter limit for the bots stage's
// automation class, and buckets that survive a reload while their limit is unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

class RateLimitTest : public ProxyTest {
 protected:
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }
  long generation() const {
    std::string body = run_curl({admin("/config/status")}).body;
    std::size_t at = body.find("\"generation\":");
    return at == std::string::npos ? -1 : std::atol(body.c_str() + at + 13);
  }
};

TEST_F(RateLimitTest, QuickStartLimitRefusesPastTheBurstWithTheStandardFields) {
  ASSERT_TRUE(
      proxy_.start({"--listen", "127.0.0.1:0", "--upstream", "http://" + upstream_.endpoint(),
                    "--limit", "1/m,burst=3,key=ip,name=per-ip"}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run_curl({url("/hello")}).status, 200) << i;
  CurlResult r = run_curl({"-H", "Accept: application/json", url("/hello")});
  EXPECT_EQ(r.status, 429) << r;
  EXPECT_EQ(find_header(r.headers, "retry-after"), "60") << "one token a minute";
  EXPECT_EQ(find_header(r.headers, "ratelimit-policy"), "\"per-ip\";q=3;w=180");
  EXPECT_EQ(find_header(r.headers, "ratelimit"), "\"per-ip\";r=0;t=180");
  EXPECT_TRUE(find_header(r.headers, "x-request-id").has_value());
  EXPECT_NE(r.body.find("\"status\":429"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("rate limit 'per-ip' exceeded"), std::string::npos) << r.body;
  EXPECT_EQ(upstream_.request_count(), 3u);

  // HTTP/2 gets the same answer and fields.
  CurlResult h2 = run_curl({"--http2-prior-knowledge", url("/hello")});
  EXPECT_EQ(h2.status, 429);
  EXPECT_EQ(find_header(h2.headers, "ratelimit-policy"), "\"per-ip\";q=3;w=180");
  EXPECT_TRUE(find_header(h2.headers, "retry-after").has_value());

  ASSERT_TRUE(proxy_.wait_for_stdout(
      [](const std::string& out) {
        return out.find("\"stage\":\"ratelimit\",\"action\":\"rate_limit\"") != std::string::npos;
      },
      std::chrono::milliseconds(3000)))
      << proxy_.stdout_log();
  EXPECT_NE(proxy_.stdout_log().find("\"limiter_key\":\"ip=127.0.0.1\""), std::string::npos);
  std::string metrics = run_curl({admin("/metrics")}).body;
  EXPECT_NE(
      metrics.find("portcullis_blocks_total{stage=\"ratelimit\",rule=\"per-ip\",mode=\"block\"} 2"),
      std::string::npos)
      << metrics;
}

TEST_F(RateLimitTest, BotsCanGiveAutomationAStricterLimit) {
  ASSERT_TRUE(start_proxy(
      "policies:\n"
      "  - name: default\n"
      "    bots: {actions: {automation: limit}, user_agents: {crs_data: off}}\n"
      "    ratelimit:\n"
      "      bot_score_cost: 0\n"
      "      limits:\n"
      "        - {name: tools, rate: 1/m, burst: 2, key: ip, bot_classes: [automation]}\n"
      "        - {name: everyone, rate: 100/s, burst: 100, key: ip}\n"));
  int tool_ok = 0;
  for (int i = 0; i < 5; ++i) tool_ok += run_curl({url("/hello")}).status == 200;  // curl/…
  EXPECT_EQ(tool_ok, 2);
  int browser_ok = 0;
  for (int i = 0; i < 5; ++i) {
    browser_ok +=
        run_curl({"-A",
                  "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
                  "Firefox/120.0",
                  "-H", "Accept-Language: en", "-H", "Accept-Encoding: gzip", url("/hello")})
            .status == 200;
  }
  EXPECT_EQ(browser_ok, 5) << "a human class is not under the tools' limit";
}

TEST_F(RateLimitTest, ClientsWhoseRequestsFailAreLimitedSooner) {
  ASSERT_TRUE(start_proxy(
      "policies:\n"
      "  - name: default\n"
      "    ratelimit:\n"
      "      feedback: {error_cost: 2}\n"
      "      limits: [{name: per-client, rate: 1/m, burst: 10, key: [ip, header:x-client]}]\n"));
  int failing = 0;
  for (int i = 0; i < 10; ++i) {
    failing += run_curl({"-H", "x-client: a", url("/status/404")}).status == 404;
  }
  int fine = 0;
  for (int i = 0; i < 10; ++i) fine += run_curl({"-H", "x-client: b", url("/hello")}).status == 200;
  EXPECT_EQ(failing, 4) << "each 404 costs 1 + 2 afterwards";
  EXPECT_EQ(fine, 10) << "the same budget, spent on requests that succeed";
}

TEST(RateLimitConfigTest, CheckNamesBadLimits) {
  struct Row {
    std::string yaml;
    std::string key;
  };
  const Row rows[] = {
      {"    ratelimit: {limits: [{rate: 10/fortnight}]}\n", "policies[0].ratelimit.limits[0].rate"},
      {"    ratelimit: {limits: [{rate: 10/s, key: cookie}]}\n",
       "policies[0].ratelimit.limits[0].key"},
      {"    ratelimit: {limits: [{rate: 10/s, burst: 0}]}\n",
       "policies[0].ratelimit.limits[0].burst"},
      {"    ratelimit: {limits: [{rate: 10/s, bot_classes: [robots]}]}\n",
       "policies[0].ratelimit.limits[0].bot_classes"},
      {"    ratelimit: {limits: []}\n", "policies[0].ratelimit.limits"},
      {"    ratelimit: {limits: [{rate: 1/s}], feedback: {error_cost: -1}}\n",
       "policies[0].ratelimit.feedback.error_cost"},
      {"    bots: {actions: {automation: limit}}\n", "policies[0].bots.actions.automation"},
  };
  for (const Row& row : rows) {
    EXPECT_TRUE(
        check_refuses("listen: [127.0.0.1:0]\nupstreams: [{name: app, endpoints: [127.0.0.1:9]}]\n"
                      "routes: [{upstream: app}]\npolicies:\n  - name: default\n" +
                          row.yaml,
                      row.key));
  }
  ProcessResult flag = run_portcullis({"--check", "--limit", "5/s,burst=x"}, seconds(10));
  EXPECT_TRUE(flag.exit && flag.exit->exited && flag.exit->code == 1);
  EXPECT_NE((flag.out + flag.err).find("--limit 5/s,burst=x"), std::string::npos) << flag.err;
}

TEST_F(RateLimitTest, BucketsSurviveAReloadWhileTheirLimitIsUnchanged) {
  auto config = [&](const std::string& rate, const std::string& methods) {
    return "listen: [127.0.0.1:0]\nworkers: 2\nupstreams: [{name: app, endpoints: [" +
           upstream_.endpoint() +
           "]}]\nroutes: [{upstream: app}]\npolicies:\n  - name: default\n    access: {methods: [" +
           methods + "]}\n    ratelimit: {limits: [{name: per-ip, rate: " + rate +
           ", burst: 2}]}\n";
  };
  ASSERT_TRUE(proxy_.start_with_config(config("1/m", "GET")));
  EXPECT_EQ(run_curl({url("/a")}).status, 200);
  EXPECT_EQ(run_curl({url("/a")}).status, 200);
  EXPECT_EQ(run_curl({url("/a")}).status, 429);

  // Another key of the policy changes: the limit's bucket stays exhausted.
  const long before = generation();
  {
    std::ofstream out(proxy_.config_path(), std::ios::trunc);
    out << config("1/m", "GET, HEAD");
  }
  proxy_.terminate(SIGHUP);
  for (int i = 0; i < 200 && generation() <= before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(generation(), before);
  EXPECT_EQ(run_curl({url("/a")}).status, 429) << "the reload did not refill the bucket";

  // The limit itself changes: a new bucket.
  const long middle = generation();
  {
    std::ofstream out(proxy_.config_path(), std::ios::trunc);
    out << config("2/m", "GET, HEAD");
  }
  proxy_.terminate(SIGHUP);
  for (int i = 0; i < 200 && generation() <= middle; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_GT(generation(), middle);
  EXPECT_EQ(run_curl({url("/a")}).status, 200);
}

}  // namespace
}  // namespace portcullis::testing
