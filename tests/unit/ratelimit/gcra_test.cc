// GCRA: rate, burst, retry-after and remaining, exactly, on an injected clock.
#include "ratelimit/gcra.h"

#include <gtest/gtest.h>

namespace portcullis::ratelimit {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kS = 1'000'000'000;

TEST(GcraTest, ABurstPassesThenTheRateHolds) {
  const Gcra g(10, kS, 5);  // 10/s, bursts of 5: T = 100 ms
  std::int64_t tat = 0;
  const std::int64_t t0 = 1000 * kS;
  for (int i = 0; i < 5; ++i) {
    GcraDecision d = g.decide(tat, t0);
    ASSERT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 4u - i);
    tat = d.tat_ns;
  }
  GcraDecision refused = g.decide(tat, t0);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, 100 * kMs);
  EXPECT_EQ(refused.tat_ns, tat) << "a refusal stores nothing";
  EXPECT_EQ(refused.reset_ns, 500 * kMs) << "the bucket is full again after 5 × T";
  // One T later exactly one more passes.
  EXPECT_FALSE(g.decide(tat, t0 + 100 * kMs - 1).allowed);
  GcraDecision next = g.decide(tat, t0 + 100 * kMs);
  EXPECT_TRUE(next.allowed);
  EXPECT_EQ(next.remaining, 0u);
}

TEST(GcraTest, SteadyTrafficAtTheRateIsNeverRefused) {
  const Gcra g(100, kS, 1);
  std::int64_t tat = 0;
  for (int i = 0; i < 1000; ++i) {
    GcraDecision d = g.decide(tat, 5 * kS + i * 10 * kMs);
    ASSERT_TRUE(d.allowed) << i;
    tat = d.tat_ns;
  }
  EXPECT_FALSE(g.decide(tat, 5 * kS + 999 * 10 * kMs + 5 * kMs).allowed) << "twice the rate";
}

TEST(GcraTest, AnIdleKeyComesBackFull) {
  const Gcra g(1, kS, 3);
  std::int64_t tat = 0;
  for (int i = 0; i < 3; ++i) tat = g.decide(tat, 0).tat_ns;
  EXPECT_FALSE(g.decide(tat, 0).allowed);
  GcraDecision later = g.decide(tat, 60 * kS);
  EXPECT_TRUE(later.allowed);
  EXPECT_EQ(later.remaining, 2u);
}

TEST(GcraTest, CostSpendsSeveralTokensAndIsCappedAtTheBurst) {
  const Gcra g(10, kS, 6);
  GcraDecision d = g.decide(0, 0, 3);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 3u);
  d = g.decide(d.tat_ns, 0, 3);
  EXPECT_TRUE(d.allowed);
  GcraDecision refused = g.decide(d.tat_ns, 0, 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_ns, 300 * kMs);
  EXPECT_TRUE(g.decide(0, 0, 1000).allowed) << "a cost above the burst counts as the burst";
}

TEST(GcraTest, AChargeTakesTokensButNeverMoreThanAnEmptyBucket) {
  const Gcra g(10, kS, 5);
  std::int64_t tat = g.charge(0, 0, 2);
  EXPECT_EQ(tat, 200 * kMs);
  EXPECT_EQ(g.decide(tat, 0).remaining, 2u);
  EXPECT_EQ(g.charge(tat, 0, 100), 500 * kMs) << "capped at the window";
  EXPECT_FALSE(g.decide(g.charge(tat, 0, 100), 0).allowed);
}

TEST(GcraTest, PerMinuteRates) {
  const Gcra g(60, 60 * kS, 60);  // 1/s on average, 60 at once
  EXPECT_EQ(g.emission_ns(), kS);
  EXPECT_EQ(g.window_ns(), 60 * kS);
}

}  // namespace
}  // namespace portcullis::ratelimit
