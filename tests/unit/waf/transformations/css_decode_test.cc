#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(CssDecodeTransformTest, DecodesOneToSixHexDigitsToTheLastByte) {
  constexpr Row kRows[] = {
      {"\\41", "A"},       {"\\4", "\x04"},
      {"\\041", "A"},      {"\\0041", "A"},
      {"\\00041", "A"},    {"\\000041", "A"},
      {"\\1241", "A"},     {"\\12345", "E"},
      {"\\1234567", "V7"}, {"\\65xpression", "expression"},
  };
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, MapsFullWidthAsciiToAscii) {
  constexpr Row kRows[] = {
      {"\\ff0e", "."},     {"\\0ff0e", "."},   {"\\00ff0e", "."},
      {"\\1ff0e", "\x0e"}, {"\\ff00", "\0"sv}, {"\\FF21", "A"},
  };
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, SwallowsOneWhitespaceAfterAHexEscape) {
  constexpr Row kRows[] = {
      {"\\41 B", "AB"}, {"\\41  B", "A B"}, {"\\41\tB", "AB"}, {"\\41\nB", "AB"}, {"\\41\vB", "AB"},
  };
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, DropsBackslashNewlinePairs) {
  constexpr Row kRows[] = {{"a\\\nb", "ab"}, {"a\\\r\nb", "a\r\nb"}};
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, DropsTheBackslashBeforeAnyOtherByte) {
  constexpr Row kRows[] = {
      {"\\g", "g"}, {"\\\\", "\\"}, {"\\'", "'"}, {"\\ ", " "}, {"a\\", "a"}, {"\\", ""},
  };
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {
      {"\\\0"sv, "\0"sv},
      {"\\0", "\0"sv},
      {"a\0\\41"sv, "a\0A"sv},
  };
  expect_rows("cssDecode", kRows);
}

TEST(CssDecodeTransformTest, NothingToDecodeReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"color: red", "color: red"}};
  expect_rows("cssDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
