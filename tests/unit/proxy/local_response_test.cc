#include "proxy/local_response.h"

#include <gtest/gtest.h>

namespace portcullis::proxy {
namespace {

std::string make(LocalResponse r) {
  std::string out;
  append_local_response(r, out);
  return out;
}

std::string body_of(const std::string& response) {
  return response.substr(response.find("\r\n\r\n") + 4);
}

TEST(LocalResponseTest, TextByDefaultWithLengthAndRequestId) {
  std::string out = make({.status = 403, .detail = "host not allowed", .request_id = "abc"});
  EXPECT_EQ(out.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u);
  EXPECT_NE(out.find("content-type: text/plain"), std::string::npos);
  EXPECT_NE(out.find("x-request-id: abc\r\n"), std::string::npos);
  std::string body = body_of(out);
  EXPECT_NE(out.find("content-length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(body.find("host not allowed"), std::string::npos);
  EXPECT_NE(body.find("abc"), std::string::npos);
}

TEST(LocalResponseTest, JsonWhenAccepted) {
  std::string out = make(
      {.status = 400, .detail = "bad \"x\"", .request_id = "id1", .accept = "application/json"});
  EXPECT_NE(out.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(body_of(out),
            "{\"status\":400,\"error\":\"Bad Request\",\"detail\":\"bad &quot;x&quot;\","
            "\"request_id\":\"id1\"}\n");
}

TEST(LocalResponseTest, HtmlWhenAcceptedEscapesDetail) {
  std::string out = make({.status = 404, .detail = "<script>", .accept = "text/html,*/*"});
  EXPECT_NE(out.find("text/html"), std::string::npos);
  EXPECT_EQ(out.find("<script>"), std::string::npos);
  EXPECT_NE(out.find("&lt;script&gt;"), std::string::npos);
}

TEST(LocalResponseTest, AllowRetryAfterCloseAndHead) {
  std::string out = make({.status = 405, .allow = "GET, HEAD", .close = true, .head = true});
  EXPECT_NE(out.find("allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_NE(out.find("connection: close\r\n"), std::string::npos);
  EXPECT_EQ(body_of(out), "");
  EXPECT_NE(out.find("content-length: "), std::string::npos);
  std::string limited = make({.status = 429, .retry_after_s = 7});
  EXPECT_NE(limited.find("retry-after: 7\r\n"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::proxy
