#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

TEST(IpMatchOperatorTest, MatchesIpv4AddressesAndCidrs) {
  constexpr MatchRow kRows[] = {
      {"127.0.0.1", "127.0.0.1", true},           {"127.0.0.1", "127.0.0.2", false},
      {"10.0.0.0/8", "10.255.1.2", true},         {"10.0.0.0/8", "11.0.0.1", false},
      {"192.168.1.77/24", "192.168.1.200", true},  // host bits beyond the prefix are ignored
      {"192.168.1.0/25", "192.168.1.128", false}, {"1.2.3.4/32", "1.2.3.4", true},
      {"128.0.0.0/1", "200.1.1.1", true},         {"128.0.0.0/1", "100.1.1.1", false},
  };
  expect_rows("ipMatch", kRows);
}

TEST(IpMatchOperatorTest, MatchesIpv6AddressesAndCidrs) {
  constexpr MatchRow kRows[] = {
      {"::1", "::1", true},
      {"::1", "0:0:0:0:0:0:0:1", true},
      {"::1", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8:abcd:12::/64", "2001:db8:abcd:12:ffff:ffff:ffff:ffff", true},
      {"2001:db8:abcd:12::/65", "2001:db8:abcd:12:ffff::", false},
      {"fe80::/10", "febf::1", true},
      {"::1", "127.0.0.1", false},  // the families are separate
      {"127.0.0.1", "::ffff:127.0.0.1", false},
  };
  expect_rows("ipMatch", kRows);
}

TEST(IpMatchOperatorTest, TakesCommaSeparatedLists) {
  constexpr MatchRow kRows[] = {
      {"127.0.0.1,::1", "::1", true},
      {"127.0.0.1,::1", "127.0.0.1", true},
      {"10.0.0.0/8, 192.168.0.0/16 ,172.16.0.0/12", "172.20.1.1", true},
      {"10.0.0.0/8,,192.168.0.0/16", "8.8.8.8", false},
  };
  expect_rows("ipMatch", kRows);
}

TEST(IpMatchOperatorTest, ValuesThatAreNotAddressesNeverMatch) {
  constexpr MatchRow kRows[] = {
      {"0.0.0.0/1", "", false},         {"0.0.0.0/1", "localhost", false},
      {"0.0.0.0/1", "1.2.3.4 ", false}, {"0.0.0.0/1", "1.2.3", false},
      {"::/1", "[::1]", false},         {"0.0.0.0/1", "1.2.3.4:80", false},
  };
  expect_rows("ipMatch", kRows);
}

TEST(IpMatchOperatorTest, BadEntriesAreErrors) {
  for (const char* argument : {"300.1.1.1", "1.2.3.4/33", "1.2.3.4/0", "1.2.3.4/", "1.2.3.4/x",
                               "::1/129", "gggg::1", "not-an-ip"}) {
    EXPECT_NE(creation_error("ipMatch", argument), "") << argument;
  }
}

}  // namespace
}  // namespace portcullis::waf::testing
