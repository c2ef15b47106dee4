// The command line, config checking and graceful shutdown.

#include <gtest/gtest.h>
#include <signal.h>

#include <cctype>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

constexpr milliseconds kDrain = seconds(5);
constexpr std::string_view kDrainConfig = "timeouts:\n  drain: 5s\n";

class ProxyLifecycleTest : public ProxyTest {
 protected:
  // Starts a /slow request of `ms` on `client` and waits until the upstream has it.
  void start_slow_request(RawClient& client, int ms) {
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(request_head("GET", "/slow?ms=" + std::to_string(ms))));
    ASSERT_TRUE(upstream_.wait_for_heads(1, seconds(5))) << "the request never reached upstream";
  }
};

TEST_F(ProxyLifecycleTest, SigtermLetsInFlightRequestComplete) {
  ASSERT_TRUE(start_proxy(kDrainConfig));
  RawClient client(proxy_.port());
  ASSERT_NO_FATAL_FAILURE(start_slow_request(client, 1500));

  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  std::optional<HttpResponse> response = client.read_response();

  ASSERT_TRUE(response.has_value()) << client.error() << "\n" << proxy_.log();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "slow\n");
}

TEST_F(ProxyLifecycleTest, SigtermStopsAcceptingNewConnections) {
  ASSERT_TRUE(start_proxy(kDrainConfig));
  RawClient client(proxy_.port());
  ASSERT_NO_FATAL_FAILURE(start_slow_request(client, 1500));

  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  const Clock::time_point signalled = Clock::now();
  bool refused = false;
  // Well before the in-flight request ends, so the refusal comes from draining, not exiting.
  while (Clock::now() - signalled < seconds(1)) {
    if (!can_connect(proxy_.port())) {
      refused = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(20));
  }

  EXPECT_TRUE(refused) << "new connections were still accepted 1 s after SIGTERM";
  EXPECT_TRUE(proxy_.running()) << "the proxy exited before its in-flight request finished";
}

TEST_F(ProxyLifecycleTest, SigtermExitsZeroWithinDrainTimeout) {
  ASSERT_TRUE(start_proxy(kDrainConfig));
  RawClient client(proxy_.port());
  ASSERT_NO_FATAL_FAILURE(start_slow_request(client, 1500));

  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  std::optional<ExitStatus> status = proxy_.wait_exit(kDrain + seconds(1));

  ASSERT_TRUE(status.has_value()) << "still running after the drain timeout\n" << proxy_.log();
  EXPECT_TRUE(status->success()) << *status << "\n" << proxy_.log();
}

TEST_F(ProxyLifecycleTest, DrainTimeoutFlagOverridesTheConfig) {
  // The config says a minute; the flag (what the Helm chart passes) says one second.
  ASSERT_TRUE(start_proxy("timeouts:\n  drain: 60s\n", 1, {"--drain-timeout", "1s"}));
  RawClient client(proxy_.port());
  ASSERT_NO_FATAL_FAILURE(start_slow_request(client, 20000));
  const auto sent = std::chrono::steady_clock::now();
  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  std::optional<ExitStatus> status = proxy_.wait_exit(seconds(5));
  ASSERT_TRUE(status.has_value()) << "still running 5 s after SIGTERM with --drain-timeout 1s";
  EXPECT_LT(std::chrono::steady_clock::now() - sent, seconds(4));
  ProcessResult bad = run_portcullis({"--check", "--drain-timeout", "5x"}, seconds(10));
  EXPECT_TRUE(bad.exit && bad.exit->exited && bad.exit->code == 1);
  EXPECT_NE(bad.err.find("--drain-timeout 5x"), std::string::npos) << bad.err;
}

TEST_F(ProxyLifecycleTest, SigtermWithNothingInFlightExitsPromptly) {
  ASSERT_TRUE(start_proxy("timeouts:\n  drain: 10s\n"));
  ASSERT_EQ(run_curl({url("/hello")}).status, 200);

  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  std::optional<ExitStatus> status = proxy_.wait_exit(seconds(3));

  ASSERT_TRUE(status.has_value()) << "an idle proxy kept running 3 s after SIGTERM";
  EXPECT_TRUE(status->success()) << *status << "\n" << proxy_.log();
}

TEST_F(ProxyLifecycleTest, SigintExitsZero) {
  ASSERT_TRUE(start_proxy(kDrainConfig));
  ASSERT_EQ(run_curl({url("/hello")}).status, 200);

  ASSERT_TRUE(proxy_.terminate(SIGINT));
  std::optional<ExitStatus> status = proxy_.wait_exit(kDrain + seconds(1));

  ASSERT_TRUE(status.has_value()) << "still running after the drain timeout";
  EXPECT_TRUE(status->success()) << *status << "\n" << proxy_.log();
}

// Whether `text` contains a version number: digits, a dot, digits.
bool has_version_number(std::string_view text) {
  for (size_t dot = text.find('.'); dot != std::string_view::npos; dot = text.find('.', dot + 1)) {
    if (dot > 0 && dot + 1 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[dot - 1])) &&
        std::isdigit(static_cast<unsigned char>(text[dot + 1]))) {
      return true;
    }
  }
  return false;
}

// Whether `needle` occurs in `text` with neither neighbour satisfying `joins`.
bool contains_word(std::string_view text, std::string_view needle, bool (*joins)(char)) {
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    size_t after = at + needle.size();
    if ((at == 0 || !joins(text[at - 1])) && (after == text.size() || !joins(text[after]))) {
      return true;
    }
  }
  return false;
}

bool is_option_char(char c) { return c == '-' || std::isalnum(static_cast<unsigned char>(c)); }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Whether `text` names line `line` of `file`, as "FILE:LINE", "line LINE" or "line: LINE".
bool names_line(const std::string& text, const std::string& file, int line) {
  const std::string number = std::to_string(line);
  const std::string lower = to_lower(text);
  return contains_word(text, file + ":" + number, is_digit) ||
         contains_word(lower, "line " + number, is_digit) ||
         contains_word(lower, "line: " + number, is_digit);
}

TEST(ProxyCommandLineTest, VersionPrintsVersionAndExitsZero) {
  ProcessResult result = run_portcullis({"--version"});

  ASSERT_TRUE(result.exit.has_value()) << "--version did not exit";
  EXPECT_TRUE(result.exit->success()) << *result.exit << "\n" << result.err;
  EXPECT_TRUE(has_version_number(result.out + result.err))
      << "no version number in: " << result.out << result.err;
}

TEST(ProxyCommandLineTest, HelpListsOptions) {
  ProcessResult result = run_portcullis({"--help"});

  ASSERT_TRUE(result.exit.has_value()) << "--help did not exit";
  EXPECT_TRUE(result.exit->success()) << *result.exit;
  const std::string text = result.out + result.err;
  for (const char* option :
       {"-c", "--check", "--listen", "--upstream", "--workers", "--mode", "--version", "--help"}) {
    EXPECT_TRUE(contains_word(text, option, is_option_char)) << option << " missing from:\n"
                                                             << text;
  }
}

TEST(ProxyCheckTest, AcceptsValidConfig) {
  TestUpstream upstream;
  TempDir dir;
  const std::string file = dir.write("good.yaml", single_route_config(upstream)).string();

  ProcessResult result = run_portcullis({"--check", "-c", file});

  ASSERT_TRUE(result.exit.has_value()) << "--check did not exit";
  EXPECT_TRUE(result.exit->success()) << *result.exit << "\n" << result.err;
}

TEST(ProxyCheckTest, RejectsUnknownKeyNamingFileLineAndKey) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml",
                                     "listen: [127.0.0.1:0]\n"
                                     "workers: 1\n"
                                     "upstreams:\n"
                                     "  - name: app\n"
                                     "    endpoints: [127.0.0.1:9]\n"
                                     "    max_idel: 8\n"
                                     "routes:\n"
                                     "  - upstream: app\n")
                               .string();

  ProcessResult result = run_portcullis({"--check", "-c", file});

  ASSERT_TRUE(result.exit.has_value()) << "--check did not exit";
  EXPECT_EQ(*result.exit, (ExitStatus{true, 1, 0})) << result.err;
  EXPECT_NE(result.err.find(file), std::string::npos) << "file not named in: " << result.err;
  EXPECT_TRUE(names_line(result.err, file, 6)) << "line 6 not named in: " << result.err;
  EXPECT_NE(result.err.find("max_idel"), std::string::npos) << "key not named in: " << result.err;
}

TEST(ProxyCheckTest, RejectsRouteToMissingUpstreamNamingFileAndLine) {
  TempDir dir;
  const std::string file = dir.write("bad.yaml",
                                     "listen: [127.0.0.1:0]\n"
                                     "workers: 1\n"
                                     "upstreams:\n"
                                     "  - name: app\n"
                                     "    endpoints: [127.0.0.1:9]\n"
                                     "routes:\n"
                                     "  - path_prefix: /\n"
                                     "    upstream: nowhere\n")
                               .string();

  ProcessResult result = run_portcullis({"--check", "-c", file});

  ASSERT_TRUE(result.exit.has_value()) << "--check did not exit";
  EXPECT_EQ(*result.exit, (ExitStatus{true, 1, 0})) << result.err;
  EXPECT_NE(result.err.find(file), std::string::npos) << "file not named in: " << result.err;
  EXPECT_TRUE(names_line(result.err, file, 8)) << "line 8 not named in: " << result.err;
  EXPECT_NE(result.err.find("nowhere"), std::string::npos)
      << "the missing upstream is not named in: " << result.err;
}

TEST(ProxyQuickStartTest, ListenAndUpstreamFlagsProxyWithoutConfig) {
  TestUpstream upstream;
  ProxyProcess proxy;
  ASSERT_TRUE(
      proxy.start({"--listen", "127.0.0.1:0", "--upstream", "http://" + upstream.endpoint()}));

  CurlResult result = run_curl({proxy_url(proxy.port(), "/hello")});

  EXPECT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body, "hello from upstream\n");
  EXPECT_EQ(upstream.request_count(), 1u);
}

TEST(ProxyQuickStartTest, UpstreamFlagTurnsDemoUpstreamOff) {
  TestUpstream upstream;
  ProxyProcess proxy;
  ASSERT_TRUE(
      proxy.start({"--listen", "127.0.0.1:0", "--upstream", "http://" + upstream.endpoint()}));
  // After a proxied request, start-up output is complete.
  ASSERT_EQ(run_curl({proxy_url(proxy.port(), "/hello")}).status, 200);

  EXPECT_EQ(proxy.log().find("demo upstream on"), std::string::npos) << proxy.log();
}

TEST_F(ProxyLifecycleTest, WorkersFlagServesEveryConnection) {
  ASSERT_TRUE(start_proxy({}, 1, {"--workers", "2"}));

  // Separate connections spread over both workers' acceptors.
  for (int i = 0; i < 20; ++i) {
    RawClient client(proxy_.port());
    ASSERT_TRUE(client.connected()) << "connection " << i << ": " << client.error();
    ASSERT_TRUE(client.send(request_head("GET", "/hello")));
    std::optional<HttpResponse> response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "connection " << i << ": " << client.error();
    EXPECT_EQ(response->status, 200) << *response;
  }
  EXPECT_EQ(upstream_.request_count(), 20u);
}

}  // namespace
}  // namespace portcullis::testing
