// The proof-of-work challenge and its pass: what passes, and every way a pass fails.
#include "bots/challenge.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>

namespace portcullis::bots {
namespace {

constexpr std::string_view kIp = "203.0.113.7";
constexpr std::string_view kBinding = "t13d1516h2_8daaf6152771_e5627efa2ab1|Mozilla/5.0";
constexpr std::uint64_t kNow = 1'800'000'000;

ChallengeConfig config(std::vector<std::string> secrets = {"first-secret-0123456789"}) {
  ChallengeConfig c;
  c.secrets = std::move(secrets);
  c.difficulty = 12;
  c.ttl_s = 600;
  return c;
}

std::string solved(const Challenge& c, std::uint64_t now = kNow) {
  std::string puzzle = c.puzzle(kIp, kBinding, now);
  std::int64_t nonce = Challenge::solve(puzzle, c.config().difficulty);
  EXPECT_GE(nonce, 0);
  return puzzle + "." + std::to_string(nonce);
}

TEST(ChallengeTest, ASolvedPassLetsItsClientThroughUntilItExpires) {
  Challenge c(config());
  std::string pass = solved(c);
  EXPECT_EQ(c.check_pass(pass, kIp, kBinding, kNow), PassStatus::kValid);
  EXPECT_EQ(c.check_pass(pass, kIp, kBinding, kNow + 599), PassStatus::kValid);
  EXPECT_EQ(c.check_pass(pass, kIp, kBinding, kNow + 600), PassStatus::kExpired);
}

TEST(ChallengeTest, APassDoesNotTravelToAnotherClient) {
  Challenge c(config());
  std::string pass = solved(c);
  EXPECT_EQ(c.check_pass(pass, "203.0.113.8", kBinding, kNow), PassStatus::kInvalid);
  EXPECT_EQ(c.check_pass(pass, kIp, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6|Mozilla/5.0", kNow),
            PassStatus::kInvalid);
}

TEST(ChallengeTest, ForgedAndMalformedPassesAreInvalid) {
  Challenge c(config());
  std::string pass = solved(c);
  std::string later = pass;
  later[3] = later[3] == '9' ? '8' : '9';  // another expiry under the same MAC
  EXPECT_EQ(c.check_pass(later, kIp, kBinding, kNow), PassStatus::kInvalid);
  Challenge other(config({"another-secret-0123456789"}));
  EXPECT_EQ(other.check_pass(pass, kIp, kBinding, kNow), PassStatus::kInvalid);
  for (const std::string& bad :
       std::vector<std::string>{"", "v1", "v1.1.2.3.4", "v2" + pass.substr(2), pass + "x",
                                pass.substr(0, pass.rfind('.')) + ".", pass + "0000000000000000"}) {
    EXPECT_EQ(c.check_pass(bad, kIp, kBinding, kNow), PassStatus::kInvalid) << bad;
  }
}

TEST(ChallengeTest, AWrongNonceOrAWeakerPuzzleIsUnsolved) {
  Challenge c(config());
  std::string puzzle = c.puzzle(kIp, kBinding, kNow);
  std::int64_t nonce = Challenge::solve(puzzle, 12);
  // About one nonce in 4096 solves a 12-bit puzzle: nearly all others must fail.
  int unsolved = 0;
  for (std::int64_t n = nonce + 1; n <= nonce + 50; ++n) {
    unsolved += c.check_pass(puzzle + "." + std::to_string(n), kIp, kBinding, kNow) ==
                PassStatus::kUnsolved;
  }
  EXPECT_GE(unsolved, 48);
  // A pass earned at difficulty 12 no longer suffices when the policy asks for 16.
  ChallengeConfig harder = config();
  harder.difficulty = 16;
  Challenge strict(harder);
  EXPECT_EQ(strict.check_pass(puzzle + "." + std::to_string(nonce), kIp, kBinding, kNow),
            PassStatus::kUnsolved);
}

TEST(ChallengeTest, RotationKeepsPassesOfTheListedPreviousSecret) {
  Challenge before(config({"old-secret-0123456789"}));
  std::string pass = solved(before);
  Challenge rotated(config({"new-secret-0123456789", "old-secret-0123456789"}));
  EXPECT_EQ(rotated.check_pass(pass, kIp, kBinding, kNow), PassStatus::kValid);
  EXPECT_EQ(rotated.puzzle(kIp, kBinding, kNow).substr(0, 16),
            before.puzzle(kIp, kBinding, kNow).substr(0, 16));
  EXPECT_NE(rotated.puzzle(kIp, kBinding, kNow), before.puzzle(kIp, kBinding, kNow));
  Challenge dropped(config({"new-secret-0123456789"}));
  EXPECT_EQ(dropped.check_pass(pass, kIp, kBinding, kNow), PassStatus::kInvalid);
}

TEST(ChallengeTest, ThePassIsReadFromTheCookieHeader) {
  Challenge c(config());
  std::string pass = solved(c);
  Exchange ex;
  ex.client_ip = kIp;
  std::string cookie = "theme=dark; portcullis_pass=" + pass + "; other=1";
  std::vector<HeaderField> headers = {{"cookie", cookie}};
  ex.headers = headers;
  EXPECT_EQ(c.check(ex, kBinding, kNow), PassStatus::kValid);
  std::vector<HeaderField> none = {{"cookie", "portcullis_passx=1; a=portcullis_pass"}};
  ex.headers = none;
  EXPECT_EQ(c.check(ex, kBinding, kNow), PassStatus::kMissing);
}

TEST(ChallengeTest, ThePageCarriesThePuzzleAndAStrictPolicyForItsOnlyScript) {
  Challenge c(config());
  Exchange ex;
  ex.client_ip = kIp;
  std::string_view page = c.page(ex, kBinding, kNow);
  EXPECT_NE(page.find("data-puzzle=\"" + c.puzzle(kIp, kBinding, kNow) + "\""),
            std::string_view::npos);
  EXPECT_NE(page.find("data-difficulty=\"12\""), std::string_view::npos);
  EXPECT_NE(page.find("default-src 'none'; script-src 'sha256-"), std::string_view::npos);
  // The CSP hash is the script's: compute it independently.
  unsigned char digest[32];
  unsigned int len = 0;
  std::string_view script = Challenge::script();
  ASSERT_EQ(EVP_Digest(script.data(), script.size(), digest, &len, EVP_sha256(), nullptr), 1);
  unsigned char b64[48] = {};
  EVP_EncodeBlock(b64, digest, 32);
  EXPECT_EQ(c.script_hash(), "'sha256-" + std::string(reinterpret_cast<char*>(b64)) + "'");
  EXPECT_NE(page.find("<script>" + std::string(script) + "</script>"), std::string_view::npos);
}

}  // namespace
}  // namespace portcullis::bots
