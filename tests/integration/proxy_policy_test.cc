// Access policies (methods and hosts), detect mode and the responses Portcullis makes itself.

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kPolicyConfig = R"(listen: [127.0.0.1:0]
workers: 1
upstreams:
  - name: app
    endpoints: [${ENDPOINT}]
policies:
  - name: read-only
    mode: ${MODE}
    access:
      methods: [GET, HEAD]
  - name: api-hosts
    mode: ${MODE}
    access:
      hosts: [api.example.com]
routes:
  - path_prefix: /ro/
    upstream: app
    policy: read-only
  - path_prefix: /hosts/
    upstream: app
    policy: api-hosts
  - path_prefix: /open/
    upstream: app
)";

class ProxyPolicyTest : public ProxyTest {
 protected:
  ::testing::AssertionResult start_policy_proxy(std::string_view mode,
                                                const std::vector<std::string>& args = {}) {
    return proxy_.start_with_config(
        fill_template(kPolicyConfig,
                      {{"ENDPOINT", upstream_.endpoint()}, {"MODE", std::string(mode)}}),
        args);
  }

  // Sends `request` on a new connection and returns the final response.
  std::optional<HttpResponse> exchange(const std::string& request,
                                       std::string_view method = "GET") {
    RawClient client(proxy_.port());
    if (!client.connected()) {
      ADD_FAILURE() << client.error();
      return std::nullopt;
    }
    client.send(request);
    std::optional<HttpResponse> response = client.read_final_response(method);
    if (!response) ADD_FAILURE() << "no response: " << client.error();
    return response;
  }
};

TEST_F(ProxyPolicyTest, DisallowedMethodAnswers405WithAllow) {
  ASSERT_TRUE(start_policy_proxy("block"));

  std::optional<HttpResponse> response = exchange(request_head("DELETE", "/ro/item"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405) << *response;
  std::vector<std::string> allowed = header_list(response->headers, "allow");
  std::set<std::string> methods(allowed.begin(), allowed.end());
  EXPECT_TRUE(methods.count("GET") && methods.count("HEAD")) << *response;
  EXPECT_EQ(methods.count("DELETE"), 0u) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u) << "the blocked request reached the upstream";
}

TEST_F(ProxyPolicyTest, AllowedMethodPasses) {
  ASSERT_TRUE(start_policy_proxy("block"));

  std::optional<HttpResponse> response = exchange(request_head("GET", "/ro/item"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(upstream_.request_count(), 1u);
}

TEST_F(ProxyPolicyTest, DisallowedHostAnswers403) {
  ASSERT_TRUE(start_policy_proxy("block"));

  std::optional<HttpResponse> response =
      exchange(request_head("GET", "/hosts/item", "other.example.com"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 403) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u) << "the blocked request reached the upstream";
}

TEST_F(ProxyPolicyTest, AllowedHostPasses) {
  ASSERT_TRUE(start_policy_proxy("block"));

  std::optional<HttpResponse> response =
      exchange(request_head("GET", "/hosts/item", "api.example.com"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(upstream_.request_count(), 1u);
}

TEST_F(ProxyPolicyTest, DetectModeForwardsWhatBlockModeRefuses) {
  ASSERT_TRUE(start_policy_proxy("detect"));

  std::optional<HttpResponse> response = exchange(request_head("DELETE", "/ro/item"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "DELETE");
}

// The first line of `log` that contains `id` and, case-insensitively, one of `words`.
std::optional<std::string> find_log_line(const std::string& log, const std::string& id,
                                         const std::vector<std::string>& words) {
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(id) == std::string::npos) continue;
    for (const std::string& word : words) {
      if (contains_ignore_case(line, word)) return line;
    }
  }
  return std::nullopt;
}

TEST_F(ProxyPolicyTest, DetectModeLogsTheWouldBeBlock) {
  ASSERT_TRUE(start_policy_proxy("detect"));

  std::optional<HttpResponse> response = exchange(request_head("DELETE", "/ro/item"));

  ASSERT_TRUE(response.has_value());
  std::optional<std::string> id = response->header("x-request-id");
  ASSERT_TRUE(id.has_value() && !id->empty()) << "no x-request-id to find in the log:\n"
                                              << *response;
  // One JSON line in the security event log (standard output by default).
  const std::vector<std::string> words = {"\"status\":405", "\"action\":\"detect\"",
                                          "\"would\":\"block\"", "\"stage\":\"access\"",
                                          "\"id\":\"method\""};
  bool logged = proxy_.wait_for_stdout(
      [&](const std::string& log) { return find_log_line(log, *id, words).has_value(); },
      seconds(3));
  EXPECT_TRUE(logged) << "no event with request id " << *id
                      << " records the would-be block; stdout:\n"
                      << proxy_.stdout_log();
}

TEST_F(ProxyPolicyTest, ModeFlagOverridesPolicyMode) {
  ASSERT_TRUE(start_policy_proxy("block", {"--mode", "detect"}));

  std::optional<HttpResponse> response = exchange(request_head("DELETE", "/ro/item"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(upstream_.request_count(), 1u);
}

TEST_F(ProxyPolicyTest, GeneratedResponsesCarryRequestIds) {
  ASSERT_TRUE(start_policy_proxy("block"));
  struct Case {
    int status;
    std::string request;
  };
  const std::vector<Case> cases = {
      {403, request_head("GET", "/hosts/item", "other.example.com")},
      {404, request_head("GET", "/unrouted")},
      {405, request_head("DELETE", "/ro/item")},
      {400, request_head("POST", "/open/item", "test.local",
                         "Content-Length: 1\r\nContent-Length: 2\r\n") +
                "ab"},
  };

  std::set<std::string> ids;
  for (const Case& c : cases) {
    SCOPED_TRACE("expecting " + std::to_string(c.status));
    std::optional<HttpResponse> response = exchange(c.request);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, c.status) << *response;
    std::optional<std::string> id = response->header("x-request-id");
    ASSERT_TRUE(id.has_value()) << *response;
    EXPECT_FALSE(id->empty()) << *response;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), cases.size()) << "request ids repeat";
  EXPECT_EQ(upstream_.head_count(), 0u);
}

}  // namespace
}  // namespace portcullis::testing
