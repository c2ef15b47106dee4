// HTTP/2 downstream: h2c with prior knowledge on a plain listener, h2 over TLS by ALPN, streams
// through the same pipeline, bodies both ways, and the protections against frame floods. Real
// clients (curl, nghttp, h2load) for the traffic; raw frames for the attacks.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

std::string frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                  std::string_view payload = {}) {
  std::string f;
  f.push_back(static_cast<char>(payload.size() >> 16));
  f.push_back(static_cast<char>(payload.size() >> 8));
  f.push_back(static_cast<char>(payload.size()));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  f.push_back(static_cast<char>((stream >> 24) & 0x7f));
  f.push_back(static_cast<char>(stream >> 16));
  f.push_back(static_cast<char>(stream >> 8));
  f.push_back(static_cast<char>(stream));
  f.append(payload);
  return f;
}

constexpr std::uint8_t kData = 0x0, kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                       kGoaway = 0x7, kContinuation = 0x9;
constexpr std::uint8_t kEndStream = 0x1, kEndHeaders = 0x4;

// HPACK: :method GET, :scheme http, :path /hello, :authority test.local (no Huffman).
std::string get_hello_block() {
  std::string b = "\x82\x86";
  b += "\x04\x06/hello";  // literal without indexing, name :path (4)
  b += "\x01\x0atest.local";
  return b;
}

// Reads frames until a GOAWAY arrives or the connection closes; returns the GOAWAY error code,
// or -1 if the connection ended (or timed out) without one.
long read_goaway(RawClient& client) {
  while (true) {
    std::optional<std::string> head = client.read_exact(9);
    if (!head) return -1;
    std::size_t len = (std::uint8_t((*head)[0]) << 16) | (std::uint8_t((*head)[1]) << 8) |
                      std::uint8_t((*head)[2]);
    std::optional<std::string> payload = client.read_exact(len);
    if (!payload) return -1;
    if (std::uint8_t((*head)[3]) == kGoaway && payload->size() >= 8) {
      return (std::uint8_t((*payload)[4]) << 24) | (std::uint8_t((*payload)[5]) << 16) |
             (std::uint8_t((*payload)[6]) << 8) | std::uint8_t((*payload)[7]);
    }
  }
}

class ProxyH2Test : public ProxyTest {
 protected:
  // curl with HTTP/2 prior knowledge; returns "STATUS VERSION\nBODY".
  ProcessResult curl_h2c(const std::vector<std::string>& extra, std::string_view path) {
    std::vector<std::string> argv = {"curl",       "-s", "-S", "--http2-prior-knowledge",
                                     "--max-time", "20", "-w", "\n%{http_code} %{http_version}"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url(path));
    return run_process(argv, seconds(30));
  }
  static std::string tail_line(const std::string& out) { return out.substr(out.rfind('\n') + 1); }
};

TEST_F(ProxyH2Test, PriorKnowledgeIsServedOnThePlainListener) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r = curl_h2c({}, "/hello");
  EXPECT_EQ(tail_line(r.out), "200 2") << r.out << r.err;
  EXPECT_NE(r.out.find("hello from upstream"), std::string::npos);
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  const ReceivedRequest req = upstream_.requests()[0];
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.header("host"), "127.0.0.1:" + std::to_string(proxy_.port()));
  EXPECT_EQ(req.header("x-forwarded-for"), "127.0.0.1");
  EXPECT_TRUE(req.header("x-request-id").has_value());
  // HTTP/1.1 clients still work on the same port.
  EXPECT_EQ(run_curl({url("/hello")}).status, 200);
}

// The connection's HTTP/2 fingerprint (SETTINGS|WINDOW_UPDATE|PRIORITY|pseudo-header order)
// is taken from the frames that come before the first request and written into its events.
TEST_F(ProxyH2Test, SecurityEventsCarryTheHttp2Fingerprint) {
  ASSERT_TRUE(start_proxy("policies: [{name: default, access: {methods: [GET]}}]\n"));
  auto u32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                       static_cast<char>(v >> 8), static_cast<char>(v)};
  };
  auto setting = [&](std::uint16_t id, std::uint32_t value) {
    return std::string{static_cast<char>(id >> 8), static_cast<char>(id)} + u32(value);
  };
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected());
  std::string out(kPreface);
  out += frame(kSettings, 0, 0,
               setting(1, 65536) + setting(2, 0) + setting(4, 6291456) + setting(6, 262144));
  out += frame(0x8, 0, 0, u32(15663105));                       // WINDOW_UPDATE
  out += frame(0x2, 0, 3, u32(0) + std::string(1, char(200)));  // PRIORITY, weight 201
  // :method DELETE, :authority test.local, :scheme http, :path /fp (no Huffman).
  std::string block =
      "\x42\x06"
      "DELETE"
      "\x01\x0atest.local"
      "\x86"
      "\x04\x03/fp";
  out += frame(kHeaders, kEndHeaders | kEndStream, 1, block);
  ASSERT_TRUE(client.send(out));
  std::string events;
  for (int i = 0; i < 100; ++i) {
    events = run_curl({proxy_url(proxy_.admin_port(), "/events")}).body;
    if (events.find("\"path\":\"/fp\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_NE(events.find("\"h2\":\"1:65536;2:0;4:6291456;6:262144|15663105|3:0:0:201|m,a,s,p\""),
            std::string::npos)
      << events;

  // curl's own connection gets its own.
  EXPECT_EQ(tail_line(curl_h2c({"-X", "DELETE"}, "/curl").out), "405 2");
  for (int i = 0; i < 100; ++i) {
    events = run_curl({proxy_url(proxy_.admin_port(), "/events")}).body;
    if (events.find("\"path\":\"/curl\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::size_t at = events.find("\"h2\":\"", events.find("\"path\":\"/curl\""));
  ASSERT_NE(at, std::string::npos) << events;
  std::string curl_fp = events.substr(at + 6, events.find('"', at + 6) - at - 6);
  EXPECT_NE(curl_fp, "1:65536;2:0;4:6291456;6:262144|15663105|3:0:0:201|m,a,s,p");
  EXPECT_EQ(std::count(curl_fp.begin(), curl_fp.end(), '|'), 3) << curl_fp;
}

TEST_F(ProxyH2Test, RequestBodyOfSeveralWindowsArrivesIntact) {
  ASSERT_TRUE(start_proxy("limits: {body_bytes: 8MiB}\n"));
  TempDir dir;
  std::string body = test_payload(3 * 1024 * 1024, 5);
  auto file = dir.write("body.bin", body);
  ProcessResult r = curl_h2c({"--data-binary", "@" + file.string()}, "/echo");
  EXPECT_EQ(tail_line(r.out), "200 2") << r.err;
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].body.size(), body.size());
  EXPECT_TRUE(upstream_.requests()[0].body == body);
}

TEST_F(ProxyH2Test, ChunkedResponseTrailersBecomeHttp2Trailers) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r = run_process({"nghttp", "-v", url("/chunked?n=2&trailers=1")}, seconds(20));
  ASSERT_TRUE(r.exit && r.exit->success()) << r.err;
  // The trailer comes in a HEADERS frame after the body; Content-Length is not a trailer.
  std::size_t trailer = r.out.find("x-checksum: abc123");
  ASSERT_NE(trailer, std::string::npos) << r.out.substr(0, 3000);
  EXPECT_NE(r.out.rfind("recv DATA frame", trailer), std::string::npos);
  EXPECT_EQ(r.out.find("content-length: 99"), std::string::npos);
}

TEST_F(ProxyH2Test, RequestTrailersReachAnHttp11UpstreamInChunkedCoding) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  // HPACK, no Huffman: :method POST, :scheme http, :path /echo, :authority test.local.
  std::string head = "\x83\x86";
  head += "\x04\x05/echo";
  head += "\x01\x0atest.local";
  // Literal fields with new names: x-checksum: 42, and authorization (never a trailer).
  std::string trailers = std::string("\0\x0ax-checksum\x02", 13) + "42";
  trailers += std::string("\0\x0d", 2) + "authorization" + "\x07" + "Basic x";
  ASSERT_TRUE(client.send(std::string(kPreface) + frame(kSettings, 0, 0) +
                          frame(kHeaders, kEndHeaders, 1, head) + frame(kData, 0, 1, "hello") +
                          frame(kHeaders, kEndStream | kEndHeaders, 1, trailers)));
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  const ReceivedRequest req = upstream_.requests()[0];
  EXPECT_EQ(req.body, "hello");
  EXPECT_TRUE(req.chunked);
  EXPECT_EQ(find_header(req.trailers, "x-checksum"), "42") << proxy_.log();
  EXPECT_FALSE(find_header(req.trailers, "authorization"));
}

TEST_F(ProxyH2Test, LargeResponseArrivesIntact) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r =
      curl_h2c({"-o", "/dev/null", "-w", "%{http_code} %{http_version} %{size_download}"},
               "/big?bytes=5000000");
  EXPECT_EQ(r.out, "200 2 5000000") << r.err;
}

TEST_F(ProxyH2Test, ChunkedUpstreamResponseIsRelayed) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r = curl_h2c({}, "/chunked?n=3");
  EXPECT_NE(r.out.find("chunk-0\nchunk-1\nchunk-2\n"), std::string::npos) << r.out;
  EXPECT_EQ(tail_line(r.out), "200 2");
}

TEST_F(ProxyH2Test, CookieCrumbsAreJoinedForTheUpstream) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r = run_process({"nghttp", "-n", "-H", "cookie: a=1", "-H", "cookie: b=2",
                                 "http://127.0.0.1:" + std::to_string(proxy_.port()) + "/headers"},
                                seconds(20));
  ASSERT_TRUE(r.exit && r.exit->success()) << r.err;
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].header("cookie"), "a=1; b=2");
  EXPECT_EQ(upstream_.requests()[0].header_count("cookie"), 1u);
}

TEST_F(ProxyH2Test, ConcurrentStreamsWithH2load) {
  ASSERT_TRUE(start_proxy());
  ProcessResult r = run_process({"h2load", "-n", "2000", "-c", "4", "-m", "16",
                                 "http://127.0.0.1:" + std::to_string(proxy_.port()) + "/hello"},
                                seconds(60));
  EXPECT_NE(r.out.find("2000 succeeded, 0 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("status codes: 2000 2xx"), std::string::npos) << r.out;
  EXPECT_TRUE(upstream_.wait_for_requests(2000, seconds(10)));
}

TEST_F(ProxyH2Test, PipelineVerdictsApplyToStreams) {
  ASSERT_TRUE(start_proxy("policies:\n  - name: default\n    access: {methods: [GET, HEAD]}\n"));
  ProcessResult r = curl_h2c({"-X", "DELETE", "-D", "-"}, "/hello");
  EXPECT_EQ(tail_line(r.out), "405 2") << r.out;
  EXPECT_NE(r.out.find("allow: GET, HEAD"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("x-request-id: "), std::string::npos) << r.out;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyH2Test, SigtermLetsInFlightStreamsFinishAfterGoaway) {
  ASSERT_TRUE(start_proxy("timeouts: {drain: 5s}\n"));
  std::vector<std::string> argv = {"curl",
                                   "-s",
                                   "-S",
                                   "--http2-prior-knowledge",
                                   "--max-time",
                                   "20",
                                   "-w",
                                   "\n%{http_code} %{http_version}",
                                   url("/slow?ms=1000")};
  std::string out;
  std::thread client([&] { out = run_process(argv, seconds(30)).out; });
  ASSERT_TRUE(upstream_.wait_for_heads(1, seconds(5)));
  ASSERT_TRUE(proxy_.terminate(SIGTERM));
  client.join();
  EXPECT_EQ(tail_line(out), "200 2") << out;
  EXPECT_NE(out.find("slow"), std::string::npos);
  std::optional<ExitStatus> status = proxy_.wait_exit(seconds(5));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success());
}

TEST_F(ProxyH2Test, UpstreamDownIs502) {
  ASSERT_TRUE(proxy_.start_with_config(
      "listen: [127.0.0.1:0]\nworkers: 1\nupstreams: [{name: a, endpoints: [127.0.0.1:1]}]\n"
      "routes: [{upstream: a}]\n"));
  ProcessResult r = curl_h2c({}, "/hello");
  EXPECT_EQ(tail_line(r.out), "502 2") << r.out;
}

TEST_F(ProxyH2Test, RapidResetGetsGoawayAndOthersAreUnaffected) {
  ASSERT_TRUE(start_proxy());
  RawClient attacker(proxy_.port(), seconds(10));
  std::string burst = std::string(kPreface) + frame(kSettings, 0, 0);
  const std::string block = get_hello_block();
  for (std::uint32_t i = 0; i < 3000; ++i) {
    std::uint32_t id = 1 + 2 * i;
    burst += frame(kHeaders, kEndStream | kEndHeaders, id, block);
    burst += frame(kRstStream, 0, id, std::string("\0\0\0\x08", 4));  // CANCEL
  }
  attacker.send(burst);
  long code = read_goaway(attacker);
  EXPECT_GE(code, 0) << "no GOAWAY after a rapid reset burst";
  EXPECT_TRUE(attacker.is_closed(seconds(5)));
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

TEST_F(ProxyH2Test, ContinuationFloodGetsGoaway) {
  ASSERT_TRUE(start_proxy());
  RawClient attacker(proxy_.port(), seconds(10));
  std::string flood = std::string(kPreface) + frame(kSettings, 0, 0);
  flood += frame(kHeaders, kEndStream, 1, "\x82\x86");
  for (int i = 0; i < 100; ++i) flood += frame(kContinuation, 0, 1, "\x40\x01x\x01y");
  attacker.send(flood);
  EXPECT_GE(read_goaway(attacker), 0) << "no GOAWAY after a CONTINUATION flood";
  EXPECT_TRUE(attacker.is_closed(seconds(5)));
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

TEST_F(ProxyH2Test, EmptyDataFloodGetsGoaway) {
  ASSERT_TRUE(start_proxy());
  RawClient attacker(proxy_.port(), seconds(10));
  std::string flood = std::string(kPreface) + frame(kSettings, 0, 0);
  flood += frame(kHeaders, kEndHeaders, 1, get_hello_block());
  for (int i = 0; i < 500; ++i) flood += frame(kData, 0, 1);
  attacker.send(flood);
  EXPECT_EQ(read_goaway(attacker), 0xb) << "expected GOAWAY ENHANCE_YOUR_CALM";
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

TEST_F(ProxyH2Test, PingFloodGetsGoaway) {
  ASSERT_TRUE(start_proxy());
  RawClient attacker(proxy_.port(), seconds(10));
  std::string flood = std::string(kPreface) + frame(kSettings, 0, 0);
  for (int i = 0; i < 20000; ++i) flood += frame(kPing, 0, 0, std::string(8, 'p'));
  // The attacker never reads: acknowledgements pile up until the server gives up on it.
  attacker.send(flood);
  EXPECT_TRUE(attacker.is_closed(seconds(10)));
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

TEST_F(ProxyH2Test, GarbageAfterThePrefaceClosesTheConnection) {
  ASSERT_TRUE(start_proxy());
  RawClient client(proxy_.port(), seconds(5));
  client.send(std::string(kPreface) + "this is not a frame at all, not even close");
  EXPECT_TRUE(client.is_closed(seconds(5)));
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

// The frames received until one of `type` on `stream` arrives; its payload, or nullopt.
std::optional<std::string> read_until_frame(RawClient& client, std::uint8_t type,
                                            std::uint32_t stream) {
  while (true) {
    std::optional<std::string> head = client.read_exact(9);
    if (!head) return std::nullopt;
    std::size_t len = (std::uint8_t((*head)[0]) << 16) | (std::uint8_t((*head)[1]) << 8) |
                      std::uint8_t((*head)[2]);
    std::uint32_t id = ((std::uint8_t((*head)[5]) & 0x7f) << 24) |
                       (std::uint8_t((*head)[6]) << 16) | (std::uint8_t((*head)[7]) << 8) |
                       std::uint8_t((*head)[8]);
    std::optional<std::string> payload = client.read_exact(len);
    if (!payload) return std::nullopt;
    if (std::uint8_t((*head)[3]) == type && id == stream) return payload;
  }
}

TEST_F(ProxyH2Test, HeaderListOverTheLimitIs431) {
  ASSERT_TRUE(start_proxy("limits: {header_bytes: 2KiB}\n"));
  ProcessResult r = curl_h2c({"-H", "x-big: " + std::string(4000, 'a')}, "/hello");
  EXPECT_EQ(tail_line(r.out), "431 2") << r.out << r.err;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(ProxyH2Test, StreamsBeyondTheConcurrencyLimitAreRefused) {
  ASSERT_TRUE(start_proxy("http2: {max_concurrent_streams: 2}\n"));
  RawClient client(proxy_.port(), seconds(10));
  std::string slow = "\x82\x86";
  slow += "\x04\x0d/slow?ms=1000";
  slow += "\x01\x0atest.local";
  std::string frames = std::string(kPreface) + frame(kSettings, 0, 0) + frame(kSettings, 0x1, 0);
  ASSERT_TRUE(client.send(frames));
  // Let the server's SETTINGS be acknowledged before the streams open.
  std::this_thread::sleep_for(milliseconds(100));
  std::string streams;
  for (std::uint32_t id : {1u, 3u, 5u})
    streams += frame(kHeaders, kEndStream | kEndHeaders, id, slow);
  ASSERT_TRUE(client.send(streams));
  // nghttp2 answers a client that ignores the acknowledged limit with a connection error.
  std::optional<std::string> goaway = read_until_frame(client, kGoaway, 0);
  ASSERT_TRUE(goaway.has_value()) << "the third stream was accepted";
  ASSERT_GE(goaway->size(), 8u);
  EXPECT_EQ(std::uint8_t((*goaway)[7]), 0x1);  // PROTOCOL_ERROR
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

TEST_F(ProxyH2Test, IdleConnectionGetsGoaway) {
  ASSERT_TRUE(start_proxy("timeouts: {idle: 300ms}\n"));
  RawClient client(proxy_.port(), seconds(5));
  ASSERT_TRUE(client.send(std::string(kPreface) + frame(kSettings, 0, 0)));
  const auto start = Clock::now();
  EXPECT_EQ(read_goaway(client), 0);  // NO_ERROR
  EXPECT_LT(Clock::now() - start, seconds(3));
  EXPECT_TRUE(client.is_closed(seconds(3)));
}

TEST_F(ProxyH2Test, SettingsFloodIsCut) {
  ASSERT_TRUE(start_proxy());
  RawClient attacker(proxy_.port(), seconds(10));
  std::string flood = std::string(kPreface);
  for (int i = 0; i < 20000; ++i)
    flood += frame(kSettings, 0, 0, std::string("\0\x03\0\0\0\x10", 6));
  attacker.send(flood);
  EXPECT_TRUE(attacker.is_closed(seconds(10)));
  EXPECT_EQ(tail_line(curl_h2c({}, "/hello").out), "200 2");
}

}  // namespace
}  // namespace portcullis::testing

namespace portcullis::testing {
namespace {

class ProxyH2UpstreamTest : public ::testing::Test {
 protected:
  ::testing::AssertionResult start() {
    if (!origin_.ready()) return ::testing::AssertionFailure() << "nghttpd did not start";
    return proxy_.start_with_config(
        "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: grpc\n    protocol: h2c\n"
        "    endpoints: [127.0.0.1:" +
        std::to_string(origin_.port()) + "]\nroutes: [{upstream: grpc}]\n");
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(proxy_.port()); }

  Nghttpd origin_;
  ProxyProcess proxy_;
};

TEST_F(ProxyH2UpstreamTest, GrpcStyleCallPassesBodyAndTrailers) {
  ASSERT_TRUE(start());
  TempDir dir;
  std::string message = test_payload(100000, 4);
  auto file = dir.write("request.bin", message);
  ProcessResult r = run_process(
      {"nghttp", "-v", "-H", ":method: POST", "-H", "content-type: application/grpc", "-H",
       "te: trailers", "-d", file.string(), base() + "/helloworld.Greeter/SayHello"},
      seconds(20));
  ASSERT_TRUE(r.exit && r.exit->success()) << r.err << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find(":status: 200"), std::string::npos);
  // The trailer arrives in its own HEADERS frame after the body.
  std::size_t trailer = r.out.find("grpc-status: 0");
  ASSERT_NE(trailer, std::string::npos) << r.out.substr(0, 3000);
  EXPECT_NE(r.out.rfind("recv DATA frame", trailer), std::string::npos);
  EXPECT_NE(r.out.find("x-request-id: "), std::string::npos);
}

TEST_F(ProxyH2UpstreamTest, RequestTrailersReachTheUpstream) {
  ASSERT_TRUE(start());
  // From an HTTP/1.1 client's chunked body to the upstream stream's trailing HEADERS frame.
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Transfer-Encoding: chunked\r\n") +
                  "5\r\nhello\r\n0\r\nX-Checksum: 42\r\nAuthorization: Basic eA==\r\n\r\n"));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_EQ(response->body, "hello");
  std::string frames = origin_.frames();
  std::size_t trailer = frames.find("x-checksum: 42");
  ASSERT_NE(trailer, std::string::npos) << frames.substr(0, 4000);
  EXPECT_NE(frames.rfind("recv DATA frame", trailer), std::string::npos);
  EXPECT_EQ(frames.find("authorization"), std::string::npos);
}

TEST_F(ProxyH2UpstreamTest, EchoedBodyIsIntact) {
  ASSERT_TRUE(start());
  TempDir dir;
  std::string message = test_payload(3 * 1024 * 1024, 6);
  auto file = dir.write("request.bin", message);
  auto out = dir.path() / "response.bin";
  ProcessResult r =
      run_process({"curl", "-s", "-S", "--http2-prior-knowledge", "--data-binary",
                   "@" + file.string(), "-o", out.string(), "-w", "%{http_code}", base() + "/echo"},
                  seconds(30));
  EXPECT_EQ(r.out, "200") << r.err;
  std::ifstream in(out, std::ios::binary);
  std::string echoed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(echoed.size(), message.size());
  EXPECT_TRUE(echoed == message);
}

TEST_F(ProxyH2UpstreamTest, LargeStreamedResponseAndConcurrentCalls) {
  ASSERT_TRUE(start());
  ProcessResult big = run_process({"curl", "-s", "-S", "--http2-prior-knowledge", "-o", "/dev/null",
                                   "-w", "%{http_code} %{size_download}", base() + "/stream.bin"},
                                  seconds(30));
  EXPECT_EQ(big.out, "200 2097152") << big.err;
  ProcessResult load = run_process(
      {"h2load", "-n", "1000", "-c", "2", "-m", "16", base() + "/index.html"}, seconds(60));
  EXPECT_NE(load.out.find("1000 succeeded, 0 failed"), std::string::npos) << load.out;
}

TEST_F(ProxyH2UpstreamTest, StreamsAreCountedAsUpstreamRequests) {
  ASSERT_TRUE(start());
  ProcessResult load = run_process(
      {"h2load", "-n", "20", "-c", "2", "-m", "4", base() + "/index.html"}, seconds(60));
  ASSERT_NE(load.out.find("20 succeeded, 0 failed"), std::string::npos) << load.out;
  EXPECT_EQ(run_curl({base() + "/index.html"}).status, 200);  // and one over HTTP/1.1
  const std::string metrics = run_curl({proxy_url(proxy_.admin_port(), "/metrics")}).body;
  // One request per stream (not per connection), each with its response time.
  EXPECT_NE(metrics.find("portcullis_upstream_requests_total{upstream=\"grpc\"} 21\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("portcullis_upstream_response_seconds_count{upstream=\"grpc\"} 21\n"),
            std::string::npos);
  EXPECT_EQ(metrics.find("portcullis_upstream_errors_total{upstream=\"grpc\",kind=\"reset\"} 0"),
            metrics.find("portcullis_upstream_errors_total{upstream=\"grpc\",kind=\"reset\"}"));
  // So the dashboard sees the upstream answering.
  nlohmann::json summary =
      nlohmann::json::parse(run_curl({proxy_url(proxy_.admin_port(), "/api/summary")}).body);
  ASSERT_EQ(summary["upstreams"].size(), 1u);
  EXPECT_EQ(summary["upstreams"][0]["health"], "healthy") << summary["upstreams"];
  EXPECT_EQ(summary["upstreams"][0]["requests"], 21) << summary["upstreams"];
  EXPECT_TRUE(summary["upstreams"][0]["p99_ms"].is_number());
}

TEST_F(ProxyH2UpstreamTest, Http1ClientsReachTheH2UpstreamWithTrailers) {
  ASSERT_TRUE(start());
  CurlResult r = run_curl({base() + "/index.html"});
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.body, "hello from nghttpd\n");
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.send(request_head("GET", "/index.html", "test.local", "TE: trailers\r\n")));
  std::optional<HttpResponse> response = client.read_response();
  ASSERT_TRUE(response.has_value()) << client.error();
  EXPECT_TRUE(response->chunked);
  EXPECT_EQ(find_header(response->trailers, "grpc-status"), "0") << *response;
  // The connection stays usable.
  ASSERT_TRUE(
      client.send(request_head("POST", "/echo", "test.local", "Content-Length: 5\r\n") + "hello"));
  std::optional<HttpResponse> echoed = client.read_response("POST");
  ASSERT_TRUE(echoed.has_value()) << client.error();
  EXPECT_EQ(echoed->body, "hello");
}

TEST_F(ProxyH2UpstreamTest, QuickStartH2cUpstream) {  // see ProxyTlsUpstreamTest for h2://
  ASSERT_TRUE(origin_.ready());
  ASSERT_TRUE(proxy_.start({"--listen", "127.0.0.1:0", "--workers", "1", "--upstream",
                            "h2c://127.0.0.1:" + std::to_string(origin_.port())}));
  EXPECT_EQ(run_curl({base() + "/index.html"}).body, "hello from nghttpd\n");
}

TEST(ProxyH2UpstreamDownTest, UnreachableH2UpstreamIs502) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.start_with_config(
      "listen: [127.0.0.1:0]\nworkers: 1\nupstreams: [{name: g, protocol: h2c, endpoints: "
      "[127.0.0.1:1]}]\nroutes: [{upstream: g}]\n"));
  std::string url = "http://127.0.0.1:" + std::to_string(proxy.port()) + "/x";
  EXPECT_EQ(run_curl({url}).status, 502);
  ProcessResult h2 = run_process(
      {"curl", "-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_code}", url},
      seconds(20));
  EXPECT_EQ(h2.out, "502");
  // Counted as connect errors of the upstream, and no request reached it.
  const std::string metrics = run_curl({proxy_url(proxy.admin_port(), "/metrics")}).body;
  EXPECT_NE(metrics.find("portcullis_upstream_errors_total{upstream=\"g\",kind=\"connect\"} 2\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("portcullis_upstream_requests_total{upstream=\"g\"} 0\n"),
            std::string::npos);
}

}  // namespace
}  // namespace portcullis::testing
