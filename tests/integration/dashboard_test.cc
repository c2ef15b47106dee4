// /api/summary on the admin listener: after a mix of passing and refused requests it counts
// them over time and by stage, names the top rule, client, User-Agent and rate-limited key, and
// is guarded by the admin token when one is set.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

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
  std::set<std::string> rules;
  for (const json& e : s["top_rules"]) rules.insert(e["rule"].get<std::string>());
  EXPECT_TRUE(rules.count("access:method")) << s["top_rules"];
  EXPECT_TRUE(rules.count("ratelimit:per-ip")) << s["top_rules"];
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

}  // namespace
}  // namespace portcullis::testing
