// Dashboard: one worker's share of what the admin listener's /api/summary shows (requests and
// refusals over the last ten minutes, refusals by stage, the most frequent rules, offending
// clients, JA4s, User-Agents and rate-limited keys, bot classes). Fixed memory (aggregates.h).
// The worker records under the dashboard's own lock, which only the admin thread's copy()
// also takes: no lock is shared between workers.
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
  static constexpr std::size_t kBuckets = 120;       // ten minutes ...
  static constexpr std::int64_t kBucketSeconds = 5;  // ... of 5 s buckets
  static constexpr std::size_t kTop = 64;

  struct Data {
    TimeBuckets requests{kBuckets, kBucketSeconds};
    TimeBuckets refused{kBuckets, kBucketSeconds};    // enforced refusals (not detect mode)
    std::array<std::uint64_t, 6> refused_by_stage{};  // kStageNames order
    std::array<std::uint64_t, 4> bot_classes{};       // human, verified_bot, automation, malicious
    TopK rules{kTop};  // "stage:rule" of refusals and detect-mode findings
    TopK clients{kTop}, ja4{kTop}, user_agents{kTop};  // of refused or flagged requests
    TopK limited_keys{kTop};                           // limiter keys of 429s

    void merge(const Data& other);
  };

  // One finished request (Worker::finish_request).
  void record(const Exchange* ex, int status, const Verdict& enforced, const Verdict& detected,
              std::int64_t now_s) noexcept;
  Data copy() const;

 private:
  mutable std::mutex mutex_;
  Data data_;
};

// The JSON of /api/summary from the workers' data merged; `config` is a JSON object the
// caller makes (version and last reload).
std::string render_summary(const Dashboard::Data& merged, std::int64_t now_s,
                           const std::string& config);

}  // namespace portcullis::proxy
