// Micro-benchmark of the SQL injection and XSS detectors (Google Benchmark): nanoseconds per
// byte for benign and attack inputs from 16 bytes to 1 MB. Time per byte stays flat as inputs
// grow when the detectors are linear; the table shows it (bytes_per_second is the inverse).
//
//   detectors_bench [--benchmark_filter=Sqli]
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "waf/detect/sqli.h"
#include "waf/detect/xss.h"

namespace {

using portcullis::waf::detect::detect_sqli;
using portcullis::waf::detect::detect_xss;

// `unit` repeated to `size` bytes.
std::string repeat(std::string_view unit, std::size_t size) {
  std::string out;
  out.reserve(size + unit.size());
  while (out.size() < size) out.append(unit);
  out.resize(size);
  return out;
}

// Benign prose with the quotes, keywords and markup that make detectors work hardest.
constexpr std::string_view kProse =
    "O'Brien said \"select the best\" or drop it; a < b and c > d, <b>bold</b> 1 or 2 (see) ";
// Values that keep the SQL grammar reading: a long, valid arithmetic expression.
constexpr std::string_view kExpression = "1+(2*3)-4/5+";
constexpr std::string_view kSqliAttack = "1' or '1'='1' union select password from users-- ";
constexpr std::string_view kXssAttack = "<img src=x onerror=alert(1)>";

template <typename Detect>
void run(benchmark::State& state, std::string_view unit, std::string_view suffix, Detect detect) {
  std::string input = repeat(unit, static_cast<std::size_t>(state.range(0)));
  input.append(suffix);
  for (auto _ : state) benchmark::DoNotOptimize(detect(input));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(input.size()));
  state.counters["ns_per_byte"] = benchmark::Counter(
      static_cast<double>(input.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_SqliBenignProse(benchmark::State& s) { run(s, kProse, "", detect_sqli); }
void BM_SqliLongExpression(benchmark::State& s) { run(s, kExpression, "1", detect_sqli); }
void BM_SqliAttackAtEnd(benchmark::State& s) { run(s, kExpression, "1 or 1=1", detect_sqli); }
void BM_SqliAttack(benchmark::State& s) { run(s, kSqliAttack, "", detect_sqli); }
void BM_XssBenignProse(benchmark::State& s) { run(s, kProse, "", detect_xss); }
void BM_XssAttackAtEnd(benchmark::State& s) { run(s, kProse, kXssAttack, detect_xss); }
void BM_XssAttack(benchmark::State& s) { run(s, kXssAttack, "", detect_xss); }

#define SIZES RangeMultiplier(8)->Range(16, 1 << 20)
BENCHMARK(BM_SqliBenignProse)->SIZES;
BENCHMARK(BM_SqliLongExpression)->SIZES;
BENCHMARK(BM_SqliAttackAtEnd)->SIZES;
BENCHMARK(BM_SqliAttack)->SIZES;
BENCHMARK(BM_XssBenignProse)->SIZES;
BENCHMARK(BM_XssAttackAtEnd)->SIZES;
BENCHMARK(BM_XssAttack)->SIZES;

}  // namespace

BENCHMARK_MAIN();
