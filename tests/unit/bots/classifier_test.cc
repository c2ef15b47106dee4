// The bot classifier: each signal, and the class the signals make.
#include "bots/classifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::bots {
namespace {

constexpr std::string_view kChromeUa =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36";
constexpr std::string_view kFirefoxUa =
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
constexpr std::string_view kChromeJa4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
constexpr std::string_view kCurlJa4 = "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6";
constexpr std::string_view kPythonJa4 = "t13d4907ht_0d8feac7bc37_7395dae3b2f3";

ClassifierConfig test_config() {
  ClassifierConfig c;
  c.scanner_agents = {"sqlmap", "nikto"};
  c.crawler_agents = {"ahrefsbot"};
  VerifiedCrawler google;
  google.name = "googlebot";
  google.user_agents = {"Googlebot"};
  google.ranges = {Cidr::parse("66.249.64.0/19").value()};
  c.crawlers.push_back(google);
  c.deny_fingerprints = {"t13d0000h2_bad"};
  c.allow_fingerprints = {"h1l0101_aaaaaaaaaaaa"};
  return c;
}

// A browser as it really speaks: every header a browser sends, its own TLS and HTTP/2.
ClientFacts chrome_over_h2() {
  static const std::vector<HeaderField> headers = {{"sec-ch-ua", "\"Chromium\";v=\"120\""},
                                                   {"user-agent", kChromeUa},
                                                   {"accept", "text/html"},
                                                   {"sec-fetch-site", "none"},
                                                   {"sec-fetch-mode", "navigate"},
                                                   {"accept-encoding", "gzip, deflate, br"},
                                                   {"accept-language", "en-US,en;q=0.9"}};
  ClientFacts f;
  f.has_user_agent = true;
  f.user_agent = kChromeUa;
  f.sec_ch_ua = "\"Chromium\";v=\"120\"";
  f.headers = header_fingerprint(headers, true);
  f.tls = true;
  f.tls_grease = true;
  f.ja4 = kChromeJa4;
  f.http2 = true;
  f.h2_fingerprint = "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p";
  f.client_ip = "203.0.113.7";
  return f;
}

TEST(ClassifierTest, ABrowserThatIsWhatItClaimsIsHuman) {
  Classifier c(test_config());
  Classification r = c.classify(chrome_over_h2());
  EXPECT_EQ(r.bot_class, BotClass::kHuman);
  EXPECT_EQ(r.score, 0);
  EXPECT_EQ(r.signals, 0u);
}

TEST(ClassifierTest, CurlWithAChromeUserAgentIsAutomation) {
  Classifier c(test_config());
  ClientFacts f = chrome_over_h2();
  static const std::vector<HeaderField> curl_headers = {{"user-agent", kChromeUa},
                                                        {"accept", "*/*"}};
  f.headers = header_fingerprint(curl_headers, true);
  f.sec_ch_ua = {};
  f.tls_grease = false;
  f.ja4 = kCurlJa4;
  f.h2_fingerprint = "3:100;4:33554432;2:0|33488897|0|m,p,s,a";
  Classification r = c.classify(f);
  EXPECT_EQ(r.bot_class, BotClass::kAutomation);
  EXPECT_TRUE(r.has(Signal::kTlsNotBrowser)) << "no GREASE";
  EXPECT_TRUE(r.has(Signal::kH2NotBrowser)) << "curl's pseudo-header order";
  EXPECT_TRUE(r.has(Signal::kMissingBrowserHeaders));
  EXPECT_EQ(r.score, 100);
}

TEST(ClassifierTest, PythonWithAChromeUserAgentOverHttp11IsAutomation) {
  Classifier c(test_config());
  ClientFacts f = chrome_over_h2();
  static const std::vector<HeaderField> py = {
      {"Host", "a"}, {"Accept-Encoding", "identity"}, {"User-Agent", kChromeUa}};
  f.headers = header_fingerprint(py, false);
  f.sec_ch_ua = {};
  f.tls_grease = false;
  f.ja4 = kPythonJa4;  // no ALPN
  f.http2 = false;
  f.h2_fingerprint = {};
  Classification r = c.classify(f);
  EXPECT_EQ(r.bot_class, BotClass::kAutomation);
  EXPECT_TRUE(r.has(Signal::kTlsNotBrowser));
  EXPECT_TRUE(r.has(Signal::kMissingBrowserHeaders));
  EXPECT_FALSE(r.has(Signal::kH2NotBrowser));
}

TEST(ClassifierTest, FirefoxHasItsOwnPseudoHeaderOrderAndNoGrease) {
  Classifier c(test_config());
  ClientFacts f = chrome_over_h2();
  f.user_agent = kFirefoxUa;
  f.tls_grease = false;
  f.h2_fingerprint = "1:65536;2:0;4:131072;5:16384|12517377|0|m,p,a,s";
  EXPECT_EQ(c.classify(f).bot_class, BotClass::kHuman);
  f.h2_fingerprint = "1:65536;2:0;4:131072;5:16384|12517377|0|m,a,s,p";
  EXPECT_TRUE(c.classify(f).has(Signal::kH2NotBrowser));
}

struct UaRow {
  std::string user_agent;
  Signal signal;
  BotClass expected;
};

class UserAgentSignals : public ::testing::TestWithParam<UaRow> {};

TEST_P(UserAgentSignals, FireAndClassify) {
  Classifier c(test_config());
  ClientFacts f;
  f.has_user_agent = true;
  f.user_agent = GetParam().user_agent;
  f.client_ip = "198.51.100.1";
  Classification r = c.classify(f);
  EXPECT_TRUE(r.has(GetParam().signal)) << signal_info(GetParam().signal).name;
  EXPECT_EQ(r.bot_class, GetParam().expected) << to_string(r.bot_class);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, UserAgentSignals,
    ::testing::Values(
        UaRow{"sqlmap/1.7.2#stable (https://sqlmap.org)", Signal::kScannerUserAgent,
              BotClass::kMalicious},
        UaRow{"Mozilla/5.00 (Nikto/2.1.6)", Signal::kScannerUserAgent, BotClass::kMalicious},
        UaRow{"curl/7.88.1", Signal::kLibraryUserAgent, BotClass::kAutomation},
        UaRow{"python-requests/2.28.1", Signal::kLibraryUserAgent, BotClass::kAutomation},
        UaRow{"Go-http-client/2.0", Signal::kLibraryUserAgent, BotClass::kAutomation},
        UaRow{"nghttp2/1.52.0", Signal::kLibraryUserAgent, BotClass::kAutomation},
        UaRow{"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
              Signal::kCrawlerUserAgent, BotClass::kAutomation},
        UaRow{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
              "Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
              Signal::kHeadlessBrowser, BotClass::kAutomation},
        UaRow{"Mozilla/5.0 (compatible; Googlebot/2.1; "
              "+http://www.google.com/bot.html)",
              Signal::kCrawlerImpersonation, BotClass::kMalicious}));

TEST(ClassifierTest, NoUserAgentIsAutomation) {
  Classifier c(test_config());
  Classification r = c.classify(ClientFacts{});
  EXPECT_TRUE(r.has(Signal::kNoUserAgent));
  EXPECT_EQ(r.bot_class, BotClass::kAutomation);
}

TEST(ClassifierTest, ACrawlerFromItsRangesIsVerified) {
  Classifier c(test_config());
  ClientFacts f;
  f.has_user_agent = true;
  f.user_agent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
  f.client_ip = "66.249.66.1";
  Classification r = c.classify(f);
  EXPECT_EQ(r.bot_class, BotClass::kVerifiedBot);
  EXPECT_EQ(r.score, 0);
  ASSERT_NE(r.crawler, nullptr);
  EXPECT_EQ(r.crawler->name, "googlebot");
  f.client_ip = "66.249.96.1";  // just outside 66.249.64.0/19
  EXPECT_EQ(c.classify(f).bot_class, BotClass::kMalicious);
}

TEST(ClassifierTest, FingerprintListsDecideAndDenyWins) {
  Classifier c(test_config());
  ClientFacts f = chrome_over_h2();
  f.ja4 = "t13d0000h2_bad";
  EXPECT_EQ(c.classify(f).bot_class, BotClass::kMalicious);
  EXPECT_TRUE(c.classify(f).has(Signal::kDeniedFingerprint));

  ClientFacts tool;
  tool.has_user_agent = true;
  tool.user_agent = "curl/8.0";
  static const std::vector<HeaderField> one = {{"X", "1"}};
  tool.headers = header_fingerprint(one, false);
  ClassifierConfig config = test_config();
  config.allow_fingerprints = {std::string(tool.headers.view())};
  Classifier allowing(config);
  EXPECT_EQ(allowing.classify(tool).bot_class, BotClass::kVerifiedBot);
  tool.user_agent = "sqlmap";
  EXPECT_EQ(allowing.classify(tool).bot_class, BotClass::kMalicious);
}

TEST(ClassifierTest, ReputationRaisesTheScoreOfAMisbehavingFingerprint) {
  ClassifierConfig config = test_config();
  config.max_request_rate = 50;
  Classifier c(config);
  ClientFacts f = chrome_over_h2();
  f.reputation_window_s = 10;
  f.standing = {true, 100, 10};  // 10/s, few errors
  EXPECT_EQ(c.classify(f).signals, 0u);
  f.standing = {true, 100, 60};  // most went wrong
  Classification r = c.classify(f);
  EXPECT_TRUE(r.has(Signal::kFingerprintErrorRate));
  EXPECT_EQ(r.score, 40);
  EXPECT_EQ(r.bot_class, BotClass::kHuman);
  f.standing = {true, 1000, 600};  // 100/s as well
  r = c.classify(f);
  EXPECT_TRUE(r.has(Signal::kFingerprintRequestRate));
  EXPECT_EQ(r.score, 70);
  EXPECT_EQ(r.bot_class, BotClass::kAutomation);
  f.standing = {true, 10, 10};  // too few requests to judge
  EXPECT_FALSE(c.classify(f).has(Signal::kFingerprintErrorRate));
}

TEST(ClassifierTest, EverySignalHasANameAndPoints) {
  for (unsigned i = 0; i < static_cast<unsigned>(Signal::kCount); ++i) {
    const SignalInfo& info = signal_info(static_cast<Signal>(i));
    EXPECT_FALSE(info.name.empty());
    EXPECT_GE(info.points, 0);
    EXPECT_LE(info.points, 100);
  }
}

}  // namespace
}  // namespace portcullis::bots
