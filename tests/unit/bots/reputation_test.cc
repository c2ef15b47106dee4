// The fingerprint reputation table: sliding counts, bounded memory, eviction of idle slots.
#include "bots/reputation.h"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::bots {
namespace {

TEST(ReputationTest, CountsRequestsAndErrorsOverASlidingWindow) {
  Reputation r(1024, 10);
  const std::uint64_t key = Reputation::key_of("t13d1516h2_x");
  for (int i = 0; i < 30; ++i) r.record_request(key, 100);
  for (int i = 0; i < 12; ++i) r.record_error(key, 100);
  Reputation::Standing s = r.record_request(key, 100);
  ASSERT_TRUE(s.tracked);
  EXPECT_DOUBLE_EQ(s.requests, 31);
  EXPECT_DOUBLE_EQ(s.errors, 12);

  // Halfway through the next window, half of the previous one still counts.
  s = r.record_request(key, 115);
  EXPECT_DOUBLE_EQ(s.requests, 1 + 0.5 * 31);
  EXPECT_DOUBLE_EQ(s.errors, 0.5 * 12);

  // Two windows later nothing old is left.
  s = r.record_request(key, 140);
  EXPECT_DOUBLE_EQ(s.requests, 1);
  EXPECT_DOUBLE_EQ(s.errors, 0);
}

TEST(ReputationTest, KeysDoNotShareCounts) {
  Reputation r(1024, 10);
  for (int i = 0; i < 5; ++i) r.record_request(Reputation::key_of("a"), 1);
  EXPECT_DOUBLE_EQ(r.record_request(Reputation::key_of("b"), 1).requests, 1);
  EXPECT_DOUBLE_EQ(r.record_request(Reputation::key_of("a"), 1).requests, 6);
}

TEST(ReputationTest, ASprayOfFingerprintsCannotGrowMemory) {
  Reputation r(4096, 10);
  const std::size_t before = r.memory();
  EXPECT_LE(before, 4096 * 32 + 256);
  std::size_t tracked = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    tracked += r.record_request(Reputation::key_of("spray-" + std::to_string(i)), 5).tracked;
  }
  EXPECT_EQ(r.memory(), before);
  EXPECT_LE(tracked, 4096u) << "at most one fingerprint per slot while they are all active";
  EXPECT_EQ(r.untracked(), 1'000'000 - tracked);

  // An established fingerprint keeps its slot through the spray.
  Reputation r2(4096, 10);
  const std::uint64_t regular = Reputation::key_of("regular");
  r2.record_request(regular, 5);
  for (int i = 0; i < 100'000; ++i) r2.record_request(Reputation::key_of(std::to_string(i)), 5);
  EXPECT_DOUBLE_EQ(r2.record_request(regular, 5).requests, 2);
}

TEST(ReputationTest, IdleSlotsAreTakenByNewFingerprints) {
  Reputation r(2, 10);
  ASSERT_EQ(r.capacity(), 2u);
  int tracked = 0;
  for (int i = 0; i < 50; ++i)
    tracked += r.record_request(Reputation::key_of(std::to_string(i)), 0).tracked;
  EXPECT_LE(tracked, 2);
  // Two windows later the old holders are idle: newcomers get slots again.
  EXPECT_TRUE(r.record_request(Reputation::key_of("late"), 25).tracked);
}

TEST(ReputationTest, ErrorsOfUntrackedKeysAreIgnored) {
  Reputation r(16, 10);
  r.record_error(Reputation::key_of("never-seen"), 1);
  EXPECT_DOUBLE_EQ(r.record_request(Reputation::key_of("never-seen"), 1).errors, 0);
}

}  // namespace
}  // namespace portcullis::bots
