// The bucket table: one bucket per key, bounded memory under a key spray, eviction of idle
// buckets first, and concurrent takes that never allow more than the limit.
#include "ratelimit/bucket_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace portcullis::ratelimit {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

TEST(BucketTableTest, KeysHaveTheirOwnBuckets) {
  BucketTable t(1024);
  const Gcra g(1, kS, 2);
  EXPECT_TRUE(t.take(1, g, 0).allowed);
  EXPECT_TRUE(t.take(1, g, 0).allowed);
  EXPECT_FALSE(t.take(1, g, 0).allowed);
  EXPECT_TRUE(t.take(2, g, 0).allowed) << "another key is not affected";
  EXPECT_FALSE(t.peek(1, g, 0).allowed);
  EXPECT_TRUE(t.peek(1, g, kS).allowed);
}

TEST(BucketTableTest, ASprayOfKeysCannotGrowMemoryOrFreeALimitedKey) {
  BucketTable t(4096);
  const std::size_t before = t.memory();
  EXPECT_EQ(t.capacity(), 4096u);
  EXPECT_LE(before, 4096 * 16 + 256);
  const Gcra g(1, 3600 * kS, 1);  // one per hour
  const std::uint64_t abuser = 0xabcdef;
  EXPECT_TRUE(t.take(abuser, g, 0).allowed);
  // Millions of one-off keys, each taking one request: every set fills with buckets that are
  // all exactly as limited as the abuser's, so the earliest goes first.
  for (std::uint64_t k = 1; k <= 2'000'000; ++k)
    t.take(k * 0x9e3779b97f4a7c15ull, g, 1 + static_cast<std::int64_t>(k));
  EXPECT_EQ(t.memory(), before);
  EXPECT_GT(t.evictions(), 0u);

  // With the spray at a lower cost (buckets that are full again at once), the abuser's bucket
  // is never the one evicted.
  BucketTable u(64);
  const Gcra spray(1000, kS, 1000);
  EXPECT_TRUE(u.take(abuser, g, 0).allowed);
  for (std::uint64_t k = 1; k <= 100'000; ++k) u.take(k * 0x9e3779b97f4a7c15ull, spray, 10 * kS);
  EXPECT_FALSE(u.take(abuser, g, 10 * kS).allowed) << "still limited after the spray";
}

TEST(BucketTableTest, ConcurrentTakesNeverExceedTheBurst) {
  BucketTable t(1024);
  const Gcra g(1, 3600 * kS, 1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 1000; ++j) allowed += t.take(42, g, 0).allowed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

}  // namespace
}  // namespace portcullis::ratelimit
