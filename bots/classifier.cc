#include "bots/classifier.h"

#include <algorithm>
#include <array>

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

const std::vector<std::string> kHeadless = {"headlesschrome", "phantomjs", "puppeteer",
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

std::vector<std::string> with_builtin(std::vector<std::string> list,
                                      const std::vector<std::string>& builtin) {
  list.insert(list.end(), builtin.begin(), builtin.end());
  return list;
}

std::vector<std::string> sorted(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  return list;
}

std::vector<std::string> crawler_phrases(const std::vector<VerifiedCrawler>& crawlers,
                                         std::vector<std::size_t>& owner) {
  // The automaton numbers distinct phrases (ignoring case): a phrase two crawlers share belongs
  // to the first.
  std::vector<std::string> phrases;
  std::vector<std::string> folded;
  for (std::size_t i = 0; i < crawlers.size(); ++i) {
    for (const std::string& p : crawlers[i].user_agents) {
      std::string f = p;
      for (char& ch : f) ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + 32) : ch;
      if (p.empty() || std::find(folded.begin(), folded.end(), f) != folded.end()) continue;
      folded.push_back(std::move(f));
      phrases.push_back(p);
      owner.push_back(i);
    }
  }
  return phrases;
}

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
      scanners_(config_.scanner_agents),
      crawlers_(with_builtin(config_.crawler_agents, kBuiltinCrawlers)),
      libraries_(with_builtin(config_.library_agents, kBuiltinLibraries)),
      headless_(kHeadless),
      verified_agents_(crawler_phrases(config_.crawlers, verified_owner_), false),
      allow_(sorted(config_.allow_fingerprints)),
      deny_(sorted(config_.deny_fingerprints)) {}

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
    if (scanners_.find(ua) != nullptr) fire(Signal::kScannerUserAgent);
    bool claimed_crawler = false;
    verified_agents_.find_all(ua, [&](std::size_t i) {
      if (claimed_crawler) return;
      claimed_crawler = true;
      c.crawler = &config_.crawlers[verified_owner_[i]];
    });
    if (c.crawler != nullptr) {
      auto ip = parse_ip(f.client_ip);
      const bool inside = ip && std::any_of(c.crawler->ranges.begin(), c.crawler->ranges.end(),
                                            [&](const Cidr& r) { return r.contains(*ip); });
      fire(inside ? Signal::kVerifiedCrawler : Signal::kCrawlerImpersonation);
    } else if (crawlers_.find(ua) != nullptr) {
      fire(Signal::kCrawlerUserAgent);
    }
    if (libraries_.find(ua) != nullptr) fire(Signal::kLibraryUserAgent);
  }
  if (headless_.find(ua) != nullptr || headless_.find(f.sec_ch_ua) != nullptr) {
    fire(Signal::kHeadlessBrowser);
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
