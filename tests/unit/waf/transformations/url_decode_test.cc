#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(UrlDecodeTransformTest, DecodesEscapesWithHexDigitsOfEitherCase) {
  constexpr Row kRows[] = {
      {"%41%42%43", "ABC"}, {"%3c%3C%3e", "<<>"},   {"a%2fb%2F", "a/b/"},
      {"%25%34%31", "%41"}, {"%ff%80", "\xff\x80"},
  };
  expect_rows("urlDecode", kRows);
}

TEST(UrlDecodeTransformTest, TurnsPlusIntoSpace) {
  constexpr Row kRows[] = {
      {"a+b", "a b"},
      {"++", "  "},
      {"%2B", "+"},
  };
  expect_rows("urlDecode", kRows);
}

TEST(UrlDecodeTransformTest, KeepsInvalidOrTruncatedEscapesAsTheyAre) {
  constexpr Row kRows[] = {
      {"%zz", "%zz"},     {"%4", "%4"},   {"%", "%"},       {"100%", "100%"},
      {"%g1%41", "%g1A"}, {"%%41", "%A"}, {"%4%41", "%4A"}, {"%4g", "%4g"},
  };
  expect_rows("urlDecode", kRows);
}

TEST(UrlDecodeTransformTest, LeavesPercentUEscapesAlone) {
  constexpr Row kRows[] = {
      {"%u0041", "%u0041"},
      {"%u0041+", "%u0041 "},
  };
  expect_rows("urlDecode", kRows);
}

TEST(UrlDecodeTransformTest, DecodesToAndPassesThroughNulBytes) {
  constexpr Row kRows[] = {
      {"a%00b", "a\0b"sv},
      {"a\0%41"sv, "a\0A"sv},
      {"\0\0"sv, "\0\0"sv},
  };
  expect_rows("urlDecode", kRows);
}

TEST(UrlDecodeTransformTest, NothingToDecodeReportsUnchanged) {
  constexpr Row kRows[] = {
      {"", ""},
      {"plain/text?a=b", "plain/text?a=b"},
  };
  expect_rows("urlDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
