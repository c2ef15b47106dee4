// Dashboard: one worker's share of what the admin listener's dashboard shows (docs/admin-api.md:
// /api/summary and /api/report). Two views of the same requests, each in fixed memory
// (aggregates.h):
// - live: requests and refusals per 5 s over the last ten minutes, and per-minute periods of
//   counts and top lists for the last ten minutes;
// - day: requests and refusals per 5 minutes over the last 24 hours, and hourly periods for
//   the report.
// The worker records under the dashboard's own lock, which only the admin thread (adding the
// counts into a view) also takes: no lock is shared between workers.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/exchange.h"
#include "core/verdict.h"
#include "proxy/aggregates.h"

namespace portcullis::proxy {

class Dashboard {
 public:
  static constexpr std::size_t kTop = 32;  // counters per top list and period

  // What one period counts.
  struct Period {
    explicit Period(std::size_t k = kTop);
    std::int64_t number = -1;  // the period's start / its width; -1: never used
    std::uint64_t requests = 0;
    std::uint64_t refused = 0;                        // enforced refusals (not detect mode)
    std::uint64_t flagged = 0;                        // refused, or let through by detect mode
    std::array<std::uint64_t, 6> refused_by_stage{};  // kStageNames order
    std::array<std::uint64_t, 4> actions{};           // kActionNames order
    std::array<std::uint64_t, 4> bot_classes{};       // kBotClassNames order
    // "stage:rule" of every rule that matched (with its message as the detail), and of the
    // refusals without one.
    TopK rules;
    // Of flagged requests only.
    TopK clients, ja4, user_agents, routes;
    TopK limited_keys;  // limiter keys of 429s

    void clear() noexcept;
    void merge(const Period& other);
  };

  // The last `count` periods of `width_s` seconds each; the newest is the current one.
  class PeriodRing {
   public:
    PeriodRing(std::size_t count, std::int64_t width_s);
    // The period `now_s` falls in, cleared when it is reused.
    Period& at(std::int64_t now_s) noexcept;
    // Adds the periods that started less than `span_s` before the start of the current one, and
    // the current one, into `into`. Returns the start of the oldest such period.
    std::int64_t add_to(std::int64_t now_s, std::int64_t span_s, Period& into) const;
    std::int64_t width_s() const noexcept { return width_s_; }

   private:
    std::vector<Period> periods_;
    std::int64_t width_s_;
  };

  enum class Range { kLive, kDay };
  static constexpr std::int64_t kLiveSeconds = 600;
  static constexpr std::int64_t kDaySeconds = 24 * 3600;

  // The counts of every worker added together for one range.
  struct View {
    explicit View(Range range);
    Range range;
    TimeBuckets requests, refused;  // the series
    Period totals;                  // the periods in the window, added together
    std::int64_t since = 0;         // the start of the oldest period included
  };

  Dashboard();

  // One finished request (Worker::finish_request).
  void record(const Exchange* ex, int status, const Verdict& enforced, const Verdict& detected,
              std::int64_t now_s) noexcept;
  // Adds this worker's counts of the last `span_s` seconds (rounded to whole periods of the
  // view's range) into `into`.
  void add_to(View& into, std::int64_t now_s, std::int64_t span_s) const;

 private:
  mutable std::mutex mutex_;
  TimeBuckets live_requests_, live_refused_, day_requests_, day_refused_;
  PeriodRing minutes_, hours_;
};

// One upstream's state over a window, as the admin thread derives it from the metrics
// (Server::upstream_window).
struct UpstreamWindow {
  std::string name;
  std::int64_t window_s = 0;
  std::uint64_t requests = 0;
  std::array<std::uint64_t, 5> errors{};    // UpstreamError order
  std::array<std::uint64_t, 15> latency{};  // per Histogram bucket (not cumulative)
  std::uint64_t shed = 0;
  std::int64_t concurrency_limit = 0;  // now, summed over the workers
};

// Samples of the upstreams' totals, taken by the admin thread: every 10 s for the last five
// minutes, and every hour for the last day. A window is the difference between the totals now
// and the newest sample at least that old (or the oldest there is). Bounded: 31 + 25 samples.
class UpstreamHistory {
 public:
  static constexpr std::int64_t kSampleSeconds = 10;
  void sample(std::int64_t now_s, const std::vector<UpstreamWindow>& totals);
  std::vector<UpstreamWindow> window(std::int64_t now_s, std::int64_t span_s,
                                     const std::vector<UpstreamWindow>& totals) const;

 private:
  struct Sample {
    std::int64_t time = 0;
    std::vector<UpstreamWindow> totals;
  };
  std::vector<Sample> recent_, hourly_;  // oldest first
};

// The config's state as the dashboard shows it.
struct ConfigState {
  std::string json;  // the "config" object of /api/summary
  std::uint64_t generation = 0;
  std::string hash, source;
  bool last_reload_ok = true;
  std::string last_reload_trigger, last_reload_error;
  double last_reload_time = 0;  // unix seconds
};

// The JSON of /api/summary, and of /api/report?format=json.
std::string render_summary(const Dashboard::View& view, std::int64_t now_s,
                           const std::vector<UpstreamWindow>& upstreams, const ConfigState& config);
// The self-contained HTML of /api/report: no script, one style element whose hash source
// ('sha256-…', core/csp.h) goes into `style_hash`, for the response's Content-Security-Policy.
std::string render_report_html(const Dashboard::View& view, std::int64_t now_s,
                               const std::vector<UpstreamWindow>& upstreams,
                               const ConfigState& config, std::string& style_hash);

// The percentile `p` (0..1) of a latency histogram, in milliseconds, interpolated within its
// bucket; negative when it is empty.
double latency_percentile_ms(const std::array<std::uint64_t, 15>& buckets, double p);

}  // namespace portcullis::proxy
