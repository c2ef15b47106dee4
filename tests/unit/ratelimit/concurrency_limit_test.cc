// The adaptive concurrency controller: it grows while latency stays flat and the limit is used,
// shrinks when latency rises or the upstream reports overload, stays within its bounds, and
// recovers when the upstream does.
#include "ratelimit/concurrency_limit.h"

#include <gtest/gtest.h>

namespace portcullis::ratelimit {
namespace {

constexpr std::int64_t kMs = 1'000'000;

// `n` requests at full use of the limit, each taking `latency_ns`.
void run(AdaptiveConcurrency& c, int n, std::int64_t latency_ns,
         AdaptiveConcurrency::Outcome outcome = AdaptiveConcurrency::Outcome::kSuccess) {
  for (int i = 0; i < n; ++i) {
    while (c.try_acquire()) {
    }
    c.release(latency_ns, outcome);
  }
}

TEST(AdaptiveConcurrencyTest, RefusesPastTheLimit) {
  ConcurrencyOptions o;
  o.initial = 3;
  o.min = 1;
  AdaptiveConcurrency c(o);
  EXPECT_TRUE(c.try_acquire());
  EXPECT_TRUE(c.try_acquire());
  EXPECT_TRUE(c.try_acquire());
  EXPECT_FALSE(c.try_acquire());
  EXPECT_EQ(c.in_flight(), 3);
  c.release(0, AdaptiveConcurrency::Outcome::kIgnore);
  EXPECT_EQ(c.in_flight(), 2);
  EXPECT_EQ(c.limit(), 3) << "an abandoned request says nothing about the upstream";
  EXPECT_TRUE(c.try_acquire());
}

TEST(AdaptiveConcurrencyTest, GrowsWhileLatencyStaysFlatAndTheLimitIsUsed) {
  AdaptiveConcurrency c(ConcurrencyOptions{});
  run(c, 200, 10 * kMs);
  EXPECT_GT(c.limit(), 100);
  EXPECT_LE(c.limit(), 1000);
  run(c, 5000, 10 * kMs);
  EXPECT_EQ(c.limit(), 1000) << "up to max";
}

TEST(AdaptiveConcurrencyTest, DoesNotGrowWhenTrafficDoesNotUseIt) {
  AdaptiveConcurrency c(ConcurrencyOptions{});
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(c.try_acquire());
    c.release(10 * kMs, AdaptiveConcurrency::Outcome::kSuccess);
  }
  EXPECT_EQ(c.limit(), 20) << "one request at a time never tests a higher limit";
}

TEST(AdaptiveConcurrencyTest, ShrinksWhenLatencyRisesAndRecoversAfterwards) {
  AdaptiveConcurrency c(ConcurrencyOptions{});
  run(c, 300, 10 * kMs);
  const int before = c.limit();
  run(c, 40, 100 * kMs);  // a queue builds: ten times slower
  const int during = c.limit();
  EXPECT_LT(during, before / 4) << before << " -> " << during;
  EXPECT_GE(during, 4) << "never below min";
  run(c, 200, 10 * kMs);  // the upstream is fast again
  EXPECT_GT(c.limit(), during * 4) << during << " -> " << c.limit();
}

TEST(AdaptiveConcurrencyTest, ASlightlySlowerUpstreamIsWithinTolerance) {
  AdaptiveConcurrency c(ConcurrencyOptions{});
  run(c, 300, 10 * kMs);
  const int before = c.limit();
  run(c, 100, 15 * kMs);  // 1.5x: within the tolerance of 2
  EXPECT_GE(c.limit(), before);
}

TEST(AdaptiveConcurrencyTest, OverloadErrorsBackOffToTheMinimum) {
  ConcurrencyOptions o;
  o.initial = 100;
  o.min = 5;
  AdaptiveConcurrency c(o);
  run(c, 1, 10 * kMs, AdaptiveConcurrency::Outcome::kOverload);
  EXPECT_EQ(c.limit(), 90);
  run(c, 100, 10 * kMs, AdaptiveConcurrency::Outcome::kOverload);
  EXPECT_EQ(c.limit(), 5);
}

}  // namespace
}  // namespace portcullis::ratelimit
