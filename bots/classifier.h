// The bot classifier: explainable signals about one request, each worth points toward a 0-100
// bot score, and a class decided from them (docs/bots.md lists every signal with its points).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bots/header_fingerprint.h"
#include "bots/reputation.h"
#include "core/ip.h"
#include "core/phrase_automaton.h"

namespace portcullis::bots {

enum class BotClass : std::uint8_t {
  // Nothing says automation: a browser whose TLS, HTTP/2 and headers agree with its claim.
  kHuman,
  // A configured crawler from its own address ranges, or an allow-listed fingerprint.
  kVerifiedBot,
  // A library or tool, a headless browser, or a browser claim that its own stack contradicts:
  // the score reached ClassifierConfig::automation_score.
  kAutomation,
  // A signal that is bad on its own: a scanner, an impersonated crawler, a deny-listed
  // fingerprint.
  kMalicious,
};
inline constexpr std::size_t kBotClasses = 4;
std::string_view to_string(BotClass bot_class) noexcept;

enum class Signal : std::uint8_t {
  kScannerUserAgent,        // User-Agent on the scanner list (CRS scanners-user-agents.data)
  kCrawlerImpersonation,    // User-Agent of a configured crawler, from outside its ranges
  kDeniedFingerprint,       // JA4, JA3 hash, HTTP/2 or header fingerprint on the deny list
  kNoUserAgent,             // no User-Agent at all
  kLibraryUserAgent,        // an HTTP library or tool (curl, python-requests, Go, Java ...)
  kHeadlessBrowser,         // HeadlessChrome, PhantomJS ... in User-Agent or sec-ch-ua
  kCrawlerUserAgent,        // a crawler not configured as verified (CRS crawlers list)
  kTlsNotBrowser,           // claims a browser; its ClientHello is not one (no ALPN, no GREASE)
  kH2NotBrowser,            // claims a browser; its HTTP/2 pseudo-header order is another's
  kMissingBrowserHeaders,   // claims a browser; lacks headers every such browser sends
  kFingerprintRequestRate,  // its fingerprint sends more than the configured rate
  kFingerprintErrorRate,    // most of its fingerprint's recent requests went wrong
  kVerifiedCrawler,         // a configured crawler from its ranges (class verified_bot)
  kAllowedFingerprint,      // on the allow list (class verified_bot)
  kCount,
};
struct SignalInfo {
  std::string_view name;  // "library_user_agent"
  int points;             // added to the score
  bool malicious;         // makes the class malicious by itself
};
const SignalInfo& signal_info(Signal signal) noexcept;

// A crawler whose requests are welcome when they come from its published address ranges.
struct VerifiedCrawler {
  std::string name;                      // "googlebot"
  std::vector<std::string> user_agents;  // phrases, any of which in User-Agent claims it
  std::vector<Cidr> ranges;
};

struct ClassifierConfig {
  // User-Agent phrases, matched anywhere and ignoring ASCII case (as CRS's @pmFromFile does).
  std::vector<std::string> scanner_agents;
  std::vector<std::string> crawler_agents;
  std::vector<std::string> library_agents;  // added to the built-in list (kBuiltinLibraries)
  std::vector<VerifiedCrawler> crawlers;
  // Fingerprints (JA4, JA3 MD5, HTTP/2 or header fingerprint), exact.
  std::vector<std::string> allow_fingerprints;
  std::vector<std::string> deny_fingerprints;
  // The score from which a request is automation (when nothing made it malicious or verified).
  int automation_score = 50;
  // Reputation: requests per second of one fingerprint, over the reputation's window, from
  // which kFingerprintRequestRate fires (0: never); the share of errors from which
  // kFingerprintErrorRate fires, judged once the window holds at least min_requests.
  double max_request_rate = 0;
  double max_error_ratio = 0.5;
  double min_requests = 20;
};

// The built-in User-Agent phrases: HTTP libraries and tools (kLibraryUserAgent), and the words
// crawlers name themselves with (kCrawlerUserAgent), added to the configured lists.
extern const std::vector<std::string> kBuiltinLibraries;
extern const std::vector<std::string> kBuiltinCrawlers;

// What the classifier reads about one request.
struct ClientFacts {
  bool has_user_agent = false;
  std::string_view user_agent;
  std::string_view sec_ch_ua;
  HeaderFingerprint headers;
  bool tls = false;
  bool tls_grease = false;  // the ClientHello carried GREASE values
  std::string_view ja4, ja3_hash;
  bool http2 = false;
  std::string_view h2_fingerprint;
  std::string_view client_ip;
  Reputation::Standing standing;  // of its fingerprint; untracked: no reputation signal
  std::uint32_t reputation_window_s = 10;
};

struct Classification {
  BotClass bot_class = BotClass::kHuman;
  int score = 0;                             // 0..100
  std::uint32_t signals = 0;                 // bit (1 << Signal)
  const VerifiedCrawler* crawler = nullptr;  // the crawler claimed, if any

  bool has(Signal s) const noexcept { return (signals >> static_cast<unsigned>(s)) & 1u; }
};

// Built once per config snapshot; classify() is safe for concurrent use by multiple threads and
// allocates nothing.
class Classifier {
 public:
  explicit Classifier(ClassifierConfig config);

  Classification classify(const ClientFacts& facts) const noexcept;
  const ClassifierConfig& config() const noexcept { return config_; }

 private:
  static bool listed(const std::vector<std::string>& sorted, const ClientFacts& facts) noexcept;

  // What the User-Agent phrase lists say of `ua`: AgentKind bits, and the verified crawler it
  // names (-1: none). Remembered per thread for the last few distinct User-Agents, since a
  // service sees far fewer of them than requests and the automaton is large.
  struct AgentMatch {
    std::uint8_t kinds = 0;
    std::int32_t crawler = -1;
  };
  AgentMatch match_agent(std::string_view ua) const noexcept;

  ClassifierConfig config_;
  std::uint64_t id_;  // unique per classifier ever built: the per-thread cache's owner
  // Every User-Agent phrase in one automaton, so that a User-Agent is read once: phrase i (among
  // the distinct ones, ASCII case folded) belongs to the lists in kinds_[i] (AgentKind bits) and,
  // when it names a verified crawler, to crawler owner_[i] (else -1).
  std::vector<std::uint8_t> kinds_;
  std::vector<std::int32_t> owner_;
  PhraseAutomaton agents_;
  PhraseAutomaton headless_;        // for sec-ch-ua
  std::vector<std::string> allow_;  // sorted
  std::vector<std::string> deny_;   // sorted
};

}  // namespace portcullis::bots
