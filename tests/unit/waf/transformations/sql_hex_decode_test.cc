#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(SqlHexDecodeTransformTest, DecodesHexLiteralsAsFarAsWholePairsGo) {
  constexpr Row kRows[] = {
      {"0x616263", "abc"},  {"0X41", "A"},
      {"0x6162e", "abe"},   {"select 0x61 from", "select a from"},
      {"0x41 0x42", "A B"}, {"a0x41", "aA"},
      {"00x41", "0A"},      {"0x4100", "A\0"sv},
  };
  expect_rows("sqlHexDecode", kRows);
}

TEST(SqlHexDecodeTransformTest, KeepsLiteralsWithoutTwoHexDigits) {
  constexpr Row kRows[] = {{"0x", "0x"}, {"0x4", "0x4"}, {"0xzz", "0xzz"}, {"0x4g", "0x4g"}};
  expect_rows("sqlHexDecode", kRows);
}

TEST(SqlHexDecodeTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"\0"
                            "0x41"sv,
                            "\0A"sv},
                           {"0x\0"
                            "41"sv,
                            "0x\0"
                            "41"sv}};
  expect_rows("sqlHexDecode", kRows);
}

TEST(SqlHexDecodeTransformTest, NoLiteralReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"select 1", "select 1"}};
  expect_rows("sqlHexDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
