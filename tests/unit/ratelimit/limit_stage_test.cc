// The ratelimit stage: keys, the strictest limit deciding, the 429 and its fields, bot classes,
// trusted proxies and the risk-weighted cost.
#include "ratelimit/limit_stage.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/jwt_signer.h"

namespace portcullis::ratelimit {
namespace {

std::int64_t now_value = 1'000'000'000'000;
std::int64_t test_now() { return now_value; }

Limit limit(std::string name, std::uint64_t per_second, std::uint32_t burst,
            std::vector<std::string> key = {"ip"}) {
  Limit l;
  l.name = std::move(name);
  l.requests = per_second;
  l.period_ns = 1'000'000'000;
  l.burst = burst;
  for (const auto& k : key) l.key.push_back(KeyPart::parse(k).value());
  return l;
}

LimitStageConfig config(std::vector<Limit> limits) {
  LimitStageConfig c;
  c.limits = std::move(limits);
  c.table = std::make_shared<BucketTable>(1024);
  c.now_ns = &test_now;
  c.bot_score_cost = 0;
  return c;
}

struct Request {
  std::vector<HeaderField> headers;
  Exchange ex;
  explicit Request(std::string_view ip, std::initializer_list<HeaderField> h = {}) : headers(h) {
    ex.client_ip = ip;
    ex.headers = headers;
    ex.route_id = "routes[0]";
  }
};

Verdict run(const LimitStage& stage, Request&& r) { return stage.on_headers(r.ex); }

std::string field(const Verdict& v, std::string_view name) {
  for (const HeaderField& f : v.headers) {
    if (f.name == name) return std::string(f.value);
  }
  return "<absent>";
}

TEST(LimitStageTest, RefusesPastTheBurstWith429AndItsFields) {
  LimitStage stage(config({limit("per-ip", 10, 3)}));
  for (int i = 0; i < 3; ++i) {
    Request r("192.0.2.1");
    EXPECT_TRUE(stage.on_headers(r.ex).is_continue()) << i;
    EXPECT_EQ(r.ex.limiter_key, "ip=192.0.2.1");
  }
  Request r("192.0.2.1");
  Verdict v = stage.on_headers(r.ex);
  EXPECT_EQ(v.action, Action::kRateLimit);
  EXPECT_EQ(v.status, 429);
  EXPECT_EQ(v.retry_after_s, 1u) << "100 ms, rounded up to a whole second";
  EXPECT_EQ(v.stage, "ratelimit");
  EXPECT_EQ(v.rule, "per-ip");
  EXPECT_EQ(field(v, "ratelimit-policy"), "\"per-ip\";q=3;w=1");
  EXPECT_EQ(field(v, "ratelimit"), "\"per-ip\";r=0;t=1");
  EXPECT_TRUE(run(stage, Request("192.0.2.2")).is_continue()) << "another client";
}

TEST(LimitStageTest, PassingResponsesCanCarryTheTightestLimitsFields) {
  LimitStageConfig c = config({limit("per-ip", 10, 5), limit("per-route", 1, 3, {"route"})});
  c.response_fields = true;
  LimitStage stage(c);
  auto fields_of = [](const Exchange& ex) {
    std::string out;
    for (const HeaderField& f : ex.response_fields) {
      out += std::string(f.name) + ": " + std::string(f.value) + "\n";
    }
    return out;
  };
  Request first("192.0.2.1");
  ASSERT_TRUE(stage.on_headers(first.ex).is_continue());
  EXPECT_EQ(fields_of(first.ex),
            "ratelimit-policy: \"per-route\";q=3;w=3\nratelimit: \"per-route\";r=2;t=1\n");
  Request second("192.0.2.2");
  ASSERT_TRUE(stage.on_headers(second.ex).is_continue());
  EXPECT_EQ(fields_of(second.ex),
            "ratelimit-policy: \"per-route\";q=3;w=3\nratelimit: \"per-route\";r=1;t=2\n");
  c.response_fields = false;
  LimitStage quiet(c);
  Request third("192.0.2.3");
  ASSERT_TRUE(quiet.on_headers(third.ex).is_continue());
  EXPECT_TRUE(third.ex.response_fields.empty()) << "off unless asked for";
}

TEST(LimitStageTest, TheStrictestLimitDecidesAndRefusalsChargeNothing) {
  LimitStage stage(config({limit("per-ip", 1, 3), limit("per-route", 1, 2, {"route"})}));
  EXPECT_TRUE(run(stage, Request("192.0.2.1")).is_continue());
  EXPECT_TRUE(run(stage, Request("192.0.2.2")).is_continue());
  Verdict v = run(stage, Request("192.0.2.3"));
  EXPECT_EQ(v.rule, "per-route");
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(run(stage, Request("192.0.2.3")).is_continue());
  // A second later the route has one token again, and 192.0.2.3's own bucket was never charged
  // by its refused requests (charged, it would be empty for ten seconds).
  now_value += 1'000'000'000;
  EXPECT_TRUE(run(stage, Request("192.0.2.3")).is_continue());
}

TEST(LimitStageTest, OfSeveralRefusalsTheLongestWaitDecides) {
  Limit per_minute = limit("per-route", 1, 1, {"route"});
  per_minute.period_ns = 60'000'000'000;
  LimitStage stage(config({limit("per-ip", 10, 1), per_minute}));
  EXPECT_TRUE(run(stage, Request("192.0.2.1")).is_continue());
  Request second("192.0.2.1");  // the verdict's fields live in its exchange
  Verdict v = stage.on_headers(second.ex);
  EXPECT_EQ(v.rule, "per-route") << "both refuse; the client must wait for the slower one";
  EXPECT_EQ(v.retry_after_s, 60u);
  EXPECT_EQ(field(v, "ratelimit"), "\"per-route\";r=0;t=60");
}

TEST(LimitStageTest, HeaderKeysApplyOnlyWhenTheHeaderIsThere) {
  LimitStage stage(config({limit("per-key", 1, 1, {"header:X-Api-Key"})}));
  EXPECT_TRUE(run(stage, Request("192.0.2.1", {{"x-api-key", "a"}})).is_continue());
  EXPECT_FALSE(run(stage, Request("192.0.2.9", {{"X-API-KEY", "a"}})).is_continue());
  EXPECT_TRUE(run(stage, Request("192.0.2.1", {{"x-api-key", "b"}})).is_continue());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(run(stage, Request("192.0.2.1")).is_continue()) << "no key: no limit";
  }
}

TEST(LimitStageTest, NetworksShareABucket) {
  LimitStage stage(config({limit("per-net", 1, 2, {"ip/24"}), limit("per-v6", 1, 1, {"ip/64"})}));
  Request a("192.0.2.1");
  EXPECT_TRUE(stage.on_headers(a.ex).is_continue());
  EXPECT_EQ(a.ex.limiter_key, "ip/24=192.0.2.0");
  EXPECT_TRUE(run(stage, Request("192.0.2.200")).is_continue());
  EXPECT_FALSE(run(stage, Request("192.0.2.99")).is_continue());
  EXPECT_TRUE(run(stage, Request("192.0.3.1")).is_continue());
  Request v6("2001:db8:1:2::1");
  EXPECT_TRUE(stage.on_headers(v6.ex).is_continue());
  EXPECT_EQ(v6.ex.limiter_key, "ip/24=2001:d00::") << "the first limit's key: 2001:0d00::/24";
  EXPECT_FALSE(run(stage, Request("2001:db8:1:2:ffff::9")).is_continue()) << "same /64";
}

TEST(LimitStageTest, TrustedProxiesForwardTheClientsAddress) {
  LimitStageConfig c = config({limit("per-ip", 1, 1)});
  c.trusted_proxies = {Cidr::parse("10.0.0.0/8").value()};
  LimitStage stage(c);
  Request via("10.1.1.1", {{"x-forwarded-for", "198.51.100.7, 10.2.2.2"}});
  EXPECT_TRUE(stage.on_headers(via.ex).is_continue());
  EXPECT_EQ(via.ex.limiter_key, "ip=198.51.100.7");
  Request again("10.9.9.9", {{"X-Forwarded-For", "203.0.113.1, 198.51.100.7"}});
  EXPECT_FALSE(stage.on_headers(again.ex).is_continue()) << "the same client via another proxy";
  Request direct("198.51.100.8", {{"x-forwarded-for", "198.51.100.7"}});
  EXPECT_TRUE(stage.on_headers(direct.ex).is_continue());
  EXPECT_EQ(direct.ex.limiter_key, "ip=198.51.100.8") << "an untrusted peer's header is ignored";
}

TEST(LimitStageTest, ALimitCanSelectBotClasses) {
  Limit bots = limit("automation", 1, 1);
  bots.bot_classes = {"automation", "malicious"};
  LimitStage stage(config({bots, limit("everyone", 100, 100)}));
  for (int i = 0; i < 3; ++i) {
    Request human("192.0.2.1");
    human.ex.bot_class = "human";
    EXPECT_TRUE(stage.on_headers(human.ex).is_continue());
  }
  Request tool("192.0.2.1");
  tool.ex.bot_class = "automation";
  EXPECT_TRUE(stage.on_headers(tool.ex).is_continue());
  Request again("192.0.2.1");
  again.ex.bot_class = "automation";
  EXPECT_EQ(stage.on_headers(again.ex).rule, "automation");
}

TEST(LimitStageTest, SuspectedClientsPayMorePerRequest) {
  LimitStageConfig c = config({limit("per-ip", 1, 10)});
  c.bot_score_cost = 4;  // score 100: 5 tokens; score 0: 1
  LimitStage stage(c);
  int human = 0, suspect = 0;
  for (int i = 0; i < 20; ++i) {
    Request h("192.0.2.1");
    human += stage.on_headers(h.ex).is_continue();
    Request s("192.0.2.2");
    s.ex.bot_score = 100;
    suspect += stage.on_headers(s.ex).is_continue();
  }
  EXPECT_EQ(human, 10);
  EXPECT_EQ(suspect, 2);
}

TEST(LimitStageTest, WhatLaterStagesFindIsChargedAfterTheRequest) {
  LimitStageConfig c = config({limit("per-ip", 1, 10)});
  c.error_cost = 2;
  c.anomaly_cost = 0.2;
  LimitStage stage(c);
  // How many of ten requests from `ip` pass, each completed with `status` and `anomaly`.
  auto passing = [&](std::string_view ip, std::uint16_t status, int anomaly) {
    int passed = 0;
    for (int i = 0; i < 10; ++i) {
      Request r(ip);
      if (!stage.on_headers(r.ex).is_continue()) continue;
      ++passed;
      r.ex.sent_status = status;
      r.ex.anomaly_score = anomaly;
      stage.on_complete(r.ex);
    }
    return passed;
  };
  // A client whose requests fail: each costs 1, then 2 more once its 404 is known.
  EXPECT_EQ(passing("192.0.2.1", 404, 0), 4)
      << "1+2, 1+2, 1+2, then 1 fits in 10 (the last charge is capped)";
  // A client the WAF scored 25 below its threshold: 1 + 5 per request.
  EXPECT_EQ(passing("192.0.2.2", 200, 25), 2);
  // A client whose requests succeed keeps its whole budget.
  const int fine = passing("192.0.2.3", 200, 0);
  EXPECT_EQ(fine, 10);
}

TEST(LimitStageTest, AnUnchangedLimitKeepsItsIdentity) {
  EXPECT_EQ(LimitStage::identity(limit("a", 10, 5)), LimitStage::identity(limit("a", 10, 5)));
  EXPECT_NE(LimitStage::identity(limit("a", 10, 5)), LimitStage::identity(limit("a", 10, 6)));
  EXPECT_NE(LimitStage::identity(limit("a", 10, 5)),
            LimitStage::identity(limit("a", 10, 5, {"route"})));
}

std::string bearer(const portcullis::testing::JwtSigner& signer, const std::string& sub) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   600;
  return "Bearer " + signer.sign(R"({"sub":")" + sub + R"(","exp":)" + std::to_string(exp) + "}");
}

TEST(LimitStageTest, JwtClaimKeysCountPerClaimOfACheckedToken) {
  portcullis::testing::JwtSigner issuer("ES256", "k1");
  portcullis::testing::JwtSigner stranger("ES256", "k1");
  auto path = std::filesystem::temp_directory_path() / "portcullis-limit-jwks.json";
  std::ofstream(path) << R"({"keys":[)" << issuer.jwk() << "]}";
  JwtOptions options;
  options.jwks_file = path.string();
  LimitStageConfig c = config({limit("per-user", 1, 2, {"jwt:sub"})});
  c.jwt = JwtVerifier::make(options).value();
  LimitStage stage(c);
  const std::string alice = bearer(issuer, "alice");
  for (int i = 0; i < 2; ++i) {
    Request r("192.0.2.1", {{"authorization", alice}});
    EXPECT_TRUE(stage.on_headers(r.ex).is_continue());
    EXPECT_EQ(r.ex.limiter_key, "jwt:sub=alice");
  }
  EXPECT_EQ(run(stage, Request("192.0.2.7", {{"authorization", alice}})).status, 429)
      << "the same user from another address";
  EXPECT_TRUE(
      run(stage, Request("192.0.2.1", {{"authorization", bearer(issuer, "bob")}})).is_continue());
  // A token the issuer did not sign is refused, whatever its claims.
  const std::string carol = bearer(stranger, "carol");
  Request forged("192.0.2.1", {{"authorization", carol}});
  Verdict v = stage.on_headers(forged.ex);
  EXPECT_EQ(v.status, 401);
  EXPECT_EQ(v.rule, "jwt");
  EXPECT_EQ(v.reason, "invalid bearer token: bad signature");
  EXPECT_EQ(field(v, "www-authenticate"),
            R"(Bearer error="invalid_token", error_description="bad signature")");
  // No token: the limit does not apply (other limits, such as per address, still do).
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(run(stage, Request("192.0.2.1")).is_continue());
  // invalid: ignore lets a bad token through, unlimited by its claims.
  c.reject_invalid_jwt = false;
  LimitStage lenient(c);
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(run(lenient, Request("192.0.2.1", {{"authorization", bearer(stranger, "carol")}}))
                    .is_continue());
  }
}

TEST(LimitStageTest, WithoutKeysClaimsAreReadUnchecked) {
  portcullis::testing::JwtSigner anyone("HS256", "", "any secret at all, not configured here");
  LimitStage stage(config({limit("per-tenant", 1, 1, {"jwt:tenant"})}));
  auto token = [&](const char* tenant) {
    return "Bearer " + anyone.sign(std::string(R"({"tenant":")") + tenant + "\"}");
  };
  EXPECT_TRUE(run(stage, Request("192.0.2.1", {{"authorization", token("t1")}})).is_continue());
  EXPECT_EQ(run(stage, Request("192.0.2.1", {{"authorization", token("t1")}})).status, 429);
  EXPECT_TRUE(run(stage, Request("192.0.2.1", {{"authorization", token("t2")}})).is_continue());
  EXPECT_TRUE(
      run(stage, Request("192.0.2.1", {{"authorization", "Bearer not-a-jwt"}})).is_continue());
}

TEST(LimitStageTest, NestedClaimsByTheirPath) {
  portcullis::testing::JwtSigner anyone("HS256", "", "any secret at all, not configured here");
  LimitStage stage(config({limit("per-org", 1, 1, {"jwt:org.id"})}));
  auto token = [&](const char* org, const char* user) {
    return "Bearer " + anyone.sign(std::string(R"({"sub":")") + user + R"(","org":{"id":")" + org +
                                   R"(","plan":"pro"}})");
  };
  EXPECT_TRUE(
      run(stage, Request("192.0.2.1", {{"authorization", token("acme", "alice")}})).is_continue());
  EXPECT_EQ(run(stage, Request("192.0.2.2", {{"authorization", token("acme", "bob")}})).status, 429)
      << "bob is of the same organisation";
  EXPECT_TRUE(run(stage, Request("192.0.2.3", {{"authorization", token("globex", "carol")}}))
                  .is_continue());
}

TEST(LimitStageTest, OperationKeysCountPerOperation) {
  LimitStageConfig c = config({limit("per-op", 1, 1, {"operation"})});
  c.operation_of = [](const Exchange& ex) -> std::string_view {
    if (ex.path.starts_with("/orders/")) return "getOrder";
    if (ex.path == "/orders") return "POST /orders";
    return {};
  };
  LimitStage stage(c);
  auto at = [&](std::string_view path, std::string* key = nullptr) {
    Request r("192.0.2.1");
    r.ex.path = path;
    Verdict v = stage.on_headers(r.ex);
    if (key != nullptr) *key = std::string(r.ex.limiter_key);
    return v.status;
  };
  std::string key;
  EXPECT_EQ(at("/orders/1", &key), 0);
  EXPECT_EQ(key, "operation=getOrder");
  EXPECT_EQ(at("/orders/2"), 429) << "the same operation";
  EXPECT_EQ(at("/orders"), 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(at("/unknown"), 0) << "no operation";
}

TEST(LimitStageTest, FingerprintAndClassKeys) {
  LimitStage stage(
      config({limit("per-ja4", 1, 1, {"ja4"}), limit("per-stack", 1, 2, {"fingerprint"}),
              limit("per-class", 1, 3, {"bot_class"})}));
  auto at = [&](std::string_view ip, std::string_view ja4, std::string_view h2,
                std::string_view cls, std::string* key = nullptr) {
    Request r(ip);
    r.ex.ja4 = ja4;
    r.ex.h2_fingerprint = h2;
    r.ex.header_fingerprint = "h2l12e7_0123456789ab";
    r.ex.bot_class = cls;
    Verdict v = stage.on_headers(r.ex);
    if (key != nullptr) *key = std::string(r.ex.limiter_key);
    return v.status == 429 ? std::string(v.rule) : std::string("pass");
  };
  std::string key;
  EXPECT_EQ(
      at("192.0.2.1", "t13d1516h2_8daaf6152771_b0da82dd1658", "1:65536|0|m,a,s,p", "human", &key),
      "pass");
  EXPECT_EQ(key, "ja4=t13d1516h2_8daaf6152771_b0da82dd1658");
  EXPECT_EQ(at("192.0.2.2", "t13d1516h2_8daaf6152771_b0da82dd1658", "1:65536|0|m,a,s,p", "human"),
            "per-ja4")
      << "the same TLS client from another address";
  // Without TLS there is no JA4: that limit does not apply; the stack and class ones do.
  EXPECT_EQ(at("192.0.2.3", "", "", "automation", &key), "pass");
  EXPECT_EQ(key, "fp=||h2l12e7_0123456789ab");
  EXPECT_EQ(at("192.0.2.4", "", "", "automation"), "pass");
  EXPECT_EQ(at("192.0.2.5", "", "", "automation"), "per-stack") << "the same client stack";
  EXPECT_EQ(at("192.0.2.6", "", "1:1|0|m,p,a,s", "automation"), "pass") << "another stack";
  EXPECT_EQ(at("192.0.2.7", "", "1:2|0|m,p,a,s", "automation"), "per-class")
      << "yet another stack, but the class has had its 3";
  EXPECT_EQ(at("192.0.2.8", "", "1:3|0|m,p,a,s", "human"), "pass");
}

// A store whose Redis is never there (nothing listens on port 1 of loopback).
std::shared_ptr<RedisStore> unreachable_redis(RedisOptions::Unavailable policy) {
  RedisOptions o;
  o.port = 1;
  o.on_unavailable = policy;
  return std::make_shared<RedisStore>(o);
}

TEST(LimitStageTest, GlobalLimitsWithoutRedisDoAsConfigured) {
  Limit global = limit("shared", 1, 2);
  global.global = true;
  LimitStageConfig c = config({global});
  c.redis = unreachable_redis(RedisOptions::Unavailable::kLocal);
  const auto fallbacks = RedisStore::stats().fallbacks;
  LimitStage local(c);
  EXPECT_TRUE(run(local, Request("192.0.2.1")).is_continue());
  EXPECT_TRUE(run(local, Request("192.0.2.1")).is_continue());
  EXPECT_EQ(run(local, Request("192.0.2.1")).status, 429) << "kept as a local limit";
  EXPECT_EQ(RedisStore::stats().fallbacks - fallbacks, 3u);

  c.redis = unreachable_redis(RedisOptions::Unavailable::kOpen);
  LimitStage open(c);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(run(open, Request("192.0.2.2")).is_continue());

  c.redis = unreachable_redis(RedisOptions::Unavailable::kClosed);
  LimitStage closed(c);
  Request r("192.0.2.3");
  Verdict v = closed.on_headers(r.ex);
  EXPECT_EQ(v.status, 503);
  EXPECT_EQ(v.retry_after_s, 1u);
  EXPECT_EQ(v.reason, "rate limit store unavailable");
  EXPECT_EQ(v.rule, "shared");
}

TEST(LimitStageTest, ABatchFollowsTheRateAndTheBurst) {
  EXPECT_EQ(RedisStore::batch_for(Gcra(1, 60'000'000'000, 20)), 2) << "an eighth of the burst";
  EXPECT_EQ(RedisStore::batch_for(Gcra(1000, 1'000'000'000, 100)), 50) << "1/20 s of the rate";
  EXPECT_EQ(RedisStore::batch_for(Gcra(1'000'000, 1'000'000'000, 10)), 10) << "at most the burst";
  EXPECT_EQ(RedisStore::batch_for(Gcra(1, 3'600'000'000'000, 1)), 1);
}

TEST(KeyPartTest, ParsesAndRefuses) {
  EXPECT_EQ(KeyPart::parse("header:X-Api-Key").value().to_string(), "header:x-api-key");
  EXPECT_EQ(KeyPart::parse("ip/64").value().prefix_bits, 64);
  EXPECT_EQ(KeyPart::parse("jwt:sub").value().to_string(), "jwt:sub");
  EXPECT_EQ(KeyPart::parse("operation").value().kind, KeyPart::Kind::kOperation);
  for (const char* bad : {"ip/129", "ip/", "header:", "cookie", "ip/x", "jwt:"}) {
    EXPECT_FALSE(KeyPart::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace portcullis::ratelimit
