// Forwarding through the real binary: bodies, framing conversions, forwarding headers,
// hop-by-hop headers, keep-alive, pipelining, 100-continue, WebSocket tunnels and routing.

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

class ProxyBasicTest : public ProxyTest {
 protected:
  // Sends one request on a new connection and returns what the upstream received.
  std::optional<ReceivedRequest> forward(std::string_view request) {
    RawClient client(proxy_.port());
    if (!client.connected()) {
      ADD_FAILURE() << client.error();
      return std::nullopt;
    }
    EXPECT_TRUE(client.send(request)) << client.error();
    std::optional<HttpResponse> response = client.read_final_response();
    if (!response) {
      ADD_FAILURE() << "no response: " << client.error();
      return std::nullopt;
    }
    EXPECT_EQ(response->status, 200) << *response;
    std::vector<ReceivedRequest> received = upstream_.requests();
    if (received.size() != 1) {
      ADD_FAILURE() << "the upstream received " << received.size() << " requests, expected 1";
      return std::nullopt;
    }
    return received[0];
  }

  // Writes `body` to a file and POSTs it with curl (`extra` adds arguments before the URL).
  CurlResult post_with_curl(const std::string& body, std::vector<std::string> extra = {}) {
    std::filesystem::path file = payload_dir_.write("body.bin", body);
    std::vector<std::string> args = {"--data-binary", "@" + file.string(), "-H",
                                     "Content-Type: application/octet-stream"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(url("/echo"));
    return run_curl(args);
  }

  TempDir payload_dir_;
};

TEST_F(ProxyBasicTest, GetThroughCurlReturnsUpstreamBody) {
  ASSERT_TRUE(start_proxy());

  CurlResult result = run_curl({url("/hello")});

  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body, "hello from upstream\n");
  EXPECT_EQ(upstream_.request_count(), 1u);
}

TEST_F(ProxyBasicTest, ResponseCarriesRequestIdThatWasForwardedUpstream) {
  ASSERT_TRUE(start_proxy());

  CurlResult result = run_curl({url("/hello")});

  ASSERT_EQ(result.status, 200) << result;
  std::optional<std::string> response_id = find_header(result.headers, "x-request-id");
  ASSERT_TRUE(response_id.has_value()) << result;
  EXPECT_FALSE(response_id->empty());
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].header_count("x-request-id"), 1u) << received[0].raw_head;
  EXPECT_EQ(received[0].header("x-request-id"), response_id) << received[0].raw_head;
}

TEST_F(ProxyBasicTest, RequestIdsDifferBetweenRequests) {
  ASSERT_TRUE(start_proxy());

  CurlResult first = run_curl({url("/hello")});
  CurlResult second = run_curl({url("/hello")});

  std::optional<std::string> first_id = find_header(first.headers, "x-request-id");
  std::optional<std::string> second_id = find_header(second.headers, "x-request-id");
  ASSERT_TRUE(first_id.has_value()) << first;
  ASSERT_TRUE(second_id.has_value()) << second;
  EXPECT_NE(*first_id, *second_id);
}

TEST_F(ProxyBasicTest, ForwardedHeadersDescribeTheClient) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received =
      forward(request_head("GET", "/headers", "shop.example.test"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_values(received->headers, "x-forwarded-for"),
            std::vector<std::string>{"127.0.0.1"})
      << received->raw_head;
  EXPECT_EQ(header_values(received->headers, "x-forwarded-proto"), std::vector<std::string>{"http"})
      << received->raw_head;
  EXPECT_EQ(header_values(received->headers, "x-forwarded-host"),
            std::vector<std::string>{"shop.example.test"})
      << received->raw_head;
}

TEST_F(ProxyBasicTest, UntrustedPeerForwardedForIsReplaced) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received = forward(
      request_head("GET", "/headers", "shop.example.test",
                   "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: 198.51.100.2, 192.0.2.1\r\n"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_list(received->headers, "x-forwarded-for"),
            std::vector<std::string>{"127.0.0.1"})
      << received->raw_head;
}

TEST_F(ProxyBasicTest, TrustedPeerForwardedForIsExtended) {
  ASSERT_TRUE(start_proxy("trusted_proxies: [127.0.0.0/8]\n"));

  std::optional<ReceivedRequest> received = forward(
      request_head("GET", "/headers", "shop.example.test", "X-Forwarded-For: 203.0.113.7\r\n"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_list(received->headers, "x-forwarded-for"),
            (std::vector<std::string>{"203.0.113.7", "127.0.0.1"}))
      << received->raw_head;
}

TEST_F(ProxyBasicTest, UntrustedPeerForwardedProtoAndHostAreReplaced) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received =
      forward(request_head("GET", "/headers", "shop.example.test",
                           "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_list(received->headers, "x-forwarded-proto"), std::vector<std::string>{"http"})
      << received->raw_head;
  EXPECT_EQ(header_list(received->headers, "x-forwarded-host"),
            std::vector<std::string>{"shop.example.test"})
      << received->raw_head;
}

TEST_F(ProxyBasicTest, TrustedPeerForwardedProtoAndHostAreKept) {
  ASSERT_TRUE(start_proxy("trusted_proxies: [127.0.0.0/8]\n"));

  std::optional<ReceivedRequest> received =
      forward(request_head("GET", "/headers", "internal.example.test",
                           "X-Forwarded-Proto: https\r\nX-Forwarded-Host: public.example\r\n"));

  ASSERT_TRUE(received.has_value());
  std::vector<std::string> proto = header_list(received->headers, "x-forwarded-proto");
  std::vector<std::string> host = header_list(received->headers, "x-forwarded-host");
  ASSERT_FALSE(proto.empty()) << received->raw_head;
  ASSERT_FALSE(host.empty()) << received->raw_head;
  EXPECT_EQ(proto.front(), "https") << received->raw_head;
  EXPECT_EQ(host.front(), "public.example") << received->raw_head;
}

TEST_F(ProxyBasicTest, UntrustedPeerRequestIdIsReplaced) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received = forward(
      request_head("GET", "/headers", "shop.example.test", "x-request-id: chosen-by-client\r\n"));

  ASSERT_TRUE(received.has_value());
  std::vector<std::string> ids = header_values(received->headers, "x-request-id");
  ASSERT_EQ(ids.size(), 1u) << received->raw_head;
  EXPECT_NE(ids[0], "chosen-by-client");
  EXPECT_FALSE(ids[0].empty());
}

TEST_F(ProxyBasicTest, TrustedPeerRequestIdIsKept) {
  ASSERT_TRUE(start_proxy("trusted_proxies: [127.0.0.0/8]\n"));

  std::optional<ReceivedRequest> received = forward(
      request_head("GET", "/headers", "shop.example.test", "x-request-id: chosen-by-edge\r\n"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_values(received->headers, "x-request-id"),
            std::vector<std::string>{"chosen-by-edge"})
      << received->raw_head;
}

TEST_F(ProxyBasicTest, HopByHopRequestHeadersAreNotForwarded) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received =
      forward(request_head("GET", "/headers", "shop.example.test",
                           "Connection: keep-alive, X-Client-Hop\r\n"
                           "X-Client-Hop: secret\r\n"
                           "Keep-Alive: timeout=9\r\n"
                           "TE: trailers\r\n"
                           "Trailer: X-Checksum\r\n"
                           "Proxy-Connection: keep-alive\r\n"
                           "Upgrade: h2c\r\n"
                           "X-End-To-End: kept\r\n"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->header("x-end-to-end"), "kept") << received->raw_head;
  for (const char* name :
       {"X-Client-Hop", "Keep-Alive", "TE", "Trailer", "Proxy-Connection", "Upgrade"}) {
    EXPECT_EQ(received->header_count(name), 0u) << name << " was forwarded upstream:\n"
                                                << received->raw_head;
  }
  for (const std::string& option : header_list(received->headers, "connection")) {
    EXPECT_TRUE(equals_ignore_case(option, "keep-alive") || equals_ignore_case(option, "close"))
        << "the client's Connection options were forwarded upstream:\n"
        << received->raw_head;
  }
}

TEST_F(ProxyBasicTest, HopByHopResponseHeadersAreNotReturned) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("GET", "/hop")));
  std::optional<HttpResponse> response = client.read_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "hop\n");
  EXPECT_EQ(response->header("x-end-to-end"), "kept") << *response;
  for (const char* name : {"X-Hop-Secret", "TE", "Trailer", "Proxy-Connection", "Upgrade"}) {
    EXPECT_EQ(response->header_count(name), 0u) << name << " reached the client:\n" << *response;
  }
  EXPECT_NE(response->header("keep-alive"), "timeout=7, max=77")
      << "the upstream's Keep-Alive reached the client:\n"
      << *response;
  for (const std::string& option : header_list(response->headers, "connection")) {
    EXPECT_FALSE(equals_ignore_case(option, "x-hop-secret"))
        << "the upstream's Connection options reached the client:\n"
        << *response;
  }
}

TEST_F(ProxyBasicTest, HostHeaderReachesUpstreamUnchanged) {
  ASSERT_TRUE(start_proxy());

  std::optional<ReceivedRequest> received =
      forward(request_head("GET", "/headers", "app.example.test:8443"));

  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(header_values(received->headers, "host"),
            std::vector<std::string>{"app.example.test:8443"})
      << received->raw_head;
}

TEST_F(ProxyBasicTest, PostWithContentLengthArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  const std::string body = test_payload(10 * 1024);

  CurlResult result = post_with_curl(body);

  ASSERT_EQ(result.status, 200) << result;
  EXPECT_TRUE(result.body == body) << "the echoed body differs from the one sent";
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_TRUE(received[0].body == body) << "the upstream received a different body";
}

TEST_F(ProxyBasicTest, PostWithContentLengthOfOneMebibyteArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  const std::string body = test_payload(1024 * 1024, 2);

  CurlResult result = post_with_curl(body);

  ASSERT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body.size(), body.size());
  EXPECT_TRUE(result.body == body) << "the echoed body differs from the one sent";
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].body == body) << "the upstream received a different body";
}

TEST_F(ProxyBasicTest, ChunkedPostArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  const std::string body = test_payload(10 * 1024, 3);

  CurlResult result = post_with_curl(body, {"-H", "Transfer-Encoding: chunked"});

  ASSERT_EQ(result.status, 200) << result;
  EXPECT_TRUE(result.body == body) << "the echoed body differs from the one sent";
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].body == body) << "the upstream received a different body";
}

TEST_F(ProxyBasicTest, ChunkedPostOfOneMebibyteArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  const std::string body = test_payload(1024 * 1024, 4);

  CurlResult result = post_with_curl(body, {"-H", "Transfer-Encoding: chunked"});

  ASSERT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body.size(), body.size());
  EXPECT_TRUE(result.body == body) << "the echoed body differs from the one sent";
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].body == body) << "the upstream received a different body";
}

TEST_F(ProxyBasicTest, ChunkedPostWithExtensionsAndTrailerArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Transfer-Encoding: chunked\r\n") +
                  "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 42\r\n\r\n"));
  std::optional<HttpResponse> response = client.read_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "hello world");
  // The trailer is forwarded in the upstream request's own trailer section.
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_TRUE(received[0].chunked);
  EXPECT_EQ(find_header(received[0].trailers, "x-checksum"), "42");
}

TEST_F(ProxyBasicTest, RequestTrailersThatMustNotBeTrailersAreDropped) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Transfer-Encoding: chunked\r\n") +
                  "5\r\nhello\r\n0\r\nHost: evil.example\r\nAuthorization: Basic eA==\r\n"
                  "Content-Length: 3\r\nX-Kept: yes\r\n\r\n"));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  std::vector<ReceivedRequest> received = upstream_.requests();
  ASSERT_EQ(received.size(), 1u);
  ASSERT_EQ(received[0].trailers.size(), 1u);
  EXPECT_EQ(find_header(received[0].trailers, "x-kept"), "yes");
}

TEST_F(ProxyBasicTest, ChunkedResponseTrailersReachTheClient) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send(request_head("GET", "/chunked?n=2&trailers=1")));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->body, "chunk-0\nchunk-1\n");
  EXPECT_EQ(find_header(response->trailers, "x-checksum"), "abc123");
  EXPECT_FALSE(find_header(response->trailers, "content-length"));  // not a trailer field
}

TEST_F(ProxyBasicTest, ChunkedUpstreamResponseReachesClientIntact) {
  ASSERT_TRUE(start_proxy());

  CurlResult result = run_curl({url("/chunked?n=100")});

  ASSERT_EQ(result.status, 200) << result;
  std::string expected;
  for (int i = 0; i < 100; ++i) expected += "chunk-" + std::to_string(i) + "\n";
  EXPECT_EQ(result.body, expected);
}

TEST_F(ProxyBasicTest, CloseDelimitedUpstreamResponseReachesClientIntact) {
  ASSERT_TRUE(start_proxy());

  CurlResult result = run_curl({url("/close")});

  EXPECT_EQ(result.exit_code, 0) << result;
  ASSERT_EQ(result.status, 200) << result;
  EXPECT_EQ(result.body, "until-close");
}

TEST_F(ProxyBasicTest, CloseDelimitedUpstreamResponseReachesRawClientIntact) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("GET", "/close")));
  std::optional<HttpResponse> response = client.read_response();

  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "until-close");
}

TEST_F(ProxyBasicTest, LargeUpstreamResponseReachesClientIntact) {
  ASSERT_TRUE(start_proxy());
  constexpr size_t kBytes = 5 * 1024 * 1024;

  CurlResult result = run_curl({url("/big?bytes=" + std::to_string(kBytes))});

  ASSERT_EQ(result.status, 200) << result.status;
  EXPECT_EQ(result.body.size(), kBytes);
  EXPECT_TRUE(result.body == std::string(kBytes, 'x')) << "the body was altered";
}

TEST_F(ProxyBasicTest, HeadResponseHasNoBody) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("HEAD", "/big?bytes=1000")));
  std::optional<HttpResponse> head = client.read_response("HEAD");
  ASSERT_TRUE(head.has_value()) << client.error();
  EXPECT_EQ(head->status, 200) << *head;

  // Any body bytes after the HEAD response would be parsed as the next response.
  ASSERT_TRUE(client.send(request_head("GET", "/hello")));
  std::optional<HttpResponse> next = client.read_response();
  ASSERT_TRUE(next.has_value()) << client.error();
  EXPECT_EQ(next->status, 200) << *next;
  EXPECT_EQ(next->body, "hello from upstream\n");
}

void expect_bodyless_status(uint16_t port, int status) {
  RawClient client(port);
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("GET", "/status/" + std::to_string(status))));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, status) << *response;
  EXPECT_EQ(response->header("transfer-encoding"), std::nullopt) << *response;

  // Any body bytes would be parsed as the next response.
  ASSERT_TRUE(client.send(request_head("GET", "/hello")));
  std::optional<HttpResponse> next = client.read_response();
  ASSERT_TRUE(next.has_value()) << client.error();
  EXPECT_EQ(next->status, 200) << *next;
  EXPECT_EQ(next->body, "hello from upstream\n");
}

TEST_F(ProxyBasicTest, NoContentResponseHasNoBody) {
  ASSERT_TRUE(start_proxy());
  expect_bodyless_status(proxy_.port(), 204);
}

TEST_F(ProxyBasicTest, NotModifiedResponseHasNoBody) {
  ASSERT_TRUE(start_proxy());
  expect_bodyless_status(proxy_.port(), 304);
}

TEST_F(ProxyBasicTest, ThousandKeepAliveRequestsReuseUpstreamConnections) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(client.send(request_head("GET", "/hello")))
        << "request " << i << ": " << client.error();
    std::optional<HttpResponse> response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "request " << i << ": " << client.error();
    ASSERT_EQ(response->status, 200) << "request " << i << ":\n" << *response;
  }

  EXPECT_EQ(upstream_.request_count(), 1000u);
  EXPECT_LT(upstream_.distinct_request_connections(), 5u);
}

TEST_F(ProxyBasicTest, PipelinedRequestsAreAnsweredInOrder) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  // The first one is the slowest, so answers in completion order would come out reversed.
  const std::vector<std::string> targets = {"/slow?ms=300&id=1", "/hello?id=2",
                                            "/chunked?n=2&id=3"};

  std::string batch;
  for (const std::string& target : targets) batch += request_head("GET", target);
  ASSERT_TRUE(client.send(batch));

  for (const std::string& target : targets) {
    std::optional<HttpResponse> response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "waiting for " << target << ": " << client.error();
    EXPECT_EQ(response->status, 200) << *response;
    EXPECT_EQ(response->header("x-upstream-target"), target) << *response;
  }
}

TEST_F(ProxyBasicTest, ExpectContinueBodyGoesThroughWithCurl) {
  ASSERT_TRUE(start_proxy());
  const std::string body = test_payload(64 * 1024, 5);

  // curl waits up to --expect100-timeout for the interim response before it sends the body
  // anyway; a run well below that shows the 100 (or the final response) came promptly.
  CurlResult result =
      post_with_curl(body, {"-H", "Expect: 100-continue", "--expect100-timeout", "5"});

  ASSERT_EQ(result.status, 200) << result;
  EXPECT_TRUE(result.body == body) << "the echoed body differs from the one sent";
  EXPECT_LT(result.seconds, 4.0) << "curl waited for a 100 Continue that never came";
}

TEST_F(ProxyBasicTest, ExpectContinueGetsInterimResponseBeforeBody) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(request_head("POST", "/echo", "test.local",
                                       "Content-Length: 11\r\nExpect: 100-continue\r\n")));
  std::optional<HttpResponse> interim = client.read_response();
  ASSERT_TRUE(interim.has_value()) << client.error();
  EXPECT_EQ(interim->status, 100) << *interim;

  ASSERT_TRUE(client.send("hello world"));
  std::optional<HttpResponse> response = client.read_final_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(response->body, "hello world");
}

std::string websocket_upgrade() {
  return request_head("GET", "/ws", "test.local",
                      "Connection: Upgrade\r\n"
                      "Upgrade: websocket\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n");
}

TEST_F(ProxyBasicTest, WebSocketUpgradeIsTunnelled) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();

  ASSERT_TRUE(client.send(websocket_upgrade()));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  ASSERT_EQ(response->status, 101) << *response;
  EXPECT_TRUE(contains_ignore_case(response->header("upgrade").value_or(""), "websocket"))
      << *response;

  ASSERT_TRUE(client.send("ping over the tunnel"));
  EXPECT_EQ(client.read_exact(20).value_or("<" + client.error() + ">"), "ping over the tunnel");

  const std::string blob = test_payload(32 * 1024, 6);
  ASSERT_TRUE(client.send(blob));
  std::optional<std::string> echoed = client.read_exact(blob.size());
  ASSERT_TRUE(echoed.has_value()) << client.error();
  EXPECT_TRUE(*echoed == blob) << "the tunnel altered the bytes";
}

TEST_F(ProxyBasicTest, WebSocketTunnelClosesWhenClientCloses) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send(websocket_upgrade()));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  ASSERT_EQ(response->status, 101) << *response;
  ASSERT_TRUE(client.send("bye"));
  ASSERT_EQ(client.read_exact(3).value_or(""), "bye") << client.error();

  client.shutdown_write();

  EXPECT_TRUE(client.is_closed(seconds(3)))
      << "the tunnel stayed open after the client finished sending";
}

constexpr std::string_view kRoutingConfig = R"(listen: [127.0.0.1:0]
workers: 1
upstreams:
  - name: alpha
    endpoints: [${ALPHA}]
  - name: beta
    endpoints: [${BETA}]
routes:
  - host: beta.example.test
    upstream: beta
  - host: "*.wild.example.test"
    upstream: beta
  - host: alpha.example.test
    path_prefix: /api/
    upstream: beta
  - host: alpha.example.test
    upstream: alpha
)";

class ProxyRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(proxy_.start_with_config(
        fill_template(kRoutingConfig, {{"ALPHA", alpha_.endpoint()}, {"BETA", beta_.endpoint()}})));
  }

  // The status of a GET for `target` with Host `host`, or 0 without a response.
  int get(std::string_view host, std::string_view target) {
    RawClient client(proxy_.port());
    if (!client.send(request_head("GET", target, host))) return 0;
    std::optional<HttpResponse> response = client.read_response();
    if (!response) {
      ADD_FAILURE() << "no response for " << host << target << ": " << client.error();
      return 0;
    }
    return response->status;
  }

  TestUpstream alpha_;
  TestUpstream beta_;
  ProxyProcess proxy_;
};

TEST_F(ProxyRoutingTest, RoutesByHost) {
  EXPECT_EQ(get("alpha.example.test", "/hello"), 200);
  EXPECT_EQ(alpha_.request_count(), 1u);
  EXPECT_EQ(beta_.request_count(), 0u);

  EXPECT_EQ(get("beta.example.test", "/hello"), 200);
  EXPECT_EQ(alpha_.request_count(), 1u);
  EXPECT_EQ(beta_.request_count(), 1u);
}

TEST_F(ProxyRoutingTest, RoutesByPathPrefix) {
  EXPECT_EQ(get("alpha.example.test", "/api/users"), 200);
  EXPECT_EQ(beta_.request_count(), 1u);
  EXPECT_EQ(alpha_.request_count(), 0u);

  EXPECT_EQ(get("alpha.example.test", "/apix"), 200);
  EXPECT_EQ(alpha_.request_count(), 1u);
  EXPECT_EQ(beta_.request_count(), 1u);
}

TEST_F(ProxyRoutingTest, HostMatchIgnoresPortAndCase) {
  EXPECT_EQ(get("BETA.Example.Test:8080", "/hello"), 200);

  EXPECT_EQ(beta_.request_count(), 1u);
  EXPECT_EQ(alpha_.request_count(), 0u);
}

TEST_F(ProxyRoutingTest, WildcardHostMatchesSubdomain) {
  EXPECT_EQ(get("shop.wild.example.test", "/hello"), 200);

  EXPECT_EQ(beta_.request_count(), 1u);
  EXPECT_EQ(alpha_.request_count(), 0u);
}

TEST_F(ProxyRoutingTest, UnmatchedRouteAnswers404) {
  EXPECT_EQ(get("gamma.example.test", "/hello"), 404);

  EXPECT_EQ(alpha_.head_count(), 0u);
  EXPECT_EQ(beta_.head_count(), 0u);
}

}  // namespace
}  // namespace portcullis::testing
