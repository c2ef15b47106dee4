// Requests whose framing is malformed or ambiguous (the raw material of request smuggling): each
// must be answered 400, the connection closed, and nothing of it may reach the upstream.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using namespace std::string_literals;
using std::chrono::seconds;

// A short header timeout turns "the proxy waits for more bytes" into a 408 that fails the test
// quickly instead of a hang.
constexpr std::string_view kFramingConfig = "timeouts:\n  header: 2s\n";

struct MalformedRequest {
  std::string name;
  std::string bytes;
  // The error is in the body: a proxy that streams bodies may already have sent the head
  // upstream, so only a complete request upstream is a failure.
  bool in_body = false;
};

std::ostream& operator<<(std::ostream& os, const MalformedRequest& request) {
  return os << request.name;
}

std::string post_head(std::string_view fields) {
  return "POST /echo HTTP/1.1\r\nHost: test.local\r\n"s + std::string(fields) + "\r\n";
}

std::string chunked_post(std::string_view body) {
  return post_head("Transfer-Encoding: chunked\r\n") + std::string(body);
}

std::string get_with(std::string_view fields) {
  return "GET /echo HTTP/1.1\r\nHost: test.local\r\n"s + std::string(fields) + "\r\n";
}

std::vector<MalformedRequest> malformed_requests() {
  const std::string chunked_hello = "5\r\nhello\r\n0\r\n\r\n";
  return {
      {"ContentLengthAndTransferEncoding",
       post_head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") + chunked_hello},
      {"TransferEncodingAndContentLength",
       post_head("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") + chunked_hello},
      {"TwoEqualContentLengths", post_head("Content-Length: 5\r\nContent-Length: 5\r\n") + "hello"},
      {"TwoDifferentContentLengths",
       post_head("Content-Length: 5\r\nContent-Length: 6\r\n") + "hello!"},
      {"ContentLengthWithPlusSign", post_head("Content-Length: +5\r\n") + "hello"},
      {"ContentLengthWithMinusSign", post_head("Content-Length: -5\r\n") + "hello"},
      {"ContentLengthCommaList", post_head("Content-Length: 5, 5\r\n") + "hello"},
      {"ContentLengthWithLetters", post_head("Content-Length: 5a\r\n") + "hello"},
      {"ContentLengthInHex", post_head("Content-Length: 0x5\r\n") + "hello"},
      {"ContentLengthEmpty", post_head("Content-Length: \r\n") + "hello"},
      {"ContentLengthOverflowing64Bits",
       post_head("Content-Length: 18446744073709551621\r\n") + "hello"},
      {"ContentLengthWithThirtyDigits",
       post_head("Content-Length: 100000000000000000000000000005\r\n") + "hello"},
      {"TransferEncodingGzipChunked",
       post_head("Transfer-Encoding: gzip, chunked\r\n") + chunked_hello},
      {"TransferEncodingXchunked", post_head("Transfer-Encoding: xchunked\r\n") + chunked_hello},
      {"TransferEncodingChunkedTwice",
       post_head("Transfer-Encoding: chunked, chunked\r\n") + chunked_hello},
      {"TransferEncodingSpaceBeforeColon",
       post_head("Transfer-Encoding : chunked\r\n") + chunked_hello},
      {"TwoTransferEncodingHeaders",
       post_head("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n") + chunked_hello},
      {"TransferEncodingInHttp10",
       "POST /echo HTTP/1.0\r\nHost: test.local\r\nTransfer-Encoding: chunked\r\n\r\n" +
           chunked_hello},
      {"ObsFoldWithSpace", get_with("X-Folded: first\r\n second\r\n")},
      {"ObsFoldWithTab", get_with("X-Folded: first\r\n\tsecond\r\n")},
      {"NulInHeaderValue", get_with("X-Nul: a\0b\r\n"s)},
      {"BareCrInHeaderValue", get_with("X-Cr: a\rb\r\n")},
      {"BareLfLineEndings", "GET /echo HTTP/1.1\nHost: test.local\nX-A: b\n\n"},
      {"BareLfInsideHeaderSection", "GET /echo HTTP/1.1\r\nHost: test.local\nX-A: b\r\n\r\n"},
      {"ChunkSizeNotHex", chunked_post("zz\r\nhello\r\n0\r\n\r\n"), true},
      {"ChunkSizeNegative", chunked_post("-5\r\nhello\r\n0\r\n\r\n"), true},
      {"ChunkSizeTooManyHexDigits", chunked_post("fffffffffffffffff\r\nhello\r\n0\r\n\r\n"), true},
      {"ChunkDataWithoutCrlf", chunked_post("5\r\nhelloXX\r\n0\r\n\r\n"), true},
      {"Http11WithoutHost", "GET /echo HTTP/1.1\r\nAccept: */*\r\n\r\n"},
      {"TwoHostHeaders", get_with("Host: other.local\r\n")},
      {"HeaderNameWithAt", get_with("Bad@Name: value\r\n")},
      {"HeaderNameWithParenthesis", get_with("Bad(Name): value\r\n")},
      {"HeaderNameWithSpace", get_with("Bad Name: value\r\n")},
      {"EmptyHeaderName", get_with(": value\r\n")},
      {"SpaceInRequestTarget", "GET /a b HTTP/1.1\r\nHost: test.local\r\n\r\n"},
  };
}

class MalformedRequestTest : public ProxyTest,
                             public ::testing::WithParamInterface<MalformedRequest> {};

TEST_P(MalformedRequestTest, Answers400ClosesAndForwardsNothing) {
  const MalformedRequest& request = GetParam();
  ASSERT_TRUE(start_proxy(kFramingConfig));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  // The proxy may answer and close before it has read everything; a failed send is fine.
  client.send(request.bytes);
  std::optional<HttpResponse> response = client.read_final_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 400) << *response;
  EXPECT_TRUE(client.is_closed(seconds(2))) << "the connection stayed open after the 400";
  // Forwarding, if it happened, ran alongside the 400; give it a moment to show up.
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(upstream_.request_count(), 0u) << "a complete request reached the upstream";
  if (!request.in_body) {
    EXPECT_EQ(upstream_.head_count(), 0u) << "the request head reached the upstream";
  }
}

INSTANTIATE_TEST_SUITE_P(Framing, MalformedRequestTest, ::testing::ValuesIn(malformed_requests()),
                         [](const ::testing::TestParamInfo<MalformedRequest>& info) {
                           return info.param.name;
                         });

class ProxyVersionTest : public ProxyTest {};

TEST_F(ProxyVersionTest, UnsupportedVersionAnswers505) {
  ASSERT_TRUE(start_proxy(kFramingConfig));
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  client.send("GET /echo HTTP/2.0\r\nHost: test.local\r\n\r\n");
  std::optional<HttpResponse> response = client.read_final_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 505) << *response;
}

}  // namespace
}  // namespace portcullis::testing
