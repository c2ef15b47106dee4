// Metrics: per-worker shards of counters and histograms, summed when /metrics is scraped.
// A worker writes only its own shard (plain relaxed loads and stores, no lock, no shared cache
// line); the scraper reads every shard. Label sets are bounded: listeners, routes and upstreams
// by their slots (config/labels.h), stages and rules by small fixed tables.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/labels.h"
#include "core/clock.h"
#include "core/exchange.h"
#include "core/verdict.h"

namespace portcullis::proxy {

// A monotonic counter with one writer.
class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// A gauge with one writer.
class Gauge {
 public:
  void add(std::int64_t n) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Latency histogram with fixed bucket bounds (seconds), one writer.
class Histogram {
 public:
  static constexpr std::array<double, 14> kBounds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  void observe(Duration d) noexcept;
  // The observations in bucket i: above kBounds[i - 1] and at most kBounds[i] (i ==
  // kBounds.size(): above the last bound). Not cumulative: the exposition sums them.
  std::uint64_t bucket(std::size_t i) const noexcept { return buckets_[i].value(); }
  std::uint64_t sum_ns() const noexcept { return sum_ns_.value(); }

 private:
  std::array<Counter, kBounds.size() + 1> buckets_;  // non-cumulative; +Inf last
  Counter sum_ns_;
};

// The verdict label of a request.
enum class VerdictLabel : std::uint8_t { kPass, kBlock, kChallenge, kRateLimit, kDetect, kCount };
VerdictLabel verdict_label(const Verdict& enforced, const Verdict& detected) noexcept;

// Why an upstream attempt failed.
enum class UpstreamError : std::uint8_t {
  kConnect,      // refused or unreachable
  kTimeout,      // connect, handshake or response timeout
  kTls,          // handshake failed
  kReset,        // closed or reset before a complete response
  kBadResponse,  // malformed or oversized response head
  kCount
};

// Stages by name; the table is small and fixed (DESIGN.md's stages and access).
inline constexpr std::array<std::string_view, 6> kStageNames = {"access", "bots", "ratelimit",
                                                                "schema", "waf",  "other"};
std::size_t stage_index(std::string_view stage) noexcept;

// One worker's metrics.
class WorkerMetrics {
 public:
  static constexpr std::size_t kListeners = config::label_capacity(config::LabelKind::kListener);
  static constexpr std::size_t kRoutes = config::label_capacity(config::LabelKind::kRoute);
  static constexpr std::size_t kUpstreams = config::label_capacity(config::LabelKind::kUpstream);
  static constexpr std::size_t kProtocols = 2;  // HTTP/1.x, HTTP/2
  static constexpr std::size_t kClasses = 5;    // 1xx .. 5xx
  static constexpr std::size_t kVerdicts = static_cast<std::size_t>(VerdictLabel::kCount);
  static constexpr std::size_t kMaxRuleKeys = 256;

  // One finished request.
  void request(std::uint16_t listener, std::uint16_t route, Protocol protocol, int status,
               VerdictLabel verdict, Duration elapsed) noexcept;
  // A stage's verdict that blocked (or, in detect mode, would have): counted by stage and rule.
  void block(std::string_view stage, std::string_view rule, bool detected) noexcept;

  Counter& connections_accepted(std::uint16_t listener) noexcept { return accepted_[listener]; }
  Gauge connections_active;
  Counter tls_handshake_failures;
  Gauge upstream_idle;

  struct PerUpstream {
    Counter requests;
    Counter connections_opened;
    Counter connections_reused;
    std::array<Counter, static_cast<std::size_t>(UpstreamError::kCount)> errors;
    Histogram response_time;  // request sent to response head
    // The adaptive concurrency limit (ratelimit/concurrency_limit.h): this worker's current
    // limit, and the requests it refused with 503 at the limit.
    Gauge concurrency_limit;
    Counter shed;
  };
  PerUpstream& upstream(std::uint16_t slot) noexcept { return upstreams_[slot]; }

  Histogram& stage_time(std::size_t stage) noexcept { return stage_time_[stage]; }
  // Times the stages that an exchange ran (Exchange::stage_ns), and counts its bot class and
  // signals when the bots stage ran.
  void stages(const Exchange& ex) noexcept;
  static constexpr std::size_t kBotClasses = 4;
  static constexpr std::size_t kBotSignals = 16;
  const Counter& bot_class(std::size_t c) const noexcept { return bot_classes_[c]; }
  const Counter& bot_signal(std::size_t s) const noexcept { return bot_signals_[s]; }

  // Read side.
  std::uint64_t requests(std::size_t listener, std::size_t route, std::size_t protocol,
                         std::size_t cls, std::size_t verdict) const noexcept {
    return requests_[index(listener, route, protocol, cls, verdict)].value();
  }
  const Histogram& request_time(std::size_t protocol) const noexcept {
    return request_time_[protocol];
  }
  const Histogram& stage_time(std::size_t stage) const noexcept { return stage_time_[stage]; }
  const Counter& accepted(std::size_t listener) const noexcept { return accepted_[listener]; }
  const PerUpstream& upstream(std::size_t slot) const noexcept { return upstreams_[slot]; }
  struct RuleCount {
    std::string stage, rule;
    std::uint64_t blocked = 0, detected = 0;
  };
  std::vector<RuleCount> rules() const;

 private:
  static std::size_t index(std::size_t listener, std::size_t route, std::size_t protocol,
                           std::size_t cls, std::size_t verdict) noexcept {
    return (((listener * kRoutes + route) * kProtocols + protocol) * kClasses + cls) * kVerdicts +
           verdict;
  }
  std::array<Counter, kListeners * kRoutes * kProtocols * kClasses * kVerdicts> requests_;
  std::array<Histogram, kProtocols> request_time_;
  std::array<Histogram, kStageNames.size()> stage_time_;
  std::array<Counter, kListeners> accepted_;
  std::array<Counter, kBotClasses> bot_classes_;
  std::array<Counter, kBotSignals> bot_signals_;
  std::array<PerUpstream, kUpstreams> upstreams_;

  // Blocks by (stage, rule): an open-addressing table the worker fills without a lock. A slot's
  // names are written once, before `used` is set (release); the scraper reads only slots it
  // sees used (acquire). When the table is full, further rules count as "other".
  struct RuleSlot {
    std::atomic<bool> used{false};
    std::uint8_t stage_len = 0, rule_len = 0;
    char stage[16] = {};
    char rule[46] = {};
    Counter blocked, detected;
  };
  RuleSlot* rule_slot(std::string_view stage, std::string_view rule) noexcept;
  std::array<RuleSlot, kMaxRuleKeys> rule_slots_;
  std::size_t rules_used_ = 0;  // worker only
  RuleSlot other_rules_;
};

// What the control plane adds to the exposition.
struct ControlMetrics {
  std::uint64_t reloads_ok = 0;
  std::uint64_t reloads_failed = 0;
  std::string config_hash;
  std::uint64_t generation = 0;
  double last_reload_ok_unix = 0;
  bool last_reload_ok = true;
  std::uint64_t events_written = 0;
  std::uint64_t events_dropped = 0;
  std::uint64_t access_written = 0;
  std::uint64_t access_dropped = 0;
  std::uint64_t waf_load_warnings = 0;  // of the configuration in force
};

// The Prometheus text exposition (format 0.0.4) of the sum of `workers` and `control`.
std::string render_metrics(const std::vector<const WorkerMetrics*>& workers,
                           const ControlMetrics& control);

}  // namespace portcullis::proxy
