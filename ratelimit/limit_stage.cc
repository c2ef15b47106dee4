#include "ratelimit/limit_stage.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>

#include "core/clock.h"
#include "core/short_text.h"
#include "core/word_hash.h"

namespace portcullis::ratelimit {
namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool trusted(const std::vector<Cidr>& list, const IpAddress& addr) noexcept {
  return std::any_of(list.begin(), list.end(), [&](const Cidr& c) { return c.contains(addr); });
}

// The client's address: the peer, or, when the peer is a trusted proxy, the rightmost address of
// X-Forwarded-For that is not one (every proxy appends the address it saw). An entry that is
// not an address ends the walk: what is left of it is the client's word, not a proxy's.
std::string_view client_address(const Exchange& ex, const std::vector<Cidr>& trusted_proxies) {
  if (trusted_proxies.empty()) return ex.client_ip;
  auto peer = parse_ip(ex.client_ip);
  if (!peer || !trusted(trusted_proxies, *peer)) return ex.client_ip;
  std::string_view client = ex.client_ip;
  for (auto h = ex.headers.rbegin(); h != ex.headers.rend(); ++h) {
    if (!iequals(h->name, "x-forwarded-for")) continue;
    std::string_view list = h->value;
    while (!list.empty()) {
      std::size_t comma = list.rfind(',');
      std::string_view entry =
          trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
      list = comma == std::string_view::npos ? std::string_view() : list.substr(0, comma);
      auto addr = parse_ip(entry);
      if (!addr) return client;
      client = entry;
      if (!trusted(trusted_proxies, *addr)) return client;
    }
  }
  return client;
}

// The bearer token's payload, decoded into the exchange's arena; empty without a token. With a
// verifier, `status` says whether the token passed its check.
std::string_view bearer_payload(Exchange& ex, const JwtVerifier* verifier, JwtStatus& status) {
  status = JwtStatus::kMalformed;
  std::string_view token = bearer_token(ex.header("authorization"));
  JwtParts parts;
  if (token.empty() || !split_jwt(token, parts)) return {};
  const std::size_t room = parts.payload.size() / 4 * 3 + 3;
  char* buf = static_cast<char*>(ex.arena()->allocate(room, 1));
  long n = base64url_decode(parts.payload, {buf, room});
  if (n <= 0) return {};
  std::string_view payload(buf, static_cast<std::size_t>(n));
  if (verifier != nullptr) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    status = verifier->verify(token, payload, now);
  } else {
    status = JwtStatus::kValid;
  }
  return payload;
}

// Seconds, rounded up: a client told to come back sooner than allowed would be refused again.
std::int64_t ceil_seconds(std::int64_t ns) noexcept { return (ns + 999'999'999) / 1'000'000'000; }

}  // namespace

Result<KeyPart> KeyPart::parse(std::string_view text) {
  KeyPart p;
  if (text == "ip") return p;
  if (text.substr(0, 3) == "ip/") {
    p.kind = Kind::kNetwork;
    std::string_view bits = text.substr(3);
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), p.prefix_bits);
    if (ec != std::errc() || end != bits.data() + bits.size() || p.prefix_bits < 0 ||
        p.prefix_bits > 128) {
      return Error{"expected ip/N with N from 0 to 128 (IPv4 addresses use N up to 32)"};
    }
    return p;
  }
  if (text.substr(0, 7) == "header:" && text.size() > 7) {
    p.kind = Kind::kHeader;
    p.name = std::string(text.substr(7));
    for (char& c : p.name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return p;
  }
  if (text.substr(0, 4) == "jwt:" && text.size() > 4) {
    p.kind = Kind::kJwtClaim;
    p.name = std::string(text.substr(4));
    return p;
  }
  if (text == "route")
    p.kind = Kind::kRoute;
  else if (text == "operation")
    p.kind = Kind::kOperation;
  else if (text == "ja4")
    p.kind = Kind::kJa4;
  else if (text == "fingerprint")
    p.kind = Kind::kFingerprint;
  else if (text == "bot_class")
    p.kind = Kind::kBotClass;
  else {
    return Error{
        "unknown key '" + std::string(text) +
        "' (expected ip, ip/N, header:NAME, jwt:CLAIM, route, operation, ja4, fingerprint or "
        "bot_class)"};
  }
  return p;
}

std::string KeyPart::to_string() const {
  switch (kind) {
    case Kind::kIp:
      return "ip";
    case Kind::kNetwork:
      return "ip/" + std::to_string(prefix_bits);
    case Kind::kHeader:
      return "header:" + name;
    case Kind::kRoute:
      return "route";
    case Kind::kJa4:
      return "ja4";
    case Kind::kFingerprint:
      return "fingerprint";
    case Kind::kBotClass:
      return "bot_class";
    case Kind::kJwtClaim:
      return "jwt:" + name;
    case Kind::kOperation:
      return "operation";
  }
  return "ip";
}

std::uint64_t LimitStage::identity(const Limit& l) noexcept {
  std::uint64_t h = kWordHashSeed;
  h = hash_words(h, l.name);
  h = mix_word(h, l.requests);
  h = mix_word(h, static_cast<std::uint64_t>(l.period_ns));
  h = mix_word(h, l.burst);
  for (const KeyPart& p : l.key) h = hash_words(h, p.to_string());
  for (const std::string& c : l.bot_classes) h = hash_words(h, c);
  if (l.global) h = hash_words(h, "global");
  return h;
}

LimitStage::LimitStage(LimitStageConfig config) : config_(std::move(config)) {
  if (config_.now_ns == nullptr) config_.now_ns = &steady_ns;
  if (!config_.table) config_.table = std::make_shared<BucketTable>(1 << 16);
  for (const Limit& l : config_.limits) {
    Gcra gcra(l.requests, l.period_ns, l.burst);
    // The window in which a full quota comes back, in whole seconds (at least 1).
    const std::int64_t window_s = std::max<std::int64_t>(1, ceil_seconds(gcra.window_ns()));
    std::string field =
        "\"" + l.name + "\";q=" + std::to_string(gcra.burst()) + ";w=" + std::to_string(window_s);
    std::vector<std::string> labels;
    for (const KeyPart& p : l.key) labels.push_back(p.to_string());
    limits_.push_back({l, gcra, identity(l), std::move(field), std::move(labels)});
  }
}

Verdict LimitStage::on_headers(Exchange& ex) const noexcept {
  struct Applied {
    const Compiled* limit;
    std::uint64_t key;
    GcraDecision decision;
    bool global = false;  // decided by the Redis store, which spent the tokens already
  };
  std::array<Applied, 16> applied;
  std::size_t n = 0;
  std::string_view first_key_text;
  const std::int64_t now = config_.now_ns();
  const std::uint32_t cost =
      1 + static_cast<std::uint32_t>(std::max(0, ex.bot_score) * config_.bot_score_cost / 100);
  std::string_view client;  // resolved once, when a limit needs it
  bool have_client = false;
  const Applied* refusal = nullptr;
  std::string_view refusal_key;
  std::string_view jwt_payload;  // decoded once, when a limit needs a claim
  JwtStatus jwt_status = JwtStatus::kMalformed;
  bool have_jwt = false;
  std::string_view operation;
  bool have_operation = false;

  for (const Compiled& c : limits_) {
    if (n == applied.size()) break;
    const Limit& l = c.limit;
    if (!l.bot_classes.empty() && std::find(l.bot_classes.begin(), l.bot_classes.end(),
                                            ex.bot_class) == l.bot_classes.end()) {
      continue;
    }
    std::uint64_t key = c.identity;
    ShortText text;
    bool applies = true;
    for (std::size_t part = 0; part < l.key.size(); ++part) {
      const KeyPart& p = l.key[part];
      std::string_view value;
      char network[INET6_ADDRSTRLEN + 8];
      switch (p.kind) {
        case KeyPart::Kind::kIp:
        case KeyPart::Kind::kNetwork:
          if (!have_client) {
            client = client_address(ex, config_.trusted_proxies);
            have_client = true;
          }
          value = client;
          if (p.kind == KeyPart::Kind::kNetwork) {
            auto addr = parse_ip(client);
            if (!addr) break;
            const bool v4 = addr->at(10) == 0xff && addr->at(11) == 0xff &&
                            std::all_of(addr->begin(), addr->begin() + 10,
                                        [](std::uint8_t b) { return b == 0; });
            Cidr net{*addr, v4 ? 96 + std::min(p.prefix_bits, 32) : p.prefix_bits};
            IpAddress masked{};
            int bits = net.prefix_bits;
            for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
              masked[i] = static_cast<std::uint8_t>(
                  (*addr)[i] & (bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits))));
            }
            if (v4) {
              // glibc's inet_ntop formats IPv4 through printf, a thousand instructions.
              char* out = network;
              for (int i = 12; i < 16; ++i) {
                out = std::to_chars(out, network + sizeof network, masked[i]).ptr;
                if (i < 15) *out++ = '.';
              }
              value = std::string_view(network, static_cast<std::size_t>(out - network));
            } else if (inet_ntop(AF_INET6, masked.data(), network, sizeof network) != nullptr) {
              value = network;
            }
          }
          break;
        case KeyPart::Kind::kHeader: {
          bool found = false;
          value = ex.header(p.name, &found);
          if (!found) applies = false;
          break;
        }
        case KeyPart::Kind::kRoute:
          value = ex.route_id;
          break;
        case KeyPart::Kind::kJa4:
          value = ex.ja4;
          if (value.empty()) applies = false;
          break;
        case KeyPart::Kind::kFingerprint:
          text << "fp=" << ex.ja4 << "|" << ex.h2_fingerprint << "|" << ex.header_fingerprint
               << " ";
          key = hash_words(key, ex.ja4);
          key = hash_words(key, ex.h2_fingerprint);
          key = hash_words(key, ex.header_fingerprint);
          continue;
        case KeyPart::Kind::kBotClass:
          value = ex.bot_class;
          break;
        case KeyPart::Kind::kJwtClaim:
          if (!have_jwt) {
            jwt_payload = bearer_payload(ex, config_.jwt.get(), jwt_status);
            have_jwt = true;
            if (!jwt_payload.empty() && jwt_status != JwtStatus::kValid &&
                config_.reject_invalid_jwt) {
              return invalid_token(ex, jwt_status);
            }
          }
          if (jwt_payload.empty() || jwt_status != JwtStatus::kValid ||
              !json_claim(jwt_payload, p.name, value)) {
            applies = false;
          }
          break;
        case KeyPart::Kind::kOperation:
          if (!have_operation) {
            if (config_.operation_of) operation = config_.operation_of(ex);
            have_operation = true;
          }
          value = operation;
          if (value.empty()) applies = false;
          break;
      }
      if (!applies) break;
      text << c.labels[part] << "=" << value << " ";
      key = hash_words(key, value);
    }
    if (!applies) continue;
    GcraDecision d;
    bool global = false;
    if (l.global && config_.redis) {
      const GlobalDecision g = config_.redis->take(key, c.gcra, cost, now);
      if (g.kind == GlobalDecision::Kind::kAllowed) {
        global = true;
        d.allowed = true;
        d.remaining = static_cast<std::uint32_t>(
            std::min<std::int64_t>(g.remaining, std::numeric_limits<std::uint32_t>::max()));
        d.reset_ns = c.gcra.window_ns();
      } else if (g.kind == GlobalDecision::Kind::kRefused) {
        d.allowed = false;
        d.retry_after_ns = g.retry_after_ns;
        d.reset_ns = std::max(g.retry_after_ns, c.gcra.window_ns());
      } else if (!config_.redis->up()) {
        // Redis is down: decide as the configuration says.
        RedisStore::count_fallback();
        const auto policy = config_.redis->options().on_unavailable;
        if (policy == RedisOptions::Unavailable::kOpen) continue;
        if (policy == RedisOptions::Unavailable::kClosed) {
          give_back_global(applied, n, cost);
          ex.limiter_key = ex.keep(text.view());
          Verdict v = Verdict::block(503, "ratelimit", "rate limit store unavailable", l.name);
          v.retry_after_s = 1;
          return v;
        }
        d = config_.table->peek(key, c.gcra, now, cost);
      } else {
        d = config_.table->peek(key, c.gcra, now, cost);
      }
    } else {
      d = config_.table->peek(key, c.gcra, now, cost);
    }
    applied[n++] = {&c, key, d, global};
    if (first_key_text.empty()) {
      std::string_view t = text.view();
      if (!t.empty()) t.remove_suffix(1);
      first_key_text = ex.keep(t);
    }
    if (!d.allowed && (refusal == nullptr || d.retry_after_ns > refusal->decision.retry_after_ns)) {
      // Of the limits that refuse, the one that keeps the client waiting longest decides: only
      // after its Retry-After do all of them allow the request again.
      refusal = &applied[n - 1];
      std::string_view t = text.view();
      if (!t.empty()) t.remove_suffix(1);
      refusal_key = ex.keep(t);
    }
  }
  if (refusal != nullptr) {
    // A refused request charges none of its limits.
    give_back_global(applied, n, cost);
    const Compiled& c = *refusal->limit;
    const GcraDecision& d = refusal->decision;
    ex.limiter_key = refusal_key;
    ShortText reason;
    reason << "rate limit '" << c.limit.name << "' exceeded";
    ShortText limit_field;
    limit_field << "\"" << c.limit.name << "\";r=0;t=" << ceil_seconds(d.reset_ns);
    const HeaderField fields[] = {{"ratelimit-policy", c.policy_field},
                                  {"ratelimit", ex.keep(limit_field.view())}};
    Verdict v;
    v.action = Action::kRateLimit;
    v.status = 429;
    v.retry_after_s =
        static_cast<std::uint32_t>(std::max<std::int64_t>(1, ceil_seconds(d.retry_after_ns)));
    v.stage = "ratelimit";
    v.reason = ex.keep(reason.view());
    v.rule = c.limit.name;
    v.headers = ex.keep(fields);
    return v;
  }
  ex.limiter_key = first_key_text;
  // Every limit allows it: charge them all. A limit another worker exhausted meanwhile refuses
  // in take(); the request still goes (it was allowed a moment ago), uncharged there.
  const Applied* tightest = nullptr;
  GcraDecision tightest_decision;
  for (std::size_t i = 0; i < n; ++i) {
    GcraDecision d = applied[i].global
                         ? applied[i].decision
                         : config_.table->take(applied[i].key, applied[i].limit->gcra, now, cost);
    if (!d.allowed) d = applied[i].decision;
    if (tightest == nullptr || d.remaining < tightest_decision.remaining) {
      tightest = &applied[i];
      tightest_decision = d;
    }
  }
  if (config_.response_fields && tightest != nullptr) {
    ShortText limit_field;
    limit_field << "\"" << tightest->limit->limit.name
                << "\";r=" << static_cast<std::int64_t>(tightest_decision.remaining)
                << ";t=" << ceil_seconds(tightest_decision.reset_ns);
    const HeaderField fields[] = {{"ratelimit-policy", tightest->limit->policy_field},
                                  {"ratelimit", ex.keep(limit_field.view())}};
    ex.response_fields = ex.keep(fields);
  }
  if (n > 0 && (config_.anomaly_cost > 0 || config_.error_cost > 0)) {
    // Without a free state slot the request simply gets no feedback.
    if (auto* charged = ex.make_state<Charged>(this)) {
      for (std::size_t i = 0; i < n; ++i) {
        charged->keys[i] = {applied[i].key, applied[i].limit};
        charged->global[i] = applied[i].global;
      }
      charged->count = n;
    }
  }
  return Verdict::pass();
}

template <typename AppliedArray>
void LimitStage::give_back_global(const AppliedArray& applied, std::size_t n,
                                  std::uint32_t cost) const noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (applied[i].global) config_.redis->give_back(applied[i].key, cost);
  }
}

Verdict LimitStage::invalid_token(Exchange& ex, JwtStatus status) const noexcept {
  ShortText reason;
  reason << "invalid bearer token: " << to_string(status);
  ShortText challenge;
  challenge << "Bearer error=\"invalid_token\", error_description=\"" << to_string(status) << "\"";
  const HeaderField fields[] = {{"www-authenticate", ex.keep(challenge.view())}};
  Verdict v = Verdict::block(401, "ratelimit", ex.keep(reason.view()), "jwt");
  v.headers = ex.keep(fields);
  return v;
}

void LimitStage::on_complete(Exchange& ex) const noexcept {
  const Charged* charged = ex.state<Charged>(this);
  if (charged == nullptr) return;
  // Bounded before the conversion: a burst is at most a million tokens anyway.
  const double anomaly = std::min(1e6, std::max(0, ex.anomaly_score) * config_.anomaly_cost);
  std::uint32_t extra = static_cast<std::uint32_t>(anomaly);
  if (ex.sent_status >= 400 && ex.sent_status != 429) extra += config_.error_cost;
  if (extra == 0) return;
  const std::int64_t now = config_.now_ns();
  for (std::size_t i = 0; i < charged->count; ++i) {
    if (charged->global[i]) {
      config_.redis->charge(charged->keys[i].first, extra);
    } else {
      config_.table->charge(charged->keys[i].first, charged->keys[i].second->gcra, now, extra);
    }
  }
}

}  // namespace portcullis::ratelimit
