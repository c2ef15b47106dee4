#include "bots/classifier.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "core/word_hash.h"

namespace portcullis::bots {
namespace {

constexpr std::array<SignalInfo, static_cast<std::size_t>(Signal::kCount)> kSignals = {{
    {"scanner_user_agent", 100, true},
    {"crawler_impersonation", 100, true},
    {"denied_fingerprint", 100, true},
    {"no_user_agent", 60, false},
    {"library_user_agent", 60, false},
    {"headless_browser", 60, false},
    {"crawler_user_agent", 50, false},
    {"tls_not_browser", 60, false},
    {"h2_not_browser", 60, false},
    {"missing_browser_headers", 30, false},
    {"fingerprint_request_rate", 30, false},
    {"fingerprint_error_rate", 40, false},
    {"verified_crawler", 0, false},
    {"allowed_fingerprint", 0, false},
}};

const std::vector<std::string> kHeadlessAgents = {"headlesschrome", "phantomjs", "puppeteer",
                                                  "playwright",     "selenium",  "slimerjs"};

enum class Browser : std::uint8_t { kNone, kChromium, kFirefox, kSafari };

bool contains(std::string_view s, std::string_view part) noexcept {
  return s.find(part) != std::string_view::npos;
}

// The browser a User-Agent claims to be. Every mainstream browser starts with "Mozilla/5.0 ("
// and names its engine; "compatible;" is how crawlers and old tools say they are not one.
Browser claimed_browser(std::string_view ua) noexcept {
  if (ua.substr(0, 13) != "Mozilla/5.0 (" || contains(ua, "compatible;")) return Browser::kNone;
  if (contains(ua, "Firefox/")) return Browser::kFirefox;
  if (contains(ua, "Chrome/") || contains(ua, "CriOS/") || contains(ua, "Edg/")) {
    return Browser::kChromium;
  }
  if (contains(ua, "Safari/") && contains(ua, "Version/")) return Browser::kSafari;
  return Browser::kNone;
}

// The pseudo-header order of each browser's HTTP/2 requests (the last part of the HTTP/2
// fingerprint). Safari changed its order in version 17; both are browsers.
bool pseudo_order_matches(Browser browser, std::string_view order) noexcept {
  switch (browser) {
    case Browser::kChromium:
      return order == "m,a,s,p";
    case Browser::kFirefox:
      return order == "m,p,a,s";
    case Browser::kSafari:
      return order == "m,s,p,a" || order == "m,s,a,p";
    case Browser::kNone:
      break;
  }
  return true;
}

// Whether a ClientHello (its JA4) can be the claimed browser's: every browser offers ALPN and
// TLS 1.2 or newer; Chromium and Safari have sent GREASE values since 2018, no HTTP library
// does.
bool tls_matches(Browser browser, std::string_view ja4, bool grease) noexcept {
  if (ja4.size() < 10) return true;
  std::string_view version = ja4.substr(1, 2);
  if (version != "12" && version != "13") return false;
  if (ja4.substr(8, 2) == "00") return false;
  if ((browser == Browser::kChromium || browser == Browser::kSafari) && !grease) return false;
  return true;
}

enum AgentKind : std::uint8_t {
  kScanner = 1 << 0,
  kCrawler = 1 << 1,
  kLibrary = 1 << 2,
  kHeadless = 1 << 3,
  kVerified = 1 << 4,
};

std::vector<std::string> sorted(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  return list;
}

// The distinct phrases (ASCII case folded, as the automaton numbers them) of every User-Agent
// list, with the lists each belongs to and the verified crawler it names. A phrase two crawlers
// share belongs to the first.
std::vector<std::string> agent_phrases(const ClassifierConfig& c, std::vector<std::uint8_t>& kinds,
                                       std::vector<std::int32_t>& owner) {
  std::vector<std::string> phrases;
  std::vector<std::string> folded;
  auto add = [&](const std::string& p, std::uint8_t kind, std::int32_t crawler) {
    if (p.empty()) return;
    std::string f = p;
    for (char& ch : f) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
    auto it = std::find(folded.begin(), folded.end(), f);
    if (it != folded.end()) {
      const auto i = static_cast<std::size_t>(it - folded.begin());
      kinds[i] |= kind;
      if (owner[i] < 0) owner[i] = crawler;
      return;
    }
    folded.push_back(std::move(f));
    phrases.push_back(p);
    kinds.push_back(kind);
    owner.push_back(crawler);
  };
  for (std::size_t i = 0; i < c.crawlers.size(); ++i) {
    for (const std::string& p : c.crawlers[i].user_agents) {
      add(p, kVerified, static_cast<std::int32_t>(i));
    }
  }
  for (const std::string& p : c.scanner_agents) add(p, kScanner, -1);
  for (const std::string& p : c.crawler_agents) add(p, kCrawler, -1);
  for (const std::string& p : kBuiltinCrawlers) add(p, kCrawler, -1);
  for (const std::string& p : c.library_agents) add(p, kLibrary, -1);
  for (const std::string& p : kBuiltinLibraries) add(p, kLibrary, -1);
  for (const std::string& p : kHeadlessAgents) add(p, kHeadless, -1);
  return phrases;
}

std::atomic<std::uint64_t> next_classifier_id{1};

}  // namespace

const std::vector<std::string> kBuiltinLibraries = {"curl/",
                                                    "wget/",
                                                    "python-requests",
                                                    "python-urllib",
                                                    "python-httpx",
                                                    "python/",
                                                    "aiohttp",
                                                    "go-http-client",
                                                    "java/",
                                                    "okhttp",
                                                    "apache-httpclient",
                                                    "libwww-perl",
                                                    "lwp::simple",
                                                    "axios/",
                                                    "node-fetch",
                                                    "undici",
                                                    "got (",
                                                    "postmanruntime",
                                                    "insomnia/",
                                                    "httpie/",
                                                    "nghttp2/",
                                                    "h2load",
                                                    "ruby",
                                                    "faraday",
                                                    "guzzlehttp",
                                                    "scrapy",
                                                    "php/",
                                                    "winhttp",
                                                    "powershell",
                                                    "reqwest",
                                                    "hyper/",
                                                    "dart:io",
                                                    "libcurl",
                                                    "http.rb",
                                                    "rest-client",
                                                    "typhoeus",
                                                    "httpclient",
                                                    "urllib3",
                                                    "wrk"};

const std::vector<std::string> kBuiltinCrawlers = {"bot/",    "bot;",   "bot)",
                                                   "crawler", "spider", "+http"};

std::string_view to_string(BotClass bot_class) noexcept {
  switch (bot_class) {
    case BotClass::kHuman:
      return "human";
    case BotClass::kVerifiedBot:
      return "verified_bot";
    case BotClass::kAutomation:
      return "automation";
    case BotClass::kMalicious:
      return "malicious";
  }
  return "human";
}

const SignalInfo& signal_info(Signal signal) noexcept {
  return kSignals[static_cast<std::size_t>(signal)];
}

Classifier::Classifier(ClassifierConfig config)
    : config_(std::move(config)),
      id_(next_classifier_id.fetch_add(1, std::memory_order_relaxed)),
      agents_(agent_phrases(config_, kinds_, owner_), /*keep_text=*/false),
      headless_(kHeadlessAgents, /*keep_text=*/false),
      allow_(sorted(config_.allow_fingerprints)),
      deny_(sorted(config_.deny_fingerprints)) {}

Classifier::AgentMatch Classifier::match_agent(std::string_view ua) const noexcept {
  // The User-Agent itself is kept and compared, not only a hash of it: a client must not be able
  // to plant its classification under another client's User-Agent.
  struct Entry {
    std::uint64_t owner = 0;
    std::uint8_t length = 0;
    std::array<char, 200> text;
    AgentMatch match;
  };
  static constexpr std::size_t kEntries = 64;
  thread_local std::array<Entry, kEntries> cache{};
  const bool cacheable = ua.size() <= Entry{}.text.size();
  Entry* e = nullptr;
  if (cacheable) {
    e = &cache[hash_words(kWordHashSeed, ua) % kEntries];
    if (e->owner == id_ && e->length == ua.size() &&
        std::memcmp(e->text.data(), ua.data(), ua.size()) == 0) {
      return e->match;
    }
  }
  AgentMatch m;
  agents_.find_all(ua, [&](std::size_t i) {
    m.kinds |= kinds_[i];
    if (m.crawler < 0 && owner_[i] >= 0) m.crawler = owner_[i];
  });
  if (e != nullptr) {
    e->owner = id_;
    e->length = static_cast<std::uint8_t>(ua.size());
    std::memcpy(e->text.data(), ua.data(), ua.size());
    e->match = m;
  }
  return m;
}

bool Classifier::listed(const std::vector<std::string>& list, const ClientFacts& f) noexcept {
  if (list.empty()) return false;
  auto in = [&](std::string_view fp) {
    return !fp.empty() && std::binary_search(list.begin(), list.end(), fp, std::less<>());
  };
  return in(f.ja4) || in(f.ja3_hash) || in(f.h2_fingerprint) || in(f.headers.view());
}

Classification Classifier::classify(const ClientFacts& f) const noexcept {
  Classification c;
  auto fire = [&c](Signal s) { c.signals |= 1u << static_cast<unsigned>(s); };

  if (listed(deny_, f)) fire(Signal::kDeniedFingerprint);
  if (listed(allow_, f)) fire(Signal::kAllowedFingerprint);

  const std::string_view ua = f.user_agent;
  if (!f.has_user_agent || ua.empty()) {
    fire(Signal::kNoUserAgent);
  } else {
    const AgentMatch m = match_agent(ua);
    const std::uint8_t kinds = m.kinds;
    if (m.crawler >= 0) c.crawler = &config_.crawlers[static_cast<std::size_t>(m.crawler)];
    if (kinds & kScanner) fire(Signal::kScannerUserAgent);
    if (c.crawler != nullptr) {
      auto ip = parse_ip(f.client_ip);
      const bool inside = ip && std::any_of(c.crawler->ranges.begin(), c.crawler->ranges.end(),
                                            [&](const Cidr& r) { return r.contains(*ip); });
      fire(inside ? Signal::kVerifiedCrawler : Signal::kCrawlerImpersonation);
    } else if (kinds & kCrawler) {
      fire(Signal::kCrawlerUserAgent);
    }
    if (kinds & kLibrary) fire(Signal::kLibraryUserAgent);
    if (kinds & kHeadless) fire(Signal::kHeadlessBrowser);
  }
  if (!f.sec_ch_ua.empty() && !c.has(Signal::kHeadlessBrowser)) {
    bool headless = false;
    headless_.find_all(f.sec_ch_ua, [&](std::size_t) { headless = true; });
    if (headless) fire(Signal::kHeadlessBrowser);
  }

  const Browser browser = claimed_browser(ua);
  if (browser != Browser::kNone) {
    if (f.tls && !tls_matches(browser, f.ja4, f.tls_grease)) fire(Signal::kTlsNotBrowser);
    if (f.http2 && !f.h2_fingerprint.empty()) {
      std::string_view fp = f.h2_fingerprint;
      std::string_view order = fp.substr(fp.rfind('|') + 1);
      if (!pseudo_order_matches(browser, order)) fire(Signal::kH2NotBrowser);
    }
    const HeaderFingerprint& h = f.headers;
    bool missing =
        !h.has(kTraitAccept) || !h.has(kTraitAcceptLanguage) || !h.has(kTraitAcceptEncoding);
    // Fetch Metadata and Client Hints go to secure origins only.
    if (f.tls && browser != Browser::kSafari && !h.has(kTraitSecFetch)) missing = true;
    if (f.tls && browser == Browser::kChromium && !h.has(kTraitClientHints)) missing = true;
    if (missing) fire(Signal::kMissingBrowserHeaders);
  }

  if (f.standing.tracked) {
    const double window = f.reputation_window_s > 0 ? f.reputation_window_s : 1;
    if (config_.max_request_rate > 0 && f.standing.requests / window > config_.max_request_rate) {
      fire(Signal::kFingerprintRequestRate);
    }
    if (f.standing.requests >= config_.min_requests &&
        f.standing.errors >= config_.max_error_ratio * f.standing.requests) {
      fire(Signal::kFingerprintErrorRate);
    }
  }

  int score = 0;
  bool malicious = false;
  for (unsigned i = 0; i < static_cast<unsigned>(Signal::kCount); ++i) {
    if (!((c.signals >> i) & 1u)) continue;
    const SignalInfo& info = kSignals[i];
    score += info.points;
    malicious |= info.malicious;
  }
  if (malicious) {
    c.bot_class = BotClass::kMalicious;
    c.score = 100;
  } else if (c.has(Signal::kVerifiedCrawler) || c.has(Signal::kAllowedFingerprint)) {
    c.bot_class = BotClass::kVerifiedBot;
    c.score = 0;
  } else {
    c.score = std::min(score, 100);
    c.bot_class = c.score >= config_.automation_score ? BotClass::kAutomation : BotClass::kHuman;
  }
  return c;
}

}  // namespace portcullis::bots
