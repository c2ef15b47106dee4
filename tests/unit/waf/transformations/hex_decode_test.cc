#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(HexDecodeTransformTest, DecodesDigitPairsOfEitherCase) {
  constexpr Row kRows[] = {{"616263", "abc"}, {"4A4b", "JK"}, {"00ff", "\0\xff"sv}};
  expect_rows("hexDecode", kRows);
}

TEST(HexDecodeTransformTest, DropsALastOddDigit) {
  constexpr Row kRows[] = {{"6162e", "ab"}, {"A", ""}};
  expect_rows("hexDecode", kRows);
}

TEST(HexDecodeTransformTest, DoesNotCheckTheDigits) {
  // ModSecurity's arithmetic on bytes that are not hex digits: 'z' counts as 35.
  constexpr Row kRows[] = {{"zz", "S"}, {"0x41", "!A"}};
  expect_rows("hexDecode", kRows);
}

TEST(HexDecodeTransformTest, OnlyTheEmptyValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}};
  expect_rows("hexDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
