// Global limits through the real binary: two portcullis processes share one limit through a real
// redis-server (started here on loopback), and keep serving when Redis is killed (each then keeps
// the limit locally, or refuses, as configured) until it is back.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class GlobalLimitTest : public ::testing::Test {
 protected:
  std::string config(const std::string& limit, const std::string& redis_extra = "") const {
    return "listen: [127.0.0.1:0]\nworkers: 2\nupstreams: [{name: app, endpoints: [" +
           upstream_.endpoint() +
           "]}]\nroutes: [{upstream: app}]\nredis: {address: " + redis_.address() + redis_extra +
           "}\npolicies:\n  - name: default\n    ratelimit:\n" + "      limits: [" + limit + "]\n";
  }
  static double metric(const ProxyProcess& p, const std::string& name) {
    std::string body = run_curl({proxy_url(p.admin_port(), "/metrics")}).body;
    std::size_t at = body.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::atof(body.c_str() + at + name.size() + 2);
  }
  static bool wait_for_metric(const ProxyProcess& p, const std::string& name, double value) {
    for (int i = 0; i < 100; ++i) {
      if (metric(p, name) == value) return true;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return false;
  }
  // `n` requests, alternating between the two proxies; the 200s of each.
  std::pair<int, int> alternate(int n, const std::string& client = "c1") {
    std::pair<int, int> ok{0, 0};
    for (int i = 0; i < n; ++i) {
      const ProxyProcess& p = i % 2 == 0 ? a_ : b_;
      if (run_curl({"-H", "x-client: " + client, proxy_url(p.port(), "/hello")}).status == 200)
        (i % 2 == 0 ? ok.first : ok.second)++;
    }
    return ok;
  }

  RedisServer redis_;
  TestUpstream upstream_;
  ProxyProcess a_, b_;
};

TEST_F(GlobalLimitTest, TwoProxiesEnforceOneLimit) {
  ASSERT_TRUE(redis_.ready());
  const std::string limit = "{name: shared, rate: 1/m, burst: 20, key: ip, global: true}";
  ASSERT_TRUE(a_.start_with_config(config(limit)));
  ASSERT_TRUE(b_.start_with_config(config(limit)));
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  ASSERT_TRUE(wait_for_metric(b_, "portcullis_ratelimit_redis_up", 1));
  auto [from_a, from_b] = alternate(60);
  // One bucket of 20 for both. Tolerance: each process may pass up to two batches (here
  // 2 × 2 tokens) past the global bucket while a grant is on its way.
  EXPECT_GE(from_a + from_b, 20);
  EXPECT_LE(from_a + from_b, 20 + 2 * 2 * 2);
  EXPECT_GE(from_a, 8) << "both drew from the bucket";
  EXPECT_GE(from_b, 8);
  EXPECT_EQ(upstream_.request_count(), static_cast<size_t>(from_a + from_b));
  CurlResult refused = run_curl({proxy_url(b_.port(), "/hello")});
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(find_header(refused.headers, "ratelimit-policy"), "\"shared\";q=20;w=1200");
  EXPECT_TRUE(find_header(refused.headers, "retry-after").has_value());
  EXPECT_GT(metric(a_, "portcullis_ratelimit_redis_refills_total"), 0);
  EXPECT_EQ(metric(a_, "portcullis_ratelimit_redis_errors_total"), 0);
  std::printf("global limit of 20 across two processes: %d + %d passed of 60\n", from_a, from_b);
}

TEST_F(GlobalLimitTest, RedisKilledAndRestartedMidTest) {
  const std::string limit =
      "{name: shared, rate: 1/m, burst: 6, key: [ip, header:x-client], global: true}";
  ASSERT_TRUE(a_.start_with_config(config(limit)));
  ASSERT_TRUE(b_.start_with_config(config(limit)));
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  ASSERT_TRUE(wait_for_metric(b_, "portcullis_ratelimit_redis_up", 1));
  auto before = alternate(20);
  EXPECT_LE(before.first + before.second, 6 + 2 * 2);
  EXPECT_EQ(run_curl({"-H", "x-client: c1", proxy_url(a_.port(), "/hello")}).status, 429);

  // Redis dies: each process notices, keeps the limit locally, and counts what it decides so.
  redis_.stop();
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 0));
  ASSERT_TRUE(wait_for_metric(b_, "portcullis_ratelimit_redis_up", 0));
  auto during = alternate(20);
  EXPECT_EQ(during.first, 6) << "a's own bucket of 6";
  EXPECT_EQ(during.second, 6) << "b's own bucket of 6";
  EXPECT_GE(metric(a_, "portcullis_ratelimit_redis_fallbacks_total"), 10);
  EXPECT_GT(metric(a_, "portcullis_ratelimit_redis_errors_total"), 0) << "reconnects fail";

  // Redis is back (empty): both reconnect by themselves and share one bucket again. A key Redis
  // refused before stays refused until the time Redis named then.
  redis_.start();
  ASSERT_TRUE(redis_.ready());
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  ASSERT_TRUE(wait_for_metric(b_, "portcullis_ratelimit_redis_up", 1));
  const double fallbacks = metric(a_, "portcullis_ratelimit_redis_fallbacks_total");
  EXPECT_EQ(alternate(4, "c1"), std::make_pair(0, 0));
  auto after = alternate(20, "c2");
  EXPECT_GE(after.first + after.second, 6);
  EXPECT_LE(after.first + after.second, 6 + 2 * 2) << "one bucket again, not two";
  EXPECT_EQ(metric(a_, "portcullis_ratelimit_redis_fallbacks_total"), fallbacks);
}

TEST_F(GlobalLimitTest, AuthenticatesWithAPasswordOrAnAclUser) {
  ASSERT_TRUE(redis_.ready());
  const std::string port = std::to_string(redis_.port());
  for (std::vector<std::string> command :
       {std::vector<std::string>{"ACL", "SETUSER", "limiter", "on", ">l1m1ter", "~*", "+@all"},
        std::vector<std::string>{"CONFIG", "SET", "requirepass", "s3cret"}}) {
    command.insert(command.begin(), {"redis-cli", "-p", port});
    ProcessResult r = run_process(command, seconds(10));
    ASSERT_TRUE(r.exit && r.exit->success() && r.out.find("OK") != std::string::npos)
        << r.out << r.err;
  }
  const std::string limit = "{name: shared, rate: 1/m, burst: 5, key: ip, global: true}";
  ASSERT_TRUE(a_.start_with_config(config(limit, ", password: s3cret")));
  ASSERT_TRUE(b_.start_with_config(config(limit, ", username: limiter, password: l1m1ter")));
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1)) << a_.log();
  ASSERT_TRUE(wait_for_metric(b_, "portcullis_ratelimit_redis_up", 1)) << b_.log();
  auto [from_a, from_b] = alternate(12);
  EXPECT_GE(from_a + from_b, 5);
  EXPECT_LE(from_a + from_b, 5 + 2 * 2);
  EXPECT_EQ(metric(a_, "portcullis_ratelimit_redis_errors_total"), 0);
  EXPECT_EQ(metric(b_, "portcullis_ratelimit_redis_errors_total"), 0);
  EXPECT_EQ(a_.log().find("s3cret"), std::string::npos) << "the password is never logged";

  // A wrong password: refused, said once, and the limit is kept locally meanwhile.
  ProxyProcess wrong;
  ASSERT_TRUE(wrong.start_with_config(config(limit, ", password: guess")));
  for (int i = 0; i < 40 && metric(wrong, "portcullis_ratelimit_redis_errors_total") < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_GE(metric(wrong, "portcullis_ratelimit_redis_errors_total"), 2) << "it keeps trying";
  EXPECT_EQ(metric(wrong, "portcullis_ratelimit_redis_up"), 0);
  const std::string log = wrong.log();
  const std::size_t said = log.find("redis: AUTH refused: WRONGPASS");
  EXPECT_NE(said, std::string::npos) << log;
  EXPECT_EQ(log.find("AUTH refused", said + 20), std::string::npos) << "once, not every retry";
  int passed = 0;
  for (int i = 0; i < 8; ++i) passed += run_curl({proxy_url(wrong.port(), "/")}).status == 200;
  EXPECT_EQ(passed, 5) << "the local bucket";
}

TEST_F(GlobalLimitTest, FailClosedRefusesWhileRedisIsDown) {
  const std::string limit = "{name: shared, rate: 100/s, key: ip, global: true}";
  ASSERT_TRUE(a_.start_with_config(config(limit, ", on_unavailable: closed")));
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  EXPECT_EQ(run_curl({proxy_url(a_.port(), "/hello")}).status, 200);
  redis_.stop();
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 0));
  CurlResult r = run_curl({"-H", "Accept: application/json", proxy_url(a_.port(), "/hello")});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(find_header(r.headers, "retry-after"), "1");
  EXPECT_NE(r.body.find("rate limit store unavailable"), std::string::npos) << r.body;
  redis_.start();
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  EXPECT_EQ(run_curl({proxy_url(a_.port(), "/hello")}).status, 200);
}

TEST_F(GlobalLimitTest, QuickStartFlags) {
  ASSERT_TRUE(a_.start({"--listen", "127.0.0.1:0", "--upstream", "http://" + upstream_.endpoint(),
                        "--redis", redis_.address(), "--limit", "1/m,burst=2,global"}));
  ASSERT_TRUE(wait_for_metric(a_, "portcullis_ratelimit_redis_up", 1));
  EXPECT_EQ(run_curl({proxy_url(a_.port(), "/hello")}).status, 200);
  EXPECT_EQ(run_curl({proxy_url(a_.port(), "/hello")}).status, 200);
  EXPECT_EQ(run_curl({proxy_url(a_.port(), "/hello")}).status, 429);
}

TEST(GlobalLimitConfigTest, CheckNamesBadValues) {
  const std::string base =
      "listen: [127.0.0.1:0]\nupstreams: [{name: app, endpoints: [127.0.0.1:9]}]\n"
      "routes: [{upstream: app}]\n";
  EXPECT_TRUE(check_refuses(base + "policies:\n  - name: default\n    ratelimit: {limits: "
                                   "[{rate: 1/s, global: true}]}\n",
                            "policies[0].ratelimit.limits[0].global"));
  EXPECT_TRUE(check_refuses(base + "redis: {address: 127.0.0.1:6379, on_unavailable: maybe}\n",
                            "redis.on_unavailable"));
  EXPECT_TRUE(check_refuses(base + "redis: {address: nowhere}\n", "redis.address"));
  EXPECT_TRUE(check_refuses(base + "redis: {timeout: 1ms}\n", "redis.timeout"));
  EXPECT_TRUE(check_refuses(base + "redis: {username: limiter}\n",
                            "key 'redis.username': a username needs a password"));
  EXPECT_TRUE(check_refuses(base + "redis: {password: \"\"}\n", "redis.password"));
}

}  // namespace
}  // namespace portcullis::testing
