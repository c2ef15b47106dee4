// The dashboard's bounded aggregates: time buckets that roll over, and the Space-Saving top-K
// with its guarantees checked against exact counts of a skewed stream.
#include "proxy/aggregates.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace portcullis::proxy {
namespace {

using Series = std::vector<std::uint64_t>;

TEST(TimeBucketsTest, CountsPerBucketOldestFirst) {
  TimeBuckets t(4, 5);  // four buckets of 5 s
  t.add(1000);
  t.add(1003, 2);
  t.add(1005);
  t.add(1014, 7);
  EXPECT_EQ(t.series(1014), (Series{0, 3, 1, 7})) << "[995,1000) is empty; 1010 has 7";
  EXPECT_EQ(t.series(1019), (Series{3, 1, 7, 0})) << "a bucket later, nothing added";
}

TEST(TimeBucketsTest, RollsOverAndForgetsWhatTimePassed) {
  TimeBuckets t(3, 1);
  for (std::int64_t s = 100; s < 103; ++s) t.add(s, static_cast<std::uint64_t>(s - 99));
  EXPECT_EQ(t.series(102), (Series{1, 2, 3}));
  t.add(104, 10);  // 103 passed with nothing
  EXPECT_EQ(t.series(104), (Series{3, 0, 10}));
  t.add(101);  // older than the oldest bucket: dropped
  EXPECT_EQ(t.series(104), (Series{3, 0, 10}));
  t.add(500);  // a long pause clears everything
  EXPECT_EQ(t.series(500), (Series{0, 0, 1}));
  EXPECT_EQ(t.series(1000), (Series{0, 0, 0})) << "read long after the last add";
}

TEST(TimeBucketsTest, MergesWorkersIntoOneSeries) {
  TimeBuckets a(4, 10), b(4, 10);
  a.add(1000, 1);
  a.add(1010, 2);
  b.add(1010, 3);
  b.add(1030, 4);  // b is further ahead
  a.merge(b);
  EXPECT_EQ(a.series(1030), (Series{1, 5, 0, 4}));
}

TEST(TopKTest, ExactWhileThereAreFewerItemsThanCounters) {
  TopK top(8);
  for (int i = 0; i < 5; ++i) top.add("942100", 1);
  top.add("941100", 3);
  top.add("913100");
  auto entries = top.top(10);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].item, "942100");
  EXPECT_EQ(entries[0].count, 5u);
  EXPECT_EQ(entries[0].error, 0u);
  EXPECT_EQ(entries[1].item, "941100");
  EXPECT_EQ(entries[2].count, 1u);
  EXPECT_EQ(top.total(), 9u);
  EXPECT_EQ(top.top(1).size(), 1u);
}

// A Zipf-like stream over 20,000 clients: a few heavy hitters, a long tail.
std::vector<std::string> skewed_stream(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<double> weights;
  for (int i = 1; i <= 20000; ++i) weights.push_back(1.0 / i);
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  std::vector<std::string> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out.push_back("198.51." + std::to_string(pick(rng)));
  return out;
}

TEST(TopKTest, SpaceSavingGuaranteesHoldOnASkewedStream) {
  constexpr std::size_t kCounters = 64;
  const auto stream = skewed_stream(300000, 7);
  std::map<std::string, std::uint64_t> exact;
  TopK top(kCounters);
  for (const auto& item : stream) {
    top.add(item);
    ++exact[item];
  }
  EXPECT_EQ(top.capacity(), kCounters) << "memory stays fixed however many distinct items";
  const auto entries = top.top(kCounters);
  for (const auto& e : entries) {
    const std::uint64_t truth = exact[e.item];
    EXPECT_LE(e.count - e.error, truth) << e.item;
    EXPECT_GE(e.count, truth) << e.item;
  }
  // Every item seen more than N/k times is there.
  for (const auto& [item, count] : exact) {
    if (count * kCounters <= stream.size()) continue;
    bool found = false;
    for (const auto& e : entries) found |= e.item == item;
    EXPECT_TRUE(found) << item << " seen " << count << " times";
  }
  // And the top 5 come out in the true order.
  std::vector<std::pair<std::uint64_t, std::string>> truth;
  for (const auto& [item, count] : exact) truth.push_back({count, item});
  std::sort(truth.rbegin(), truth.rend());
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(entries[i].item, truth[i].second) << i;
}

TEST(TopKTest, MergedWorkersFindTheSameHeavyHitters) {
  const auto stream = skewed_stream(200000, 11);
  TopK whole(64), first(64), second(64);
  for (std::size_t i = 0; i < stream.size(); ++i) {
    whole.add(stream[i]);
    (i % 2 ? first : second).add(stream[i]);
  }
  first.merge(second);
  EXPECT_EQ(first.total(), whole.total());
  const auto merged = first.top(5);
  const auto single = whole.top(5);
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(merged[i].item, single[i].item) << i;
}

TEST(TopKTest, LongItemsAreCutAndDoNotGrowMemory) {
  TopK top(2);
  const std::string long_agent(1000, 'x');
  top.add(long_agent);
  top.add(long_agent);
  auto entries = top.top(1);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].item.size(), TopK::kMaxItem);
  EXPECT_EQ(entries[0].count, 2u) << "the cut item is one item";
}

TEST(TopKTest, KeepsTheLastDetailOfAnItemAndForgetsOnClear) {
  TopK top(4);
  top.add("waf:949110", 1, "Inbound Anomaly Score Exceeded (Total Score: 5)");
  top.add("waf:949110", 1, "Inbound Anomaly Score Exceeded (Total Score: 10)");
  top.add("waf:949110");  // no detail: the last one stays
  auto entries = top.top(1);
  EXPECT_EQ(entries[0].count, 3u);
  EXPECT_EQ(entries[0].detail, "Inbound Anomaly Score Exceeded (Total Score: 10)");
  top.clear();
  EXPECT_EQ(top.total(), 0u);
  EXPECT_TRUE(top.top(4).empty());
  top.add("ratelimit:per-ip");
  entries = top.top(4);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].detail, "") << "a reused counter does not keep the old item's detail";
  EXPECT_EQ(entries[0].error, 0u);
}

}  // namespace
}  // namespace portcullis::proxy
