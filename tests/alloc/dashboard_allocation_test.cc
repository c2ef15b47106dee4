// The dashboard's memory is fixed whatever the traffic: once every period of both rings has
// been used and every top-list counter filled, recording more requests (from clients, agents
// and rules never seen before, over another day) does not call malloc. Counted by
// tests/alloc/malloc_counter.cc; not built with sanitizers, which bring their own.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "proxy/dashboard.h"
#include "tests/alloc/malloc_counter.h"

namespace portcullis::proxy {
namespace {

using alloc_test::allocations;
using alloc_test::counting;

// Flagged requests for a day from `first` on, each from a new client with a new User-Agent,
// JA4, route and limiter key, matching a new rule: 30 of them every minute.
void a_day_of_attacks(Dashboard& d, std::int64_t first, long& serial) {
  char client[32], agent[160], ja4[48], route[32], key[48], rule[16], message[160];
  for (std::int64_t t = first; t < first + 86400 + 3600; t += 60) {
    for (int i = 0; i < 30; ++i, ++serial) {
      std::snprintf(client, sizeof client, "10.%ld.%ld.%ld", serial >> 16 & 255, serial >> 8 & 255,
                    serial & 255);
      std::snprintf(agent, sizeof agent, "scanner/%ld %0120d", serial, 0);  // longer than kept
      std::snprintf(ja4, sizeof ja4, "t13d1516h2_%012ld_02713d6af862", serial);
      std::snprintf(route, sizeof route, "route-%ld", serial);
      std::snprintf(key, sizeof key, "ip=10.0.%ld.%ld", serial >> 8 & 255, serial & 255);
      std::snprintf(rule, sizeof rule, "%ld", 900000 + serial % 100000);
      std::snprintf(message, sizeof message, "rule %ld matched %0140d", serial, 0);
      HeaderField ua{"user-agent", agent};
      Finding finding{.stage = "waf", .rule = rule, .message = message};
      Exchange ex;
      ex.headers = std::span<const HeaderField>(&ua, 1);
      ex.client_ip = client;
      ex.ja4 = ja4;
      ex.route_id = route;
      ex.limiter_key = key;
      ex.bot_class = "malicious";
      ex.findings = std::span<const Finding>(&finding, 1);
      counting = true;
      d.record(&ex, 429, Verdict{Action::kRateLimit, 429, 1, "ratelimit", "limited", "per-ip"},
               Verdict::pass(), t + i % 60);
      counting = false;
    }
  }
}

TEST(DashboardAllocationTest, RecordingAfterTheFirstDayAllocatesNothing) {
  Dashboard d;
  long serial = 0;
  const std::int64_t start = 1796040000;
  allocations = 0;
  a_day_of_attacks(d, start, serial);  // fills every period's every counter
  EXPECT_GT(allocations, 0) << "the counters' storage is taken as they are first used";
  allocations = 0;
  a_day_of_attacks(d, start + 86400 + 3600, serial);
  EXPECT_EQ(allocations, 0) << "after " << serial << " distinct attackers";
  // And what it shows still makes sense: the day's hourly periods were all full.
  Dashboard::View day(Dashboard::Range::kDay);
  d.add_to(day, start + 2 * (86400 + 3600) - 1, 24 * 3600);
  EXPECT_EQ(day.totals.rules.capacity(), 2 * Dashboard::kTop);
  EXPECT_GT(day.totals.refused, 24u * 60 * 30);
}

}  // namespace
}  // namespace portcullis::proxy
