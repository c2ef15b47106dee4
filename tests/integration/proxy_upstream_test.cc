// Upstream failures and the upstream connection pool.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

// A loopback port that is bound but never listened on: connections to it are refused, and no
// other process can take it while the test runs.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot reserve a loopback port";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~RefusingPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A listening port whose accept queue is full and never drained: the kernel drops further SYNs,
// so a connect to it neither succeeds nor fails until the connector gives up.
using std::chrono::seconds;

class BlackholePort {
 public:
  BlackholePort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // Fill the queue with connections nobody accepts.
    for (int i = 0; i < 4; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(c);
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  ~BlackholePort() {
    for (int c : fillers_) ::close(c);
    ::close(fd_);
  }
  BlackholePort(const BlackholePort&) = delete;
  BlackholePort& operator=(const BlackholePort&) = delete;
  std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

class ProxyUpstreamTest : public ProxyTest {};

TEST_F(ProxyUpstreamTest, UpstreamConnectTimeoutAnswers504) {
  BlackholePort blackhole;
  ASSERT_TRUE(proxy_.start_with_config(fill_template(R"(listen: [127.0.0.1:0]
workers: 1
timeouts: {upstream_connect: 300ms}
upstreams:
  - name: stuck
    endpoints: [${ENDPOINT}]
routes:
  - upstream: stuck
)",
                                                     {{"ENDPOINT", blackhole.endpoint()}})));
  const Clock::time_point start = Clock::now();
  CurlResult result = run_curl({url("/hello")});
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(result.status, 504) << result;
  EXPECT_GE(elapsed, milliseconds(250));
  EXPECT_LT(elapsed, seconds(3));
}

TEST_F(ProxyUpstreamTest, UnreachableUpstreamAnswers502) {
  RefusingPort nobody;
  ASSERT_TRUE(proxy_.start_with_config(fill_template(R"(listen: [127.0.0.1:0]
workers: 1
upstreams:
  - name: down
    endpoints: [${ENDPOINT}]
routes:
  - upstream: down
)",
                                                     {{"ENDPOINT", nobody.endpoint()}})));

  CurlResult result = run_curl({url("/hello")});

  EXPECT_EQ(result.status, 502) << result;
}

TEST_F(ProxyUpstreamTest, UpstreamResetAnswers502) {
  ASSERT_TRUE(start_proxy());

  CurlResult result = run_curl({url("/reset")});

  EXPECT_EQ(result.status, 502) << result;
  EXPECT_GE(upstream_.head_count(), 1u) << "the request never reached the upstream";
}

TEST_F(ProxyUpstreamTest, SlowUpstreamAnswers504) {
  ASSERT_TRUE(start_proxy("timeouts:\n  upstream_response: 300ms\n"));

  CurlResult result = run_curl({url("/slow?ms=2000")});

  EXPECT_EQ(result.status, 504) << result;
  EXPECT_LT(result.seconds, 1.8) << "the proxy waited for the slow upstream";
}

TEST_F(ProxyUpstreamTest, ResponseHeadOverLimitAnswers502) {
  ASSERT_TRUE(start_proxy("limits:\n  response_header_bytes: 4KiB\n"));

  CurlResult result = run_curl({url("/big-header?bytes=16384")});

  EXPECT_EQ(result.status, 502) << result.status;
}

TEST_F(ProxyUpstreamTest, ResponseHeadLargerThanTheFirstReadBufferIsRelayed) {
  ASSERT_TRUE(start_proxy());  // response_header_bytes: 64KiB
  CurlResult result = run_curl({url("/big-header?bytes=40000")});
  EXPECT_EQ(result.status, 200) << result;
  std::optional<std::string> big = find_header(result.headers, "x-big");
  ASSERT_TRUE(big.has_value());
  EXPECT_EQ(big->size(), 40000u);
  ProcessResult h2 = run_process({"curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w",
                                  "%{http_code}", url("/big-header?bytes=40000")},
                                 seconds(20));
  EXPECT_EQ(h2.out, "200");
}

TEST_F(ProxyUpstreamTest, ClientDisconnectMidBodyLeavesProxyServing) {
  ASSERT_TRUE(start_proxy());

  for (int attempt = 0; attempt < 3; ++attempt) {
    RawClient client(proxy_.port());
    ASSERT_TRUE(client.connected()) << client.error();
    ASSERT_TRUE(client.send(
        request_head("POST", "/echo", "test.local", "Content-Length: 100000\r\n") + "0123456789"));
    client.close();
  }
  CurlResult result = run_curl({url("/hello")});

  EXPECT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body, "hello from upstream\n");
  EXPECT_TRUE(proxy_.running()) << proxy_.log();
  for (const ReceivedRequest& request : upstream_.requests()) {
    EXPECT_NE(request.method, "POST") << "a truncated body was completed upstream";
  }
}

TEST_F(ProxyUpstreamTest, SequentialClientsReuseOneUpstreamConnection) {
  ASSERT_TRUE(start_proxy());

  CurlResult first = run_curl({url("/hello")});
  CurlResult second = run_curl({url("/hello")});

  ASSERT_EQ(first.status, 200) << first;
  ASSERT_EQ(second.status, 200) << second;
  EXPECT_EQ(upstream_.distinct_request_connections(), 1u);
  EXPECT_EQ(upstream_.connection_count(), 1u);
}

TEST_F(ProxyUpstreamTest, BodilessRequestOnAClosedPooledConnectionIsRetried) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.send(request_head("GET", "/drop-after")));
  auto first = client.read_response();
  ASSERT_TRUE(first.has_value()) << client.error();
  EXPECT_EQ(first->status, 200);
  // The pooled connection is closed by now; taken at once it is not probed, so the proxy
  // meets the close when it reads the response and must retry on a new connection.
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.send(request_head("GET", "/drop-after")));
    auto next = client.read_response();
    ASSERT_TRUE(next.has_value()) << client.error();
    EXPECT_EQ(next->status, 200) << *next;
  }
  EXPECT_EQ(upstream_.request_count(), 6u);
}

TEST_F(ProxyUpstreamTest, PostAfterIdleOnAClosedPooledConnectionIsNotLost) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.send(request_head("GET", "/drop-after")));
  ASSERT_TRUE(client.read_response().has_value()) << client.error();
  // Idle longer than the probe threshold: the closed connection is found before it is used.
  std::this_thread::sleep_for(milliseconds(300));
  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Content-Length: 5\r\n") + "hello"));
  auto response = client.read_response("POST");
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "hello");
}

}  // namespace
}  // namespace portcullis::testing
