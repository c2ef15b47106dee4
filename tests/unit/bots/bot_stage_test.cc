// The bots stage: annotations on the exchange, forwarded headers, and each class action.
#include "bots/bot_stage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::bots {
namespace {

std::uint64_t fixed_wall() { return 1'800'000'000; }
std::uint32_t fixed_steady() { return 1000; }

BotStageConfig base_config() {
  BotStageConfig c;
  c.classifier.scanner_agents = {"sqlmap"};
  c.forward_headers = true;
  c.wall_seconds = &fixed_wall;
  c.steady_seconds = &fixed_steady;
  return c;
}

struct Request {
  std::vector<HeaderField> headers;
  Exchange ex;
  explicit Request(std::initializer_list<HeaderField> h, std::string_view method = "GET")
      : headers(std::move(h)) {
    ex.method = method;
    ex.headers = headers;
    ex.client_ip = "192.0.2.10";
    ex.tls = true;
    ex.ja4 = "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6";
    ex.ja3_hash = "78f0dc5ac5b19daf131a133cfdee9691";
  }
};

std::string_view forwarded(const Exchange& ex, std::string_view name) {
  for (const HeaderField& f : ex.upstream_headers) {
    if (f.name == name) return f.value;
  }
  return "<absent>";
}

TEST(BotStageTest, AnnotatesTheExchangeAndForwardsFingerprints) {
  BotStage stage(base_config());
  Request r({{"host", "a"}, {"user-agent", "curl/8.0"}, {"accept", "*/*"}});
  EXPECT_TRUE(stage.on_headers(r.ex).is_continue());
  EXPECT_EQ(r.ex.bot_class, "automation");
  EXPECT_EQ(r.ex.bot_score, 60);
  EXPECT_EQ(r.ex.bot_signals, "library_user_agent");
  EXPECT_EQ(r.ex.header_fingerprint.size(), 20u);
  EXPECT_EQ(forwarded(r.ex, "x-portcullis-bot"), "automation:60");
  EXPECT_EQ(forwarded(r.ex, "x-portcullis-ja4"), r.ex.ja4);
  EXPECT_EQ(forwarded(r.ex, "x-portcullis-ja3"), r.ex.ja3_hash);
  EXPECT_EQ(forwarded(r.ex, "x-portcullis-hfp"), r.ex.header_fingerprint);
  // Over HTTP/1.1 there is no HTTP/2 fingerprint: the field is listed empty, so the session
  // drops a client's own x-portcullis-h2fp and adds nothing.
  EXPECT_EQ(forwarded(r.ex, "x-portcullis-h2fp"), "");
  EXPECT_TRUE(r.ex.findings.empty());
}

TEST(BotStageTest, WithoutForwardingNothingIsAdded) {
  BotStageConfig config = base_config();
  config.forward_headers = false;
  BotStage stage(config);
  Request r({{"user-agent", "curl/8.0"}});
  stage.on_headers(r.ex);
  EXPECT_TRUE(r.ex.upstream_headers.empty());
}

TEST(BotStageTest, MaliciousIsBlockedByDefaultAndTagAddsAFinding) {
  BotStageConfig config = base_config();
  config.actions[static_cast<std::size_t>(BotClass::kAutomation)] = BotAction::kTag;
  BotStage stage(config);
  Request scanner({{"user-agent", "sqlmap/1.7"}});
  Verdict v = stage.on_headers(scanner.ex);
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.stage, "bots");
  EXPECT_EQ(v.rule, "scanner_user_agent");
  EXPECT_NE(v.reason.find("malicious"), std::string_view::npos);

  Request tool({{"user-agent", "curl/8.0"}});
  EXPECT_TRUE(stage.on_headers(tool.ex).is_continue());
  ASSERT_EQ(tool.ex.findings.size(), 1u);
  EXPECT_EQ(tool.ex.findings[0].stage, "bots");
  EXPECT_EQ(tool.ex.findings[0].rule, "library_user_agent");
  EXPECT_EQ(tool.ex.findings[0].data, "library_user_agent");
}

TEST(BotStageTest, ChallengeServesThePageToBrowsersAndRefusesOthers) {
  BotStageConfig config = base_config();
  config.actions[static_cast<std::size_t>(BotClass::kAutomation)] = BotAction::kChallenge;
  ChallengeConfig cc;
  cc.secrets = {"a-secret-of-enough-length"};
  cc.difficulty = 8;
  config.challenge = cc;
  BotStage stage(config);

  const std::string ua = "curl/8.0";
  Request page({{"user-agent", ua}, {"accept", "text/html,*/*"}});
  Verdict v = stage.on_headers(page.ex);
  EXPECT_EQ(v.action, Action::kChallenge);
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(v.content_type, "text/html; charset=utf-8");
  EXPECT_NE(v.body.find("data-puzzle=\"v1."), std::string_view::npos);

  Request api({{"user-agent", ua}, {"accept", "application/json"}});
  Verdict refused = stage.on_headers(api.ex);
  EXPECT_EQ(refused.action, Action::kBlock);
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.rule, "challenge");

  Request post({{"user-agent", ua}, {"accept", "text/html"}}, "POST");
  EXPECT_EQ(stage.on_headers(post.ex).action, Action::kBlock);

  // Solve the puzzle of the page as its script would, and come back with the pass.
  Challenge challenge(cc);
  const std::string binding = std::string(page.ex.ja4) + "|" + ua;
  std::string puzzle = challenge.puzzle("192.0.2.10", binding, fixed_wall());
  std::string pass = puzzle + "." + std::to_string(Challenge::solve(puzzle, 8));
  std::string cookie = "portcullis_pass=" + pass;
  Request back({{"user-agent", ua}, {"accept", "application/json"}, {"cookie", cookie}});
  EXPECT_TRUE(stage.on_headers(back.ex).is_continue());

  // The same pass from another address is refused.
  Request moved({{"user-agent", ua}, {"accept", "application/json"}, {"cookie", cookie}});
  moved.ex.client_ip = "192.0.2.11";
  Verdict v2 = stage.on_headers(moved.ex);
  EXPECT_EQ(v2.action, Action::kBlock);
  EXPECT_NE(v2.reason.find("challenge pass invalid"), std::string_view::npos) << v2.reason;
}

TEST(BotStageTest, ErrorsFeedTheReputationOfTheFingerprint) {
  BotStageConfig config = base_config();
  config.reputation = std::make_shared<Reputation>(1024, 10);
  config.classifier.min_requests = 10;
  BotStage stage(config);
  auto send = [&](std::uint16_t status) {
    Request r({{"user-agent", "Mozilla/5.0 (X11; Linux x86_64)"}, {"accept", "*/*"}});
    stage.on_headers(r.ex);
    r.ex.sent_status = status;
    stage.on_complete(r.ex);
    return std::string(r.ex.bot_signals);
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(send(200), "");
  for (int i = 0; i < 20; ++i) send(404);
  EXPECT_EQ(send(404), "fingerprint_error_rate");
}

}  // namespace
}  // namespace portcullis::bots
