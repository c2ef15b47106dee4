// Request size limits and client-side timeouts.

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kLimitsConfig = R"(limits:
  header_bytes: 4KiB
  header_count: 20
  uri_bytes: 1KiB
  body_bytes: 4KiB
)";

class ProxyLimitsTest : public ProxyTest {
 protected:
  // Sends `request` on a new connection and returns the final response.
  std::optional<HttpResponse> exchange(const std::string& request) {
    RawClient client(proxy_.port());
    if (!client.connected()) {
      ADD_FAILURE() << client.error();
      return std::nullopt;
    }
    client.send(request);
    std::optional<HttpResponse> response = client.read_final_response();
    if (!response) ADD_FAILURE() << "no response: " << client.error();
    return response;
  }
};

TEST_F(ProxyLimitsTest, RequestWithinLimitsIsForwarded) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));
  std::string fields;
  for (int i = 0; i < 10; ++i) fields += "X-Field-" + std::to_string(i) + ": value\r\n";
  fields += "Content-Length: 2048\r\n";
  const std::string target = "/echo?q=" + std::string(500, 'a');

  std::optional<HttpResponse> response =
      exchange(request_head("POST", target, "test.local", fields) + std::string(2048, 'b'));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, std::string(2048, 'b'));
}

TEST_F(ProxyLimitsTest, HeaderSectionOverLimitAnswers431) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));

  std::optional<HttpResponse> response = exchange(
      request_head("GET", "/echo", "test.local", "X-Large: " + std::string(6000, 'a') + "\r\n"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyLimitsTest, TooManyHeaderFieldsAnswer431) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));
  std::string fields;
  for (int i = 0; i < 40; ++i) fields += "X-F" + std::to_string(i) + ": v\r\n";

  std::optional<HttpResponse> response = exchange(request_head("GET", "/echo", "t", fields));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyLimitsTest, LongTargetAnswers414) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));

  std::optional<HttpResponse> response =
      exchange(request_head("GET", "/echo?q=" + std::string(2000, 'a'), "test.local"));

  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 414) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyLimitsTest, ContentLengthOverLimitAnswers413BeforeTheBody) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  // Only the head: the declared length alone must decide.
  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Content-Length: 10000\r\n")));
  std::optional<HttpResponse> response = client.read_final_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 413) << *response;
  EXPECT_EQ(upstream_.head_count(), 0u) << "the request reached the upstream";
}

TEST_F(ProxyLimitsTest, ChunkedBodyOverLimitIsRejected) {
  ASSERT_TRUE(start_proxy(kLimitsConfig));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  std::string body;
  for (int i = 0; i < 4; ++i) body += "7d0\r\n" + std::string(2000, 'c') + "\r\n";
  body += "0\r\n\r\n";

  client.send(request_head("POST", "/echo", "test.local", "Transfer-Encoding: chunked\r\n") + body);
  std::optional<HttpResponse> response = client.read_final_response();

  if (response.has_value()) {
    EXPECT_EQ(response->status, 413) << *response;
  } else {
    EXPECT_TRUE(client.peer_closed()) << "neither a 413 nor a close: " << client.error();
  }
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(upstream_.request_count(), 0u) << "the whole over-limit body reached the upstream";
}

TEST_F(ProxyLimitsTest, SlowHeaderAnswers408AndCloses) {
  ASSERT_TRUE(start_proxy("timeouts:\n  header: 500ms\n"));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send("GET /hello HTTP/1.1\r\nHost: test.local\r\n"));
  const Clock::time_point sent = Clock::now();
  std::optional<HttpResponse> response = client.read_final_response();
  const auto elapsed = Clock::now() - sent;

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 408) << *response;
  EXPECT_GE(elapsed, milliseconds(400));
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_TRUE(client.is_closed(seconds(2))) << "the connection stayed open after the 408";
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyLimitsTest, HeaderTimeoutCountsFromTheFirstByte) {
  ASSERT_TRUE(start_proxy("timeouts:\n  header: 500ms\n"));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  // A slowloris: one more header line every 100 ms never lets a per-read timer expire.
  const Clock::time_point first_byte = Clock::now();
  ASSERT_TRUE(client.send("GET /hello HTTP/1.1\r\nHost: test.local\r\n"));
  for (int line = 0; !client.wait_readable(milliseconds(100)); ++line) {
    if (Clock::now() - first_byte > seconds(3)) break;
    if (!client.send("X-Drip-" + std::to_string(line) + ": v\r\n")) break;
  }
  const auto elapsed = Clock::now() - first_byte;
  std::optional<HttpResponse> response = client.read_final_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 408) << *response;
  EXPECT_LT(elapsed, milliseconds(1500)) << "the header timeout restarted with every byte";
}

TEST_F(ProxyLimitsTest, ClientStallingMidBodyAnswers408AndCloses) {
  ASSERT_TRUE(start_proxy("timeouts:\n  body: 500ms\n"));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("POST", "/echo", "test.local", "Content-Length: 100\r\n") +
                          "only ten b"));
  const Clock::time_point sent = Clock::now();
  std::optional<HttpResponse> response = client.read_final_response("POST");
  const auto elapsed = Clock::now() - sent;

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 408) << *response;
  EXPECT_GE(elapsed, milliseconds(400));
  EXPECT_LT(elapsed, seconds(3));
  EXPECT_TRUE(client.is_closed(seconds(3))) << "the connection stayed open after the 408";
  EXPECT_EQ(upstream_.request_count(), 0u) << "an incomplete body was passed off as complete";
}

TEST_F(ProxyLimitsTest, IdleKeepAliveConnectionIsClosedSilently) {
  ASSERT_TRUE(start_proxy("timeouts:\n  idle: 500ms\n"));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send(request_head("GET", "/hello")));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  ASSERT_EQ(response->status, 200) << *response;

  const Clock::time_point idle_since = Clock::now();
  std::string after = client.read_until_closed();
  const auto elapsed = Clock::now() - idle_since;

  EXPECT_TRUE(client.peer_closed()) << "still open: " << client.error();
  EXPECT_EQ(after, "") << "the idle close was not silent";
  EXPECT_GE(elapsed, milliseconds(400));
  EXPECT_LT(elapsed, seconds(3));
}

}  // namespace
}  // namespace portcullis::testing
