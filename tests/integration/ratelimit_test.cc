// The ratelimit stage through the real binary: the quick-start flag, 429 with Retry-After and
// the RateLimit fields over HTTP/1.1 and HTTP/2, a stricter limit for the bots stage's
// automation class, and buckets that survive a reload while their limit is unchanged.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/support/jwt_signer.h"

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

std::int64_t unix_now() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST_F(RateLimitTest, EachUserOfACheckedTokenHasABudget) {
  JwtSigner issuer("RS256", "2026-11");
  JwtSigner stranger("RS256", "2026-11");
  TempDir dir;
  const auto jwks = dir.write("jwks.json", R"({"keys":[)" + issuer.jwk() + "]}");
  ASSERT_TRUE(
      start_proxy("policies:\n"
                  "  - name: default\n"
                  "    ratelimit:\n"
                  "      jwt: {jwks: " +
                  jwks.string() +
                  ", issuer: https://id.example, audience: shop}\n"
                  "      limits: [{name: per-user, rate: 1/m, burst: 2, key: jwt:sub}]\n"));
  auto token = [&](const JwtSigner& s, const std::string& sub, std::int64_t exp_in = 600) {
    return "Authorization: Bearer " +
           s.sign(R"({"iss":"https://id.example","aud":"shop","sub":")" + sub + R"(","exp":)" +
                  std::to_string(unix_now() + exp_in) + "}");
  };
  const std::string alice = token(issuer, "alice");
  EXPECT_EQ(run_curl({"-H", alice, url("/a")}).status, 200);
  EXPECT_EQ(run_curl({"-H", alice, url("/a")}).status, 200);
  CurlResult limited = run_curl({"-H", token(issuer, "alice"), url("/a")});
  EXPECT_EQ(limited.status, 429) << "a new token of the same user: the same budget";
  EXPECT_EQ(find_header(limited.headers, "ratelimit-policy"), "\"per-user\";q=2;w=120");
  EXPECT_EQ(run_curl({"-H", token(issuer, "bob"), url("/a")}).status, 200);

  CurlResult forged = run_curl({"-H", token(stranger, "alice"), url("/a")});
  EXPECT_EQ(forged.status, 401) << forged;
  EXPECT_EQ(find_header(forged.headers, "www-authenticate"),
            R"(Bearer error="invalid_token", error_description="bad signature")");
  CurlResult expired = run_curl({"-H", token(issuer, "carol", -3600), url("/a")});
  EXPECT_EQ(expired.status, 401);
  EXPECT_NE(expired.body.find("invalid bearer token: expired"), std::string::npos) << expired.body;
  EXPECT_EQ(run_curl({url("/a")}).status, 200) << "no token: the limit does not apply";
  EXPECT_EQ(upstream_.request_count(), 4u);
  ASSERT_TRUE(proxy_.wait_for_stdout(
      [](const std::string& out) {
        return out.find("\"limiter_key\":\"jwt:sub=alice\"") != std::string::npos;
      },
      std::chrono::milliseconds(3000)))
      << proxy_.stdout_log();
}

TEST_F(RateLimitTest, QuickStartReadsAClaimWithoutChecks) {
  ASSERT_TRUE(
      proxy_.start({"--listen", "127.0.0.1:0", "--upstream", "http://" + upstream_.endpoint(),
                    "--limit", "1/m,burst=1,key=jwt:tenant"}));
  JwtSigner anyone("HS256", "", "a secret portcullis is not told about at all");
  const std::string t1 = "Authorization: Bearer " + anyone.sign(R"({"tenant":"t1"})");
  EXPECT_EQ(run_curl({"-H", t1, url("/a")}).status, 200);
  EXPECT_EQ(run_curl({"-H", t1, url("/a")}).status, 429);
  EXPECT_EQ(
      run_curl({"-H", "Authorization: Bearer " + anyone.sign(R"({"tenant":"t2"})"), url("/a")})
          .status,
      200);
}

TEST_F(RateLimitTest, OperationKeysAndFieldsOnPassingResponses) {
  const std::string shop = std::string(PORTCULLIS_TEST_DATA) + "/shop.openapi.yaml";
  ASSERT_TRUE(
      start_proxy("policies:\n"
                  "  - name: default\n"
                  "    schema: {openapi: " +
                  shop +
                  "}\n"
                  "    ratelimit:\n"
                  "      response_fields: true\n"
                  "      limits: [{name: per-op, rate: 1/m, burst: 2, key: operation}]\n"));
  CurlResult first = run_curl({url("/api/v1/orders/1")});
  EXPECT_EQ(first.status, 200) << first;
  EXPECT_EQ(find_header(first.headers, "ratelimit-policy"), "\"per-op\";q=2;w=120");
  EXPECT_EQ(find_header(first.headers, "ratelimit"), "\"per-op\";r=1;t=60");
  CurlResult h2 = run_curl({"--http2-prior-knowledge", url("/api/v1/orders/2")});
  EXPECT_EQ(h2.status, 200);
  EXPECT_EQ(find_header(h2.headers, "ratelimit"), "\"per-op\";r=0;t=120");
  EXPECT_EQ(run_curl({url("/api/v1/orders/3")}).status, 429) << "getOrder's budget is spent";
  EXPECT_EQ(run_curl({url("/api/v1/orders/latest")}).status, 200) << "latestOrder has its own";
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
      {"    ratelimit: {limits: [{rate: 1/s, key: operation}]}\n", "policies[0].ratelimit.limits"},
      {"    ratelimit: {limits: [{rate: 1/s, key: jwt:sub}], jwt: {issuer: x}}\n",
       "policies[0].ratelimit.jwt"},
      {"    ratelimit: {limits: [{rate: 1/s}], jwt: {jwks: /nonexistent/jwks.json}}\n",
       "policies[0].ratelimit.jwt"},
      {"    ratelimit: {limits: [{rate: 1/s}], jwt: {secret_file: /nonexistent/s, x: 1}}\n",
       "policies[0].ratelimit.jwt.x"},
      {"    ratelimit: {limits: [{rate: 1/s}], response_fields: maybe}\n",
       "policies[0].ratelimit.response_fields"},
  };
  for (const Row& row : rows) {
    EXPECT_TRUE(
        check_refuses("listen: [127.0.0.1:0]\nupstreams: [{name: app, endpoints: [127.0.0.1:9]}]\n"
                      "routes: [{upstream: app}]\npolicies:\n  - name: default\n" +
                          row.yaml,
                      row.key));
  }
  EXPECT_TRUE(check_refuses("limiter: {capacity: 2}\n", "limiter.capacity"));
  TempDir dir;
  const auto good = dir.write("good.yaml",
                              "listen: [127.0.0.1:0]\nlimiter: {capacity: 1000}\n"
                              "upstreams: [{name: app, endpoints: [127.0.0.1:9]}]\n"
                              "routes: [{upstream: app}]\n");
  ProcessResult accepted = run_portcullis({"--check", "-c", good.string()}, seconds(10));
  EXPECT_TRUE(accepted.exit && accepted.exit->exited && accepted.exit->code == 0) << accepted.err;
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
