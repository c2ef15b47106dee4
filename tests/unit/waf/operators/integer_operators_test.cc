// @eq, @ne, @lt, @le, @gt and @ge: integer comparisons with ModSecurity's conversions.
#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

TEST(EqOperatorTest, ComparesIntegers) {
  constexpr MatchRow kRows[] = {
      {"0", "0", true},   {"5", "5", true},  {"5", "6", false},
      {"-3", "-3", true}, {"5", " 5", true},  // leading white space is skipped
      {"5", "+5", true},
  };
  expect_rows("eq", kRows);
}

TEST(EqOperatorTest, ReadsNonNumbersAsStoiWouldWithZeroOnError) {
  constexpr MatchRow kRows[] = {
      {"0", "abc", true},          // no number: 0
      {"0", "", true},             //
      {"12", "12abc", true},       // the leading number counts
      {"0", "99999999999", true},  // beyond int: std::stoi throws, ModSecurity uses 0
      {"2147483647", "2147483647", true},
      {"0", "-2147483649", true},
      {"abc", "0", true},
      {"1", "0x1", false},  // decimal only
  };
  expect_rows("eq", kRows);
}

TEST(NeOperatorTest, IsTheNegationOfEq) {
  constexpr MatchRow kRows[] = {
      {"0", "0", false},
      {"0", "1", true},
      {"0", "abc", false},
      {"3", "3xyz", false},
  };
  expect_rows("ne", kRows);
}

TEST(LtOperatorTest, ComparesWithAtollConversion) {
  constexpr MatchRow kRows[] = {
      {"2", "1", true},
      {"2", "2", false},
      {"2", "abc", true},  // "abc" is 0
      {"0", "-1", true},
      {"1", "99999999999", false},
      {"9223372036854775807", "99999999999999999999", false},  // saturates at LLONG_MAX
      {"-9223372036854775807", "-99999999999999999999", true},
  };
  expect_rows("lt", kRows);
}

TEST(LeOperatorTest, ComparesWithAtollConversion) {
  constexpr MatchRow kRows[] = {{"2", "2", true}, {"2", "3", false}, {"0", "x", true}};
  expect_rows("le", kRows);
}

TEST(GtOperatorTest, ComparesWithAtollConversion) {
  constexpr MatchRow kRows[] = {
      {"100", "101", true},
      {"100", "100", false},
      {"2147483647", "99999999999", true},  // atoll reads beyond int
      {"-1", "junk", true},
  };
  expect_rows("gt", kRows);
}

TEST(GeOperatorTest, ComparesWithAtollConversion) {
  constexpr MatchRow kRows[] = {{"5", "5", true}, {"5", "4", false}, {"0", "", true}};
  expect_rows("ge", kRows);
}

TEST(IntegerOperatorTest, ExpandMacrosPerMatch) {
  FakeMatchContext ctx;
  ctx.tx["inbound_anomaly_score_threshold"] = "5";
  ctx.tx["max_num_args"] = "not a number";
  constexpr MatchRow kGe[] = {
      {"%{tx.inbound_anomaly_score_threshold}", "5", true},
      {"%{tx.inbound_anomaly_score_threshold}", "4", false},
      {"%{tx.unset}", "0", true},  // an unset variable is empty, so 0
  };
  expect_rows("ge", kGe, &ctx);
  constexpr MatchRow kGt[] = {{"%{tx.max_num_args}", "1", true}};
  expect_rows("gt", kGt, &ctx);
  constexpr MatchRow kEq[] = {{"%{TX.inbound_anomaly_score_threshold}", "5", true}};
  expect_rows("eq", kEq, &ctx);

  ctx.tx["inbound_anomaly_score_threshold"] = "10";
  constexpr MatchRow kChanged[] = {{"%{tx.inbound_anomaly_score_threshold}", "5", false}};
  expect_rows("ge", kChanged, &ctx);
}

}  // namespace
}  // namespace portcullis::waf::testing
