// Micro-benchmark of the ratelimit stage (Google Benchmark): the cost per request of deciding
// and charging two limits (per address, and per network and route) on a request that stays
// under them, as a worker does; and the bucket table alone, for one hot key and for a million
// distinct keys (each a cache miss, as under a key spray). bench/stage_cost.sh prints these
// beside the proxy's throughput with limits configured and without.
//
//   ratelimit_bench [--benchmark_filter=Stage]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ratelimit/limit_stage.h"

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

void Stage(benchmark::State& state) {
  LimitStageConfig c;
  c.limits = {unlimited("per-ip", {"ip"}), unlimited("per-net", {"ip/24", "route"})};
  c.table = std::make_shared<BucketTable>(1 << 18);
  c.now_ns = &bench_now;
  static const LimitStage* stage = new LimitStage(c);
  const std::vector<HeaderField> headers = {{"host", "api.example.com"},
                                            {"user-agent", "curl/8.0"}};
  for (auto _ : state) {
    Exchange ex;
    ex.client_ip = "203.0.113.7";
    ex.route_id = "routes[0]";
    ex.headers = headers;
    Verdict v = stage->on_headers(ex);
    ex.sent_status = 200;
    stage->on_complete(ex);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
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

}  // namespace

BENCHMARK_MAIN();
