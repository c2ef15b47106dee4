#include "proxy/http1/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::http1 {
namespace {

struct Parsed {
  ParseState state;
  ParseError error;
  RequestHead head;
};

class RequestParserTest : public ::testing::Test {
 protected:
  // The views in the result point into the fixture's copy of `text`, valid until the next call.
  Parsed parse(const std::string& text, Limits limits = {}) {
    input_ = text;
    Parsed p{};
    p.state = parse_request(input_, limits, fields_, p.head, p.error);
    return p;
  }
  std::string input_;
  std::vector<HeaderField> fields_ = std::vector<HeaderField>(100);
};

TEST_F(RequestParserTest, ParsesOriginFormGet) {
  std::string text = "GET /a/b?x=1&y=2 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\r\n";
  Parsed p = parse(text);
  ASSERT_EQ(p.state, ParseState::kComplete) << p.error.reason;
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(p.head.target, "/a/b?x=1&y=2");
  EXPECT_EQ(p.head.path, "/a/b");
  EXPECT_EQ(p.head.query, "x=1&y=2");
  EXPECT_EQ(p.head.authority, "example.com:8080");
  EXPECT_EQ(p.head.host, "example.com");
  EXPECT_EQ(p.head.version_minor, 1);
  ASSERT_EQ(p.head.headers.size(), 2u);
  EXPECT_EQ(p.head.headers[1].name, "Accept");
  EXPECT_EQ(p.head.headers[1].value, "*/*");
  EXPECT_EQ(p.head.head_bytes, text.size());
  EXPECT_EQ(p.head.body, BodyKind::kNone);
  EXPECT_TRUE(p.head.keep_alive);
}

TEST_F(RequestParserTest, TrimsOptionalWhitespaceAroundValues) {
  Parsed p = parse("GET / HTTP/1.1\r\nHost:  h \t\r\nX-A:\tv w \r\n\r\n");
  ASSERT_EQ(p.state, ParseState::kComplete);
  EXPECT_EQ(p.head.headers[0].value, "h");
  EXPECT_EQ(p.head.headers[1].value, "v w");
}

TEST_F(RequestParserTest, IncompleteUntilTheEmptyLine) {
  std::string text = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
  for (std::size_t n = 0; n < text.size() - 3; ++n) {
    EXPECT_EQ(parse(text.substr(0, n)).state, ParseState::kIncomplete) << n;
  }
  Parsed p = parse(text);
  ASSERT_EQ(p.state, ParseState::kComplete);
  EXPECT_EQ(p.head.head_bytes, text.size() - 3);
  EXPECT_EQ(p.head.body, BodyKind::kContentLength);
  EXPECT_EQ(p.head.content_length, 3u);
}

TEST_F(RequestParserTest, ChunkedBody) {
  Parsed p = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n");
  ASSERT_EQ(p.state, ParseState::kComplete);
  EXPECT_EQ(p.head.body, BodyKind::kChunked);
}

TEST_F(RequestParserTest, ConnectionSemantics) {
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").head.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").head.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").head.keep_alive);
  Parsed up = parse(
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
      "Upgrade: websocket\r\n\r\n");
  EXPECT_TRUE(up.head.upgrade);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").head.upgrade);
  EXPECT_TRUE(
      parse("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
          .head.expect_continue);
}

TEST_F(RequestParserTest, AbsoluteFormTakesTheAuthorityFromTheTarget) {
  Parsed p = parse("GET http://api.example.com:81/v1/x?q HTTP/1.1\r\nHost: other\r\n\r\n");
  ASSERT_EQ(p.state, ParseState::kComplete) << p.error.reason;
  EXPECT_TRUE(p.head.absolute_form);
  EXPECT_EQ(p.head.authority, "api.example.com:81");
  EXPECT_EQ(p.head.host, "api.example.com");
  EXPECT_EQ(p.head.path, "/v1/x");
  EXPECT_EQ(p.head.query, "q");
}

TEST_F(RequestParserTest, AsteriskFormOnlyForOptions) {
  EXPECT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").state, ParseState::kComplete);
  EXPECT_EQ(parse("GET * HTTP/1.1\r\nHost: h\r\n\r\n").error.status, 400);
}

TEST_F(RequestParserTest, SkipsLeadingEmptyLines) {
  Parsed p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.state, ParseState::kComplete);
  EXPECT_EQ(p.head.method, "GET");
}

struct Refusal {
  const char* name;
  std::string text;
  std::uint16_t status;
};

class RequestRefusalTest : public RequestParserTest,
                           public ::testing::WithParamInterface<Refusal> {};

TEST_P(RequestRefusalTest, IsRefusedWithStatus) {
  Parsed p = parse(GetParam().text);
  ASSERT_EQ(p.state, ParseState::kError);
  EXPECT_EQ(p.error.status, GetParam().status) << p.error.reason;
  EXPECT_FALSE(p.error.reason.empty());
}

const std::string kH = "Host: h\r\n";

INSTANTIATE_TEST_SUITE_P(
    Smuggling, RequestRefusalTest,
    ::testing::Values(
        Refusal{
            "ClAndTe",
            "POST / HTTP/1.1\r\n" + kH + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
            400},
        Refusal{
            "TeAndCl",
            "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
            400},
        Refusal{"TwoClSame",
                "POST / HTTP/1.1\r\n" + kH + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400},
        Refusal{"TwoClDifferent",
                "POST / HTTP/1.1\r\n" + kH + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
        Refusal{"ClList", "POST / HTTP/1.1\r\n" + kH + "Content-Length: 5, 5\r\n\r\n", 400},
        Refusal{"ClSign", "POST / HTTP/1.1\r\n" + kH + "Content-Length: +5\r\n\r\n", 400},
        Refusal{"ClNegative", "POST / HTTP/1.1\r\n" + kH + "Content-Length: -1\r\n\r\n", 400},
        Refusal{"ClHex", "POST / HTTP/1.1\r\n" + kH + "Content-Length: 0x5\r\n\r\n", 400},
        Refusal{"ClEmpty", "POST / HTTP/1.1\r\n" + kH + "Content-Length: \r\n\r\n", 400},
        Refusal{"ClOverflow",
                "POST / HTTP/1.1\r\n" + kH + "Content-Length: 99999999999999999999999\r\n\r\n",
                400},
        Refusal{"TeGzipChunked",
                "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: gzip, chunked\r\n\r\n", 400},
        Refusal{"TeXchunked", "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: xchunked\r\n\r\n",
                400},
        Refusal{"TeChunkedTwice",
                "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
        Refusal{"TeQuoted", "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding: \"chunked\"\r\n\r\n",
                400},
        Refusal{"TeTwoHeaders",
                "POST / HTTP/1.1\r\n" + kH +
                    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                400},
        Refusal{"TeSpaceBeforeColon",
                "POST / HTTP/1.1\r\n" + kH + "Transfer-Encoding : chunked\r\n\r\n", 400},
        Refusal{"TeInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        Refusal{"ObsFold", "GET / HTTP/1.1\r\n" + kH + "X-A: one\r\n two\r\n\r\n", 400},
        Refusal{"ObsFoldTab", "GET / HTTP/1.1\r\n" + kH + "X-A: one\r\n\ttwo\r\n\r\n", 400},
        Refusal{"NulInValue", "GET / HTTP/1.1\r\n" + kH + std::string("X-A: a\0b\r\n\r\n", 12),
                400},
        Refusal{"BareCrInValue", "GET / HTTP/1.1\r\n" + kH + "X-A: a\rb\r\n\r\n", 400},
        Refusal{"BareLf", "GET / HTTP/1.1\n" + kH + "\r\n", 400},
        Refusal{"BareLfHeaders", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
        Refusal{"NoHost", "GET / HTTP/1.1\r\n\r\n", 400},
        Refusal{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        Refusal{"BadHost", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        Refusal{"HostWithPath", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        Refusal{"BadHeaderName", "GET / HTTP/1.1\r\n" + kH + "X(A): b\r\n\r\n", 400},
        Refusal{"EmptyHeaderName", "GET / HTTP/1.1\r\n" + kH + ": b\r\n\r\n", 400},
        Refusal{"NoColon", "GET / HTTP/1.1\r\n" + kH + "Xyz\r\n\r\n", 400},
        Refusal{"SpaceInTarget", "GET /a b HTTP/1.1\r\n" + kH + "\r\n", 400},
        Refusal{"FragmentInTarget", "GET /a#b HTTP/1.1\r\n" + kH + "\r\n", 400},
        Refusal{"RelativeTarget", "GET a/b HTTP/1.1\r\n" + kH + "\r\n", 400},
        Refusal{"DoubleSpace", "GET  / HTTP/1.1\r\n" + kH + "\r\n", 400},
        Refusal{"LowercaseVersion", "GET / http/1.1\r\n" + kH + "\r\n", 400},
        Refusal{"Http2Version", "GET / HTTP/2.0\r\n" + kH + "\r\n", 505},
        Refusal{"Http09Version", "GET / HTTP/0.9\r\n" + kH + "\r\n", 505},
        Refusal{"UnknownExpectation", "GET / HTTP/1.1\r\n" + kH + "Expect: 200-ok\r\n\r\n", 417}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(RequestParserTest, RawUtf8InTheTargetIsAcceptedAsNginxDoes) {
  Parsed p = parse("GET /caf\xc3\xa9?q=\xe2\x91\xa0 HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.state, ParseState::kComplete) << p.error.reason;
  EXPECT_EQ(p.head.path, "/caf\xc3\xa9");
  EXPECT_EQ(p.head.query, "q=\xe2\x91\xa0");
}

TEST_F(RequestParserTest, HeaderSectionOverTheLimitIs431) {
  Limits limits;
  limits.header_bytes = 1024;
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  Parsed p = parse(text, limits);
  EXPECT_EQ(p.error.status, 431);
  // Also before the head is complete: a client must not make the proxy buffer without bound.
  EXPECT_EQ(parse(text.substr(0, 1500), limits).error.status, 431);
}

TEST_F(RequestParserTest, TooManyHeadersIs431) {
  Limits limits;
  limits.header_count = 3;
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  EXPECT_EQ(parse(text, limits).error.status, 431);
}

TEST_F(RequestParserTest, LongTargetIs414) {
  Limits limits;
  limits.uri_bytes = 100;
  EXPECT_EQ(
      parse("GET /" + std::string(200, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits).error.status,
      414);
  EXPECT_EQ(parse("GET /" + std::string(200, 'a'), limits).error.status, 414);
}

TEST(HeadScannerTest, ResumesWhereItStopped) {
  std::string text = "GET / HTTP/1.1\r\nHost: h\r\n\r\nrest";
  HeadScanner scanner;
  ParseError error;
  for (std::size_t n = 1; n < text.size() - 4; ++n) {
    ASSERT_EQ(scanner.scan(std::string_view(text).substr(0, n), 1024, 1024, error),
              ParseState::kIncomplete)
        << n;
  }
  ASSERT_EQ(scanner.scan(text, 1024, 1024, error), ParseState::kComplete);
  EXPECT_EQ(scanner.head_end(), text.size() - 4);
}

class ResponseParserTest : public ::testing::Test {
 protected:
  ParseState parse(const std::string& text, std::string_view method = "GET") {
    input_ = text;
    return parse_response(input_, method, 64 * 1024, fields_, head_, error_);
  }
  std::string input_;
  std::vector<HeaderField> fields_ = std::vector<HeaderField>(64);
  ResponseHead head_;
  ParseError error_;
};

TEST_F(ResponseParserTest, ContentLengthBody) {
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"), ParseState::kComplete);
  EXPECT_EQ(head_.status, 200);
  EXPECT_EQ(head_.reason, "OK");
  EXPECT_EQ(head_.body, BodyKind::kContentLength);
  EXPECT_EQ(head_.content_length, 5u);
  EXPECT_TRUE(head_.keep_alive);
}

TEST_F(ResponseParserTest, BodyKinds) {
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), ParseState::kComplete);
  EXPECT_EQ(head_.body, BodyKind::kChunked);
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\n\r\n"), ParseState::kComplete);
  EXPECT_EQ(head_.body, BodyKind::kUntilClose);
  EXPECT_FALSE(head_.keep_alive);
  ASSERT_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD"), ParseState::kComplete);
  EXPECT_EQ(head_.body, BodyKind::kNone);
  ASSERT_EQ(parse("HTTP/1.1 204 No Content\r\n\r\n"), ParseState::kComplete);
  EXPECT_EQ(head_.body, BodyKind::kNone);
  ASSERT_EQ(parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"),
            ParseState::kComplete);
  EXPECT_EQ(head_.body, BodyKind::kNone);
  ASSERT_EQ(parse("HTTP/1.1 100 Continue\r\n\r\n"), ParseState::kComplete);
  EXPECT_EQ(head_.status, 100);
  ASSERT_EQ(parse("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n"), ParseState::kComplete);
  EXPECT_EQ(head_.reason, "");
}

TEST_F(ResponseParserTest, RefusesAmbiguousOrMalformedResponsesWith502) {
  for (const char* text :
       {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 20 OK\r\n\r\n", "HTTP/2 200 OK\r\n\r\n", "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n"}) {
    EXPECT_EQ(parse(text), ParseState::kError) << text;
    EXPECT_EQ(error_.status, 502) << text;
  }
}

TEST(HopByHopTest, StandardAndConnectionNamedHeaders) {
  std::vector<HeaderField> headers = {{"Connection", "close, X-Secret"}, {"X-Secret", "1"}};
  EXPECT_TRUE(is_hop_by_hop("Keep-Alive", headers));
  EXPECT_TRUE(is_hop_by_hop("te", headers));
  EXPECT_TRUE(is_hop_by_hop("Proxy-Connection", headers));
  EXPECT_TRUE(is_hop_by_hop("x-secret", headers));
  EXPECT_FALSE(is_hop_by_hop("Content-Type", headers));
}

TEST(HasTokenTest, CommaListsCaseInsensitive) {
  EXPECT_TRUE(has_token("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(has_token(" close ", "close"));
  EXPECT_FALSE(has_token("closed", "close"));
  EXPECT_FALSE(has_token("", "close"));
}

}  // namespace
}  // namespace portcullis::http1
