// The ratelimit stage (DESIGN.md "ratelimit"): token-bucket limits (GCRA, ratelimit/gcra.h) on
// keys built from the request (client address or network, a header, the route, the client's
// fingerprints, its bot class), in one bounded table shared by all workers and kept across
// reloads (ratelimit/bucket_table.h). Several limits may apply to one request; the strictest
// decides: the request is refused with 429 when any of them is exhausted, and then takes from
// none of them.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/ip.h"
#include "core/stage.h"
#include "ratelimit/bucket_table.h"
#include "ratelimit/gcra.h"
#include "ratelimit/jwt.h"
#include "ratelimit/redis_store.h"

namespace portcullis::ratelimit {

// One part of a limit's key.
struct KeyPart {
  enum class Kind : std::uint8_t {
    kIp,           // the client's address (X-Forwarded-For from trusted proxies, else the peer)
    kNetwork,      // the client's network: its address cut to `prefix_bits` (v4 /N, v6 /N)
    kHeader,       // the value of header `name` (the limit does not apply when it is absent)
    kRoute,        // the matched route's name
    kJa4,          // the client's JA4 (the limit does not apply without TLS)
    kFingerprint,  // JA4, HTTP/2 and header fingerprints together (the bots stage's client stack)
    kBotClass,     // the bots stage's class
    kJwtClaim,     // claim `name` of the bearer token (the limit does not apply without it)
    kOperation,    // the OpenAPI operation (its operationId, else "METHOD /template")
  };
  Kind kind = Kind::kIp;
  std::string name;     // kHeader: the header name; kJwtClaim: the claim
  int prefix_bits = 0;  // kNetwork: of the address as written (IPv4 0..32, IPv6 0..128)

  // "ip", "ip/24", "header:x-api-key", "jwt:sub", "route", "operation", "ja4", "fingerprint",
  // "bot_class".
  static Result<KeyPart> parse(std::string_view text);
  std::string to_string() const;
};

struct Limit {
  std::string name;  // the RateLimit-Policy name and the rule of events and metrics
  std::uint64_t requests = 100;
  std::int64_t period_ns = 1'000'000'000;
  std::uint32_t burst = 100;
  std::vector<KeyPart> key;              // all parts together make the key
  std::vector<std::string> bot_classes;  // only requests of these classes; empty: all
  bool global = false;  // one bucket per key across replicas, in Redis (LimitStageConfig::redis)
};

struct LimitStageConfig {
  std::vector<Limit> limits;
  // Risk-weighted cost: a request costs 1 + floor(bot_score × bot_score_cost / 100) tokens, so a
  // client the bots stage suspects spends its budget faster (0: every request costs 1).
  double bot_score_cost = 2;
  // Feedback: what later stages and the upstream found about an allowed request is charged to
  // the keys it was allowed under once it is over (DESIGN.md "adaptive through feedback"), so a
  // key that keeps sending flagged or failing requests exhausts its budget sooner.
  double anomaly_cost = 0.2;          // tokens per point of WAF anomaly score (blocking or not)
  std::uint32_t error_cost = 1;       // tokens for a request answered 4xx or 5xx (429s aside)
  std::vector<Cidr> trusted_proxies;  // whose X-Forwarded-For names the client
  // Whether a passing response carries RateLimit-Policy and RateLimit for the limit with the
  // fewest requests left (429s always carry them).
  bool response_fields = false;
  std::shared_ptr<BucketTable> table;
  // Where global limits keep their buckets; null: global limits are kept locally.
  std::shared_ptr<RedisStore> redis;
  // Checks bearer tokens before their claims are used as keys; null: claims are read unchecked.
  std::shared_ptr<const JwtVerifier> jwt;
  // With `jwt`: a request whose bearer token fails the check is refused with 401 (else the
  // limits keyed by its claims do not apply to it).
  bool reject_invalid_jwt = true;
  // The request's OpenAPI operation (empty: none), for `operation` keys; set by the loader from
  // the policy's schema.
  std::function<std::string_view(const Exchange&)> operation_of;
  // Nanoseconds on a steady clock; tests inject their own.
  std::int64_t (*now_ns)() = nullptr;
};

// Immutable after construction; safe for concurrent use by multiple threads.
class LimitStage final : public Stage {
 public:
  explicit LimitStage(LimitStageConfig config);

  std::string_view name() const noexcept override { return "ratelimit"; }
  Verdict on_headers(Exchange& exchange) const noexcept override;
  void on_complete(Exchange& exchange) const noexcept override;

  const LimitStageConfig& config() const noexcept { return config_; }
  // A limit's identity: the same definition gives the same value in every config, so that its
  // buckets carry over a reload.
  static std::uint64_t identity(const Limit& limit) noexcept;

 private:
  struct Compiled {
    Limit limit;
    Gcra gcra;
    std::uint64_t identity;
    std::string policy_field;         // "\"name\";q=BURST;w=SECONDS"
    std::vector<std::string> labels;  // KeyPart::to_string() of each key part, made once
  };
  // The keys an allowed request was charged under, kept in its exchange for on_complete.
  struct Charged {
    std::array<std::pair<std::uint64_t, const Compiled*>, 16> keys;
    std::array<bool, 16> global{};
    std::size_t count = 0;
  };

  Verdict invalid_token(Exchange& exchange, JwtStatus status) const noexcept;
  template <typename AppliedArray>
  void give_back_global(const AppliedArray& applied, std::size_t n,
                        std::uint32_t cost) const noexcept;

  LimitStageConfig config_;
  std::vector<Compiled> limits_;
};

}  // namespace portcullis::ratelimit
