// What the dashboard costs: recording one finished request on the worker (an ordinary one, and
// a refused one with WAF findings from one of 10,000 clients), and on the admin thread adding
// four workers' periods into the live view and rendering /api/summary and the 24-hour report.
// Run by bench/dashboard.sh.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "proxy/dashboard.h"

namespace portcullis::proxy {
namespace {

constexpr std::int64_t kStart = 1796040000;

struct Attack {
  std::string client, agent;
};

std::vector<Attack> attackers(int n) {
  std::vector<Attack> out;
  for (int i = 0; i < n; ++i) {
    out.push_back({"198.51." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                   "sqlmap/1." + std::to_string(i % 50)});
  }
  return out;
}

void record_attack(Dashboard& d, const Attack& a, std::int64_t now) {
  static const Finding kFindings[] = {
      {.stage = "waf",
       .rule = "942100",
       .message = "SQL Injection Attack Detected via libinjection"},
      {.stage = "waf",
       .rule = "949110",
       .message = "Inbound Anomaly Score Exceeded (Total Score: 5)"}};
  HeaderField ua{"user-agent", a.agent};
  Exchange ex;
  ex.headers = std::span<const HeaderField>(&ua, 1);
  ex.client_ip = a.client;
  ex.route_id = "api";
  ex.findings = kFindings;
  d.record(&ex, 403, Verdict::block(403, "waf", "Inbound Anomaly Score Exceeded", "949110"),
           Verdict::pass(), now);
}

void BM_RecordPassed(benchmark::State& state) {
  Dashboard d;
  HeaderField ua{"user-agent", "Mozilla/5.0"};
  Exchange ex;
  ex.headers = std::span<const HeaderField>(&ua, 1);
  ex.client_ip = "192.0.2.1";
  std::int64_t i = 0;
  for (auto _ : state) {
    d.record(&ex, 200, Verdict::pass(), Verdict::pass(), kStart + (i++ >> 12));
  }
}
BENCHMARK(BM_RecordPassed);

void BM_RecordRefused(benchmark::State& state) {
  Dashboard d;
  const auto from = attackers(10000);
  std::size_t i = 0;
  for (auto _ : state) {
    record_attack(d, from[i % from.size()], kStart + static_cast<std::int64_t>(i >> 10));
    ++i;
  }
}
BENCHMARK(BM_RecordRefused);

// Four workers that each saw ten minutes of attacks from 10,000 clients.
std::vector<Dashboard>& busy_workers() {
  static std::vector<Dashboard> workers(4);
  static bool filled = false;
  if (!filled) {
    const auto from = attackers(10000);
    for (std::size_t w = 0; w < workers.size(); ++w) {
      for (int i = 0; i < 60000; ++i)
        record_attack(workers[w], from[(i * 7 + w) % from.size()], kStart + i / 100);
    }
    filled = true;
  }
  return workers;
}

void BM_Summary(benchmark::State& state) {
  auto& workers = busy_workers();
  const std::int64_t now = kStart + 600;
  ConfigState config;
  config.json = "{}";
  for (auto _ : state) {
    Dashboard::View v(Dashboard::Range::kLive);
    for (const Dashboard& w : workers) w.add_to(v, now, Dashboard::kLiveSeconds);
    benchmark::DoNotOptimize(render_summary(v, now, {}, config));
  }
}
BENCHMARK(BM_Summary)->Unit(benchmark::kMicrosecond);

void BM_Report24h(benchmark::State& state) {
  auto& workers = busy_workers();
  const std::int64_t now = kStart + 600;
  ConfigState config;
  std::string hash;
  for (auto _ : state) {
    Dashboard::View v(Dashboard::Range::kDay);
    for (const Dashboard& w : workers) w.add_to(v, now, Dashboard::kDaySeconds);
    benchmark::DoNotOptimize(render_report_html(v, now, {}, config, hash));
  }
}
BENCHMARK(BM_Report24h)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace portcullis::proxy

BENCHMARK_MAIN();
