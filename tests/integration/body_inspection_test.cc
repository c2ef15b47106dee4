// The body hook of the pipeline, end to end: the real proxy (in process, so that the test can
// plug in a stage of its own), a real origin and real sockets. The stage wants the body and
// refuses any body that contains "EVIL"; the tests check what it saw and what the upstream got.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>

#include "config/loader.h"
#include "core/pipeline.h"
#include "proxy/server.h"
#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

class MarkerStage final : public Stage {
 public:
  std::string_view name() const noexcept override { return "marker"; }
  Verdict on_headers(Exchange&) const noexcept override { return Verdict::pass(); }
  bool wants_body() const noexcept override { return true; }
  Verdict on_body(Exchange& ex) const noexcept override {
    calls.fetch_add(1);
    seen_bytes.store(ex.body.size());
    seen_complete.store(ex.body_complete);
    std::string_view body(ex.body.data(), ex.body.size());
    if (body.find("EVIL") != std::string_view::npos) {
      return Verdict::block(403, name(), "marker found in body");
    }
    return Verdict::pass();
  }
  mutable std::atomic<int> calls{0};
  mutable std::atomic<std::size_t> seen_bytes{0};
  mutable std::atomic<bool> seen_complete{false};
};

class BodyInspectionTest : public ::testing::Test {
 protected:
  // Starts the proxy with one route whose pipeline is the marker stage.
  void start(BodyInspection inspection, Mode mode = Mode::kBlock) {
    std::string yaml =
        "listen: [127.0.0.1:0]\nworkers: 1\nadmin: {address: off}\nlimits: {body_bytes: 1MiB}\n"
        "upstreams: [{name: app, endpoints: [" +
        upstream_.endpoint() + "]}]\nroutes: [{upstream: app}]\n";
    auto loaded = config::load_string(yaml, "test.yaml");
    ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
    auto snap = std::make_shared<config::Snapshot>(**loaded);
    auto stage = std::make_unique<MarkerStage>();
    stage_ = stage.get();
    std::vector<std::unique_ptr<Stage>> stages;
    stages.push_back(std::move(stage));
    snap->routes[0].pipeline =
        std::make_shared<const Pipeline>("inspect", mode, std::move(stages), inspection);
    server_ = std::make_unique<proxy::Server>(snap, proxy::ConfigSource{});
    server_->start();
    port_ = server_->ports().at(0);
  }

  std::optional<HttpResponse> send(const std::string& request) {
    RawClient client(port_);
    if (!client.connected() || !client.send(request)) return std::nullopt;
    return client.read_final_response("POST");
  }

  static std::string post_cl(const std::string& body, std::string_view extra = {}) {
    return request_head(
               "POST", "/echo", "test.local",
               "Content-Length: " + std::to_string(body.size()) + "\r\n" + std::string(extra)) +
           body;
  }
  static std::string post_chunked(const std::string& body) {
    std::string out = request_head("POST", "/echo", "test.local", "Transfer-Encoding: chunked\r\n");
    for (std::size_t i = 0; i < body.size(); i += 1000) {
      std::string piece = body.substr(i, 1000);
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
      out += size + piece + "\r\n";
    }
    return out + "0\r\n\r\n";
  }

  TestUpstream upstream_;
  std::unique_ptr<proxy::Server> server_;
  MarkerStage* stage_ = nullptr;
  std::uint16_t port_ = 0;
};

TEST_F(BodyInspectionTest, CleanBodyIsInspectedWholeAndForwardedIntact) {
  start({.limit = 64 * 1024, .reject_over_limit = true});
  std::string body = test_payload(20000);
  auto response = send(post_cl(body));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(stage_->calls, 1);
  EXPECT_EQ(stage_->seen_bytes, body.size());
  EXPECT_TRUE(stage_->seen_complete);
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].body, body);
}

TEST_F(BodyInspectionTest, MarkedBodyIsRefusedAndNeverForwarded) {
  start({.limit = 64 * 1024, .reject_over_limit = true});
  auto response = send(post_cl("data=1&x=EVIL&y=2"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 403) << *response;
  EXPECT_TRUE(response->header("x-request-id").has_value());
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(BodyInspectionTest, ChunkedBodyIsInspectedAndForwardedIntact) {
  start({.limit = 64 * 1024, .reject_over_limit = true});
  std::string body = test_payload(5500, 7);
  auto response = send(post_chunked(body));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  EXPECT_EQ(stage_->seen_bytes, body.size());
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].body, body);
  EXPECT_TRUE(upstream_.requests()[0].chunked);

  auto refused = send(post_chunked(std::string(3000, 'a') + "EVIL"));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403) << *refused;
  EXPECT_EQ(upstream_.head_count(), 1u);
}

TEST_F(BodyInspectionTest, BodyOverTheInspectionLimitIsRefusedWith413) {
  start({.limit = 1024, .reject_over_limit = true});
  auto by_length = send(post_cl(std::string(4096, 'a')));
  ASSERT_TRUE(by_length.has_value());
  EXPECT_EQ(by_length->status, 413) << *by_length;
  auto chunked = send(post_chunked(std::string(4096, 'a')));
  ASSERT_TRUE(chunked.has_value());
  EXPECT_EQ(chunked->status, 413) << *chunked;
  EXPECT_EQ(upstream_.head_count(), 0u);
}

TEST_F(BodyInspectionTest, InspectPrefixSeesTheLimitAndStreamsTheRest) {
  start({.limit = 1024, .reject_over_limit = false});
  std::string body = test_payload(300000, 3);
  for (const std::string& request : {post_cl(body), post_chunked(body)}) {
    auto response = send(request);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200) << *response;
    EXPECT_EQ(stage_->seen_bytes, 1024u);
    EXPECT_FALSE(stage_->seen_complete);
  }
  ASSERT_TRUE(upstream_.wait_for_requests(2, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].body, body);
  EXPECT_EQ(upstream_.requests()[1].body, body);
}

TEST_F(BodyInspectionTest, MarkerPastTheInspectedPrefixIsNotSeen) {
  start({.limit = 1024, .reject_over_limit = false});
  auto response = send(post_cl(std::string(2048, 'a') + "EVIL"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
}

TEST_F(BodyInspectionTest, ExpectContinueGetsInterimResponseThenBodyIsInspected) {
  start({.limit = 64 * 1024, .reject_over_limit = true});
  RawClient client(port_);
  ASSERT_TRUE(client.send(request_head("POST", "/echo", "test.local",
                                       "Content-Length: 9\r\nExpect: 100-continue\r\n")));
  auto interim = client.read_response("POST");
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("some EVIL"));
  auto final_response = client.read_response("POST");
  ASSERT_TRUE(final_response.has_value());
  EXPECT_EQ(final_response->status, 403) << *final_response;
}

TEST_F(BodyInspectionTest, KeepAliveSurvivesAnInspectedBody) {
  start({.limit = 64 * 1024, .reject_over_limit = true});
  RawClient client(port_);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(post_cl("hello " + std::to_string(i))));
    auto response = client.read_response("POST");
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello " + std::to_string(i));
  }
  // A refusal after the whole body was read keeps the connection too.
  ASSERT_TRUE(client.send(post_cl("EVIL")));
  auto refused = client.read_response("POST");
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 403);
  ASSERT_TRUE(client.send(post_cl("after")));
  auto after = client.read_response("POST");
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
}

TEST_F(BodyInspectionTest, DetectModeForwardsMarkedBody) {
  start({.limit = 64 * 1024, .reject_over_limit = true}, Mode::kDetect);
  auto response = send(post_cl("EVIL"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200) << *response;
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].body, "EVIL");
}

}  // namespace
}  // namespace portcullis::testing
