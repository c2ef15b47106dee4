// Micro-benchmark of the bots stage (Google Benchmark): the cost per request of classifying it
// as the stage does on a worker, for a Chrome-like HTTP/2 request over TLS and for curl, with
// the CRS user-agent lists loaded when Debian's modsecurity-crs is installed, reputation on and
// the fingerprint headers forwarded; and the parts: the header fingerprint and the classifier.
// bench/stage_cost.sh prints these beside the full proxy's throughput with the stage on and off.
//
//   bots_bench [--benchmark_filter=Stage]
#include <benchmark/benchmark.h>

#include <fstream>
#include <string>
#include <vector>

#include "bots/bot_stage.h"
#include "bots/classifier.h"
#include "bots/header_fingerprint.h"

namespace {

using namespace portcullis;
using namespace portcullis::bots;

constexpr std::string_view kChromeUa =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
    "Safari/537.36";

std::vector<std::string> crs_phrases(const char* file) {
  std::vector<std::string> out;
  std::ifstream in(std::string("/usr/share/modsecurity-crs/rules/") + file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != '#') out.push_back(line);
  }
  return out;
}

BotStageConfig config() {
  BotStageConfig c;
  c.classifier.scanner_agents = crs_phrases("scanners-user-agents.data");
  c.classifier.crawler_agents = crs_phrases("crawlers-user-agents.data");
  c.classifier.library_agents = crs_phrases("scripting-user-agents.data");
  c.forward_headers = true;
  c.reputation = std::make_shared<Reputation>(65536, 10);
  return c;
}

const std::vector<HeaderField> kChrome = {
    {"sec-ch-ua", "\"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"8\""},
    {"sec-ch-ua-mobile", "?0"},
    {"sec-ch-ua-platform", "\"Linux\""},
    {"upgrade-insecure-requests", "1"},
    {"user-agent", kChromeUa},
    {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
    {"sec-fetch-site", "none"},
    {"sec-fetch-mode", "navigate"},
    {"sec-fetch-user", "?1"},
    {"sec-fetch-dest", "document"},
    {"accept-encoding", "gzip, deflate, br"},
    {"accept-language", "en-US,en;q=0.9"},
    {"cookie", "session=abc123; theme=dark"}};
const std::vector<HeaderField> kCurl = {{"user-agent", "curl/7.88.1"}, {"accept", "*/*"}};

void fill(Exchange& ex, const std::vector<HeaderField>& headers, bool chrome) {
  ex.method = "GET";
  ex.headers = headers;
  ex.client_ip = "203.0.113.7";
  ex.tls = true;
  ex.protocol = Protocol::kHttp2;
  ex.tls_grease = chrome;
  ex.ja4 = chrome ? "t13d1516h2_8daaf6152771_e5627efa2ab1" : "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6";
  ex.ja3_hash = "78f0dc5ac5b19daf131a133cfdee9691";
  ex.h2_fingerprint = chrome ? "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p"
                             : "3:100;4:33554432;2:0|33488897|0|m,p,s,a";
}

void Stage(benchmark::State& state, const std::vector<HeaderField>* headers, bool chrome) {
  static const BotStage stage(config());
  for (auto _ : state) {
    Exchange ex;
    fill(ex, *headers, chrome);
    Verdict v = stage.on_headers(ex);
    ex.sent_status = 200;
    stage.on_complete(ex);
    benchmark::DoNotOptimize(v);
    benchmark::DoNotOptimize(ex.bot_score);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK_CAPTURE(Stage, ChromeH2, &kChrome, true);
BENCHMARK_CAPTURE(Stage, Curl, &kCurl, false);

void EmptyExchange(benchmark::State& state) {
  // What building the exchange costs the two benchmarks above, to subtract.
  for (auto _ : state) {
    Exchange ex;
    fill(ex, kChrome, true);
    benchmark::DoNotOptimize(ex.headers);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(EmptyExchange);

void HeaderFingerprintOnly(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(header_fingerprint(kChrome, true));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(HeaderFingerprintOnly);

void ClassifierOnly(benchmark::State& state) {
  static const Classifier classifier(config().classifier);
  ClientFacts f;
  f.has_user_agent = true;
  f.user_agent = kChromeUa;
  f.sec_ch_ua = kChrome[0].value;
  f.headers = header_fingerprint(kChrome, true);
  f.tls = true;
  f.tls_grease = true;
  f.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
  f.http2 = true;
  f.h2_fingerprint = "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p";
  f.client_ip = "203.0.113.7";
  for (auto _ : state) benchmark::DoNotOptimize(classifier.classify(f));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(ClassifierOnly);

}  // namespace

BENCHMARK_MAIN();
