#include "proxy/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::proxy {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(MetricsTest, ShardsAreSummedAndHistogramsAreCumulative) {
  auto a = std::make_unique<WorkerMetrics>();
  auto b = std::make_unique<WorkerMetrics>();
  std::uint16_t listener = config::label_slot(config::LabelKind::kListener, "127.0.0.1:8080");
  std::uint16_t route = config::label_slot(config::LabelKind::kRoute, "api\"v1");
  a->request(listener, route, Protocol::kHttp11, 200, VerdictLabel::kPass,
             std::chrono::microseconds(300));
  b->request(listener, route, Protocol::kHttp11, 204, VerdictLabel::kPass,
             std::chrono::milliseconds(20));
  b->request(listener, route, Protocol::kHttp2, 403, VerdictLabel::kBlock,
             std::chrono::seconds(20));
  b->block("waf", "942100", false);
  b->block("waf", "942100", true);
  std::string text = render_metrics({a.get(), b.get()}, ControlMetrics{});

  // Label values are escaped.
  EXPECT_TRUE(has_line(text,
                       "portcullis_requests_total{listener=\"127.0.0.1:8080\",route=\"api\\\"v1\","
                       "protocol=\"http1\",code_class=\"2xx\",verdict=\"pass\"} 2"))
      << text;
  EXPECT_TRUE(has_line(text,
                       "portcullis_requests_total{listener=\"127.0.0.1:8080\",route=\"api\\\"v1\","
                       "protocol=\"http2\",code_class=\"4xx\",verdict=\"block\"} 1"));
  // 0.3 ms falls in le=0.0005, 20 ms in le=0.025: the buckets count everything at or below.
  EXPECT_TRUE(has_line(
      text, "portcullis_request_duration_seconds_bucket{protocol=\"http1\",le=\"0.0005\"} 1"));
  EXPECT_TRUE(has_line(
      text, "portcullis_request_duration_seconds_bucket{protocol=\"http1\",le=\"0.01\"} 1"));
  EXPECT_TRUE(has_line(
      text, "portcullis_request_duration_seconds_bucket{protocol=\"http1\",le=\"0.025\"} 2"));
  EXPECT_TRUE(
      has_line(text, "portcullis_request_duration_seconds_bucket{protocol=\"http2\",le=\"10\"} 0"));
  EXPECT_TRUE(has_line(
      text, "portcullis_request_duration_seconds_bucket{protocol=\"http2\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(has_line(text, "portcullis_request_duration_seconds_count{protocol=\"http1\"} 2"));
  EXPECT_TRUE(
      has_line(text, "portcullis_blocks_total{stage=\"waf\",rule=\"942100\",mode=\"block\"} 1"));
  EXPECT_TRUE(
      has_line(text, "portcullis_blocks_total{stage=\"waf\",rule=\"942100\",mode=\"detect\"} 1"));
}

TEST(MetricsTest, RuleLabelsAreBounded) {
  auto m = std::make_unique<WorkerMetrics>();
  for (int i = 0; i < 1000; ++i) m->block("waf", std::to_string(i), false);
  auto rules = m->rules();
  EXPECT_LE(rules.size(), WorkerMetrics::kMaxRuleKeys);
  std::uint64_t total = 0;
  for (const auto& r : rules) total += r.blocked;
  EXPECT_EQ(total, 1000u);  // nothing is lost, the rest is counted as "other"
}

TEST(LabelsTest, SlotsAreStableAndBounded) {
  using config::LabelKind;
  std::uint16_t first = config::label_slot(LabelKind::kUpstream, "stable-name");
  EXPECT_EQ(config::label_slot(LabelKind::kUpstream, "stable-name"), first);
  for (int i = 0; i < 500; ++i) {
    EXPECT_LT(config::label_slot(LabelKind::kUpstream, "u" + std::to_string(i)),
              config::label_capacity(LabelKind::kUpstream));
  }
  auto names = config::label_names(LabelKind::kUpstream);
  EXPECT_EQ(names.size(), config::label_capacity(LabelKind::kUpstream));
  EXPECT_EQ(names.back(), "other");
}

}  // namespace
}  // namespace portcullis::proxy
