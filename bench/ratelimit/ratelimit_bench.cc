// Micro-benchmark of the ratelimit stage (Google Benchmark): the cost per request of deciding
// and charging two limits (per address, and per network and route) on a request that stays
// under them, as a worker does; and the bucket table alone, for one hot key and for a million
// distinct keys (each a cache miss, as under a key spray); a limit keyed by a checked JWT claim
// (the token remembered, as for a client that reuses it), and the signature check itself per
// algorithm (always a new token); and, with PORTCULLIS_BENCH_REDIS=HOST:PORT (bench/stage_cost.sh
// --redis starts a redis-server), the same two limits kept global in Redis, for one client and
// for 10,000 (each new key's first request posts a batch request to the Redis thread).
// bench/stage_cost.sh prints these beside the proxy's throughput with limits configured and
// without.
//
//   ratelimit_bench [--benchmark_filter=Stage]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ratelimit/limit_stage.h"
#include "tests/support/jwt_signer.h"

namespace {

using namespace portcullis;
using namespace portcullis::ratelimit;

std::int64_t clock_ns = 1'000'000'000'000;
std::int64_t bench_now() { return clock_ns += 1000; }

Limit unlimited(const char* name, std::vector<const char*> key) {
  Limit l;
  l.name = name;
  l.requests = 100'000'000;
  l.period_ns = 1'000'000'000;
  l.burst = 1'000'000;
  for (const char* k : key) l.key.push_back(KeyPart::parse(k).value());
  return l;
}

// Requests from `clients` in turn through `stage`, each completed (its feedback charged), as a
// worker does.
void run_requests(const LimitStage& stage, benchmark::State& state,
                  const std::vector<std::string>& clients) {
  const std::vector<HeaderField> headers = {{"host", "api.example.com"},
                                            {"user-agent", "curl/8.0"}};
  std::size_t i = 0;
  for (auto _ : state) {
    Exchange ex;
    ex.client_ip = clients[i++ % clients.size()];
    ex.route_id = "routes[0]";
    ex.headers = headers;
    Verdict v = stage.on_headers(ex);
    ex.sent_status = 200;
    stage.on_complete(ex);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

void Stage(benchmark::State& state) {
  LimitStageConfig c;
  c.limits = {unlimited("per-ip", {"ip"}), unlimited("per-net", {"ip/24", "route"})};
  c.table = std::make_shared<BucketTable>(1 << 18);
  c.now_ns = &bench_now;
  static const LimitStage* stage = new LimitStage(c);
  run_requests(*stage, state, {"203.0.113.7"});
}
BENCHMARK(Stage);

void TableHotKey(benchmark::State& state) {
  BucketTable table(1 << 18);
  const Gcra g(100'000'000, 1'000'000'000, 1'000'000);
  for (auto _ : state) benchmark::DoNotOptimize(table.take(0x1234567, g, bench_now()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(TableHotKey);

void TableMillionKeys(benchmark::State& state) {
  BucketTable table(1 << 20);
  const Gcra g(100'000'000, 1'000'000'000, 1'000'000);
  std::uint64_t k = 0;
  for (auto _ : state) {
    k = (k + 1) % 1'000'000;
    benchmark::DoNotOptimize(table.take((k + 1) * 0x9e3779b97f4a7c15ull, g, bench_now()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(TableMillionKeys);

std::int64_t steady_now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The two limits of Stage, global in the Redis of PORTCULLIS_BENCH_REDIS; null without it.
std::shared_ptr<const LimitStage> global_stage() {
  const char* address = std::getenv("PORTCULLIS_BENCH_REDIS");
  if (address == nullptr) return nullptr;
  std::string text = address;
  RedisOptions o;
  o.host = text.substr(0, text.rfind(':'));
  o.port = static_cast<std::uint16_t>(std::atoi(text.c_str() + text.rfind(':') + 1));
  o.prefix = "bench" + std::to_string(steady_now());
  auto store = std::make_shared<RedisStore>(o);
  for (int i = 0; i < 200 && !store->up(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!store->up()) return nullptr;
  LimitStageConfig c;
  c.limits = {unlimited("per-ip", {"ip"}), unlimited("per-net", {"ip/24", "route"})};
  for (Limit& l : c.limits) l.global = true;
  c.table = std::make_shared<BucketTable>(1 << 18);
  c.redis = store;
  c.now_ns = &steady_now;
  return std::make_shared<const LimitStage>(c);
}

void StageGlobal(benchmark::State& state) {
  static const std::shared_ptr<const LimitStage> stage = global_stage();
  if (!stage) {
    state.SkipWithError("set PORTCULLIS_BENCH_REDIS=HOST:PORT (bench/stage_cost.sh --redis)");
    return;
  }
  std::vector<std::string> clients;
  for (int i = 0; i < state.range(0); ++i) {
    clients.push_back("10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                      "." + std::to_string(i % 256));
  }
  const auto refills = RedisStore::stats().refills;
  run_requests(*stage, state, clients);
  // A label, not a counter: the CSV output wants the same counters in every benchmark.
  char label[64];
  std::snprintf(label, sizeof label, "%.5f Redis batches per request",
                static_cast<double>(RedisStore::stats().refills - refills) /
                    static_cast<double>(state.iterations()));
  state.SetLabel(label);
}
BENCHMARK(StageGlobal)->Arg(1)->Arg(10000);

std::shared_ptr<const JwtVerifier> verifier_of(const portcullis::testing::JwtSigner& signer) {
  auto path = std::filesystem::temp_directory_path() / "portcullis-bench-jwks.json";
  std::ofstream(path) << R"({"keys":[)" << signer.jwk() << "]}";
  JwtOptions options;
  options.jwks_file = path.string();
  auto v = JwtVerifier::make(options);
  std::filesystem::remove(path);
  return v.value();
}

std::string claims(int user) {
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count() +
                   3600;
  return R"({"iss":"https://id.example","sub":"user-)" + std::to_string(user) +
         R"(","scope":"orders:read orders:write","exp":)" + std::to_string(exp) + "}";
}

void StageJwtClaim(benchmark::State& state) {
  portcullis::testing::JwtSigner signer("RS256", "k1");
  LimitStageConfig c;
  c.limits = {unlimited("per-user", {"jwt:sub"})};
  c.table = std::make_shared<BucketTable>(1 << 18);
  c.now_ns = &bench_now;
  c.jwt = verifier_of(signer);
  const LimitStage stage(c);
  const std::string authorization = "Bearer " + signer.sign(claims(1));
  const std::vector<HeaderField> headers = {{"host", "api.example.com"},
                                            {"authorization", authorization}};
  for (auto _ : state) {
    Exchange ex;
    ex.client_ip = "203.0.113.7";
    ex.headers = headers;
    Verdict v = stage.on_headers(ex);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(StageJwtClaim);

// A new token each time (64 of them, more than a worker remembers): the public-key check.
void JwtSignatureCheck(benchmark::State& state, const char* alg) {
  portcullis::testing::JwtSigner signer(alg, "k1", "a shared secret of at least 32 characters");
  auto verifier = verifier_of(signer);
  std::vector<std::pair<std::string, std::string>> tokens;  // token, payload
  for (int i = 0; i < 64; ++i) tokens.push_back({signer.sign(claims(i)), claims(i)});
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [token, payload] = tokens[i++ % tokens.size()];
    benchmark::DoNotOptimize(verifier->verify(token, payload, 1'800'000'000));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(JwtSignatureCheck, HS256, "HS256");
BENCHMARK_CAPTURE(JwtSignatureCheck, RS256, "RS256");
BENCHMARK_CAPTURE(JwtSignatureCheck, ES256, "ES256");
BENCHMARK_CAPTURE(JwtSignatureCheck, EdDSA, "EdDSA");

}  // namespace

BENCHMARK_MAIN();
