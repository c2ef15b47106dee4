// Upstream protection through the real binary: the adaptive concurrency limit of an upstream
// (ratelimit/concurrency_limit.h) against a test upstream whose latency the test raises and
// lowers, with h2load as the load; and the 503 with Retry-After that a request past the limit
// gets.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <regex>
#include <string>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class UpstreamProtectionTest : public ProxyTest {
 protected:
  // A sample of the admin /metrics, by its full name with labels; -1 when absent.
  double metric(const std::string& sample) const {
    std::string body = run_curl({proxy_url(proxy_.admin_port(), "/metrics")}).body;
    std::size_t at = body.find("\n" + sample + " ");
    return at == std::string::npos ? -1 : std::atof(body.c_str() + at + sample.size() + 2);
  }
  double limit() const { return metric("portcullis_upstream_concurrency_limit{upstream=\"app\"}"); }
  double shed() const { return metric("portcullis_upstream_shed_total{upstream=\"app\"}"); }

  struct Load {
    int ok = 0;
    int errors = 0;  // 5xx
  };
  // `n` requests from `clients` HTTP/1.1 connections at once.
  Load load(int n, int clients) const {
    ProcessResult r = run_process(
        {"h2load", "--h1", "-n", std::to_string(n), "-c", std::to_string(clients), url("/hello")},
        seconds(60));
    std::smatch m;
    Load out;
    static const std::regex codes(R"(status codes: (\d+) 2xx, \d+ 3xx, \d+ 4xx, (\d+) 5xx)");
    if (std::regex_search(r.out, m, codes)) {
      out.ok = std::stoi(m[1]);
      out.errors = std::stoi(m[2]);
    } else {
      ADD_FAILURE() << "h2load said:\n" << r.out << r.err;
    }
    return out;
  }
};

TEST_F(UpstreamProtectionTest, TheLimitFollowsTheUpstreamsLatency) {
  const std::string config =
      "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: app\n"
      "    endpoints: [" +
      upstream_.endpoint() +
      "]\n    max_idle: 64\n"
      "    concurrency: {initial: 20, min: 2, max: 200}\n"
      "routes: [{upstream: app}]\n";
  ASSERT_TRUE(proxy_.start_with_config(config));

  // A healthy upstream: nothing is shed, and the limit grows past what the load uses.
  upstream_.set_latency(milliseconds(5));
  Load healthy = load(1500, 16);
  EXPECT_EQ(healthy.ok, 1500);
  EXPECT_EQ(shed(), 0);
  const double healthy_limit = limit();
  EXPECT_GT(healthy_limit, 20) << "grown from the initial 20";

  // The upstream slows down twentyfold: a queue would build, so the limit comes down and what
  // is past it is refused at once rather than queued.
  upstream_.set_latency(milliseconds(100));
  Load slow = load(300, 40);
  const double slow_limit = limit();
  EXPECT_LT(slow_limit, healthy_limit / 2) << healthy_limit << " -> " << slow_limit;
  EXPECT_GE(slow_limit, 2) << "never below min";
  EXPECT_GT(slow.errors, 0) << "requests past the limit were shed";
  EXPECT_EQ(shed(), slow.errors) << "every 5xx was a shed request";
  EXPECT_EQ(slow.ok + slow.errors, 300);

  // It recovers: the limit climbs back and the load passes again.
  upstream_.set_latency(milliseconds(5));
  load(1500, 16);
  const double recovered = limit();
  EXPECT_GT(recovered, slow_limit * 2) << slow_limit << " -> " << recovered;
  const double shed_before = shed();
  std::printf("concurrency limit: %.0f healthy, %.0f slow (%d of 300 shed), %.0f recovered\n",
              healthy_limit, slow_limit, slow.errors, recovered);
  Load after = load(1000, 8);
  EXPECT_EQ(after.ok, 1000);
  EXPECT_EQ(shed(), shed_before);
}

TEST_F(UpstreamProtectionTest, ARequestPastTheLimitGets503WithRetryAfter) {
  const std::string config =
      "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: app\n"
      "    endpoints: [" +
      upstream_.endpoint() +
      "]\n"
      "    concurrency: {initial: 1, min: 1, max: 1, retry_after: 3s}\n"
      "routes: [{upstream: app}]\n";
  ASSERT_TRUE(proxy_.start_with_config(config));
  auto slow = std::async(std::launch::async, [&] { return run_curl({url("/slow?ms=1500")}); });
  ASSERT_TRUE(upstream_.wait_for_heads(1, seconds(5)));
  CurlResult refused = run_curl({"-H", "Accept: application/json", url("/hello")});
  EXPECT_EQ(refused.status, 503) << refused;
  EXPECT_EQ(find_header(refused.headers, "retry-after"), "3");
  EXPECT_NE(refused.body.find("upstream concurrency limit reached"), std::string::npos)
      << refused.body;
  CurlResult h2 = run_curl({"--http2-prior-knowledge", url("/hello")});
  EXPECT_EQ(h2.status, 503);
  EXPECT_EQ(find_header(h2.headers, "retry-after"), "3");
  EXPECT_EQ(slow.get().status, 200);
  EXPECT_EQ(run_curl({url("/hello")}).status, 200) << "the slot is free again";
  EXPECT_EQ(shed(), 2);
  EXPECT_EQ(upstream_.head_count(), 2u) << "shed requests never reached the upstream";
}

TEST(UpstreamProtectionConfigTest, CheckNamesBadValues) {
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"concurrency: {min: 0}", "upstreams[0].concurrency.min"},
           {"concurrency: {min: 50, max: 10}", "upstreams[0].concurrency.min"},
           {"concurrency: {tolerance: 0.5}", "upstreams[0].concurrency.tolerance"},
           {"concurrency: {retry_after: 0s}", "upstreams[0].concurrency.retry_after"},
           {"concurrency: {limit: 5}", "upstreams[0].concurrency.limit"},
       }) {
    EXPECT_TRUE(
        check_refuses("listen: [127.0.0.1:0]\nupstreams:\n  - name: app\n"
                      "    endpoints: [127.0.0.1:9]\n    " +
                          yaml + "\nroutes: [{upstream: app}]\n",
                      key));
  }
}

}  // namespace
}  // namespace portcullis::testing
