#include "bots/bot_stage.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>

#include "bots/header_fingerprint.h"
#include "core/clock.h"
#include "core/short_text.h"
#include "core/word_hash.h"

namespace portcullis::bots {
namespace {

std::uint64_t system_seconds() { return static_cast<std::uint64_t>(std::time(nullptr)); }

std::uint32_t monotonic_seconds() {
  return static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count());
}

// The reputation key of a client stack: its TLS, HTTP/2 and header fingerprints together.
std::uint64_t reputation_key(const Exchange& ex) noexcept {
  std::uint64_t h = kWordHashSeed;
  for (std::string_view part : {ex.ja4, ex.h2_fingerprint, ex.header_fingerprint}) {
    h = hash_words(h, part);
  }
  return h == 0 ? 1 : h;
}

// The signal worth most points names a decision ("library_user_agent").
std::string_view main_signal(const Classification& c) noexcept {
  std::string_view name = "score";
  int best = -1;
  for (unsigned i = 0; i < static_cast<unsigned>(Signal::kCount); ++i) {
    if (!c.has(static_cast<Signal>(i))) continue;
    const SignalInfo& info = signal_info(static_cast<Signal>(i));
    if (info.points > best) {
      best = info.points;
      name = info.name;
    }
  }
  return name;
}

void add_finding(Exchange& ex, const Finding& finding) {
  auto* findings = static_cast<Finding*>(
      ex.arena()->allocate(sizeof(Finding) * (ex.findings.size() + 1), alignof(Finding)));
  std::size_t n = 0;
  for (const Finding& f : ex.findings) new (&findings[n++]) Finding(f);
  new (&findings[n++]) Finding(finding);
  ex.findings = std::span<const Finding>(findings, n);
}

bool accepts_html(const Exchange& ex) noexcept {
  return ex.header("accept").find("text/html") != std::string_view::npos;
}

}  // namespace

std::string_view to_string(BotAction action) noexcept {
  switch (action) {
    case BotAction::kAllow:
      return "allow";
    case BotAction::kTag:
      return "tag";
    case BotAction::kChallenge:
      return "challenge";
    case BotAction::kBlock:
      return "block";
    case BotAction::kLimit:
      return "limit";
  }
  return "allow";
}

BotStage::BotStage(BotStageConfig config)
    : config_(std::move(config)), classifier_(config_.classifier) {
  if (config_.challenge) challenge_.emplace(*config_.challenge);
  if (config_.wall_seconds == nullptr) config_.wall_seconds = &system_seconds;
  if (config_.steady_seconds == nullptr) config_.steady_seconds = &monotonic_seconds;
}

Verdict BotStage::on_headers(Exchange& ex) const noexcept {
  try {
    ClientFacts facts;
    facts.user_agent = ex.header("user-agent", &facts.has_user_agent);
    facts.sec_ch_ua = ex.header("sec-ch-ua");
    facts.headers = header_fingerprint(ex.headers, ex.protocol == Protocol::kHttp2);
    facts.tls = ex.tls;
    facts.tls_grease = ex.tls_grease;
    facts.ja4 = ex.ja4;
    facts.ja3_hash = ex.ja3_hash;
    facts.http2 = ex.protocol == Protocol::kHttp2;
    facts.h2_fingerprint = ex.h2_fingerprint;
    facts.client_ip = ex.client_ip;
    ex.header_fingerprint = ex.keep(facts.headers.view());
    if (config_.reputation) {
      facts.standing =
          config_.reputation->record_request(reputation_key(ex), config_.steady_seconds());
      facts.reputation_window_s = config_.reputation->window_s();
    }
    const Classification c = classifier_.classify(facts);

    ex.bot_class = to_string(c.bot_class);
    ex.bot_score = c.score;
    ShortText signals;
    for (unsigned i = 0; i < static_cast<unsigned>(Signal::kCount); ++i) {
      if (!c.has(static_cast<Signal>(i))) continue;
      if (!signals.empty()) signals << ",";
      signals << signal_info(static_cast<Signal>(i)).name;
    }
    ex.bot_signals = ex.keep(signals.view());
    ex.bot_signal_bits = c.signals;

    if (config_.forward_headers) {
      ShortText bot;
      bot << ex.bot_class << ":" << c.score;
      const HeaderField fields[] = {{"x-portcullis-ja4", ex.ja4},
                                    {"x-portcullis-ja3", ex.ja3_hash},
                                    {"x-portcullis-h2fp", ex.h2_fingerprint},
                                    {"x-portcullis-hfp", ex.header_fingerprint},
                                    {"x-portcullis-bot", ex.keep(bot.view())}};
      ex.upstream_headers = ex.keep(fields);
    }

    const std::string_view rule = main_signal(c);
    auto explain = [&](std::string_view what, std::string_view detail = {}) {
      ShortText text;
      text << what << detail << " (" << ex.bot_class << ", score " << c.score;
      if (!signals.empty()) text << ": " << signals.view();
      text << ")";
      return ex.keep(text.view());
    };

    switch (config_.actions[static_cast<std::size_t>(c.bot_class)]) {
      case BotAction::kAllow:
      case BotAction::kLimit:
        return Verdict::pass();
      case BotAction::kTag:
        add_finding(ex, Finding{.stage = "bots",
                                .rule = rule,
                                .message = explain("bot tagged"),
                                .data = ex.bot_signals,
                                .variable = "REQUEST_HEADERS"});
        return Verdict::pass();
      case BotAction::kBlock:
        return Verdict::block(403, "bots", explain("bot refused"), rule);
      case BotAction::kChallenge:
        break;
    }
    if (!challenge_) return Verdict::block(403, "bots", explain("bot refused"), rule);
    // A pass is bound, besides the client's address, to its TLS stack and User-Agent, which a
    // browser keeps from the challenge page to its next requests.
    ShortText bound;
    bound << ex.ja4 << "|" << facts.user_agent;
    const std::string_view binding = bound.view();
    const std::uint64_t now = config_.wall_seconds();
    const PassStatus pass = challenge_->check(ex, binding, now);
    if (pass == PassStatus::kValid) return Verdict::pass();
    const bool browser_navigation = (ex.method == "GET" || ex.method == "HEAD") && accepts_html(ex);
    const std::string_view why = pass == PassStatus::kMissing
                                     ? explain("challenge required")
                                     : explain("challenge pass ", to_string(pass));
    if (!browser_navigation) return Verdict::block(403, "bots", why, "challenge");
    Verdict v;
    v.action = Action::kChallenge;
    v.status = config_.challenge_status;
    v.stage = "bots";
    v.reason = why;
    v.rule = "challenge";
    v.body = challenge_->page(ex, binding, now);
    v.content_type = "text/html; charset=utf-8";
    return v;
  } catch (...) {
    // Only the arena or a string can throw here (out of memory): refuse rather than guess.
    return Verdict::block(503, "bots", "out of memory");
  }
}

void BotStage::on_complete(Exchange& ex) const noexcept {
  if (!config_.reputation || ex.sent_status < 400) return;
  config_.reputation->record_error(reputation_key(ex), config_.steady_seconds());
}

}  // namespace portcullis::bots
