// Fuzz target: the bots stage (bots/bot_stage.h) on request heads the input makes up, with every
// class challenged so that the pass cookie parser runs, and the pass parser on the raw input.
// Besides memory safety it checks what the headers promise: a class and a 0..100 score on every
// exchange, a 20-character header fingerprint, a verdict of the bots stage when it refuses, and
// no pass accepted unless the input solved a puzzle signed with the secret (it cannot, here: the
// secret is not in the input's reach except by forging an HMAC).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "bots/bot_stage.h"
#include "bots/challenge.h"

using namespace portcullis;
using namespace portcullis::bots;

namespace {

std::uint64_t fixed_wall() { return 1'800'000'000; }
std::uint32_t fixed_steady() { return 1000; }

const BotStage& stage() {
  static const BotStage* s = [] {
    BotStageConfig c;
    c.classifier.scanner_agents = {"sqlmap", "nikto"};
    c.classifier.crawler_agents = {"ahrefsbot"};
    c.classifier.deny_fingerprints = {"t13d0000h2_bad"};
    VerifiedCrawler google;
    google.name = "googlebot";
    google.user_agents = {"Googlebot"};
    google.ranges = {Cidr::parse("66.249.64.0/19").value()};
    c.classifier.crawlers.push_back(google);
    c.actions = {BotAction::kChallenge, BotAction::kChallenge, BotAction::kTag,
                 BotAction::kChallenge};
    ChallengeConfig cc;
    cc.secrets = {"fuzz-secret-0123456789abcdef"};
    cc.difficulty = 8;
    c.challenge = cc;
    c.forward_headers = true;
    c.reputation = std::make_shared<Reputation>(64, 10);
    c.wall_seconds = &fixed_wall;
    c.steady_seconds = &fixed_steady;
    return new BotStage(c);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  // "name: value" lines; the first line is the method, the second the client address.
  std::vector<HeaderField> headers;
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= input.size() && lines.size() < 64) {
    std::size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    lines.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  Exchange ex;
  ex.method = lines.size() > 0 ? lines[0] : std::string_view("GET");
  ex.client_ip = lines.size() > 1 ? lines[1] : std::string_view();
  for (std::size_t i = 2; i < lines.size(); ++i) {
    std::size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = lines[i].substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({lines[i].substr(0, colon), value});
  }
  ex.headers = headers;
  ex.tls = size % 2 == 0;
  ex.ja4 = ex.tls ? "t13d1516h2_8daaf6152771_e5627efa2ab1" : "";
  ex.protocol = size % 3 == 0 ? Protocol::kHttp2 : Protocol::kHttp11;
  if (ex.protocol == Protocol::kHttp2) ex.h2_fingerprint = "1:65536|15663105|0|m,a,s,p";

  Verdict v = stage().on_headers(ex);
  if (ex.bot_class.empty() || ex.bot_score < 0 || ex.bot_score > 100) std::abort();
  if (ex.header_fingerprint.size() != 20) std::abort();
  if (ex.upstream_headers.size() != 5) std::abort();
  if (!v.is_continue() && v.stage != "bots") std::abort();
  ex.sent_status = v.is_continue() ? 200 : v.status;
  stage().on_complete(ex);

  static const Challenge challenge(*stage().config().challenge);
  if (challenge.check_pass(input, "192.0.2.1", "t13|ua", fixed_wall()) == PassStatus::kValid) {
    std::abort();
  }
  return 0;
}
