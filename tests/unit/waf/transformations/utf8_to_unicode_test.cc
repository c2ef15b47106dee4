#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Utf8ToUnicodeTransformTest, EscapesMultiByteCharacters) {
  constexpr Row kRows[] = {
      {"\xc3\xa9", "%u00e9"},
      {"a\xe2\x82\xac"
       "b",
       "a%u20acb"},
      {"\xef\xbc\x9c", "%uff1c"},
      {"\xf0\x9f\x98\x80", "%u1f600"},
  };
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, DropsTheLeadByteOfABrokenSequence) {
  constexpr Row kRows[] = {
      {"\xc3", ""},
      {"\xc3(", "("},
      {"\xe2\x82", "\x82"},
      {"a\xf0\x9f\x98", "a\x9f\x98"},
  };
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, KeepsStrayBytes) {
  constexpr Row kRows[] = {{"\x80", "\x80"},
                           {"\xff\xfe", "\xff\xfe"},
                           {"\xbf"
                            "a",
                            "\xbf"
                            "a"}};
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, RepeatsTheLeadByteOfOverlongFormsAndSurrogates) {
  constexpr Row kRows[] = {
      {"\xc0\x80", "%u0000\xc0"},     {"\xc1\xbf", "%u007f\xc1"},
      {"\xe0\x80\xaf", "%u002f\xe0"}, {"\xf0\x80\x80\x80", "%u0000\xf0"},
      {"\xed\xa0\x80", "%ud800\xed"},
  };
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, WritesLeadBytesBeyondUnicodeRawBeforeTheirEscape) {
  constexpr Row kRows[] = {{"\xf5\x80\x80\x80", "\xf5%u140000"}, {"\xf5", "\xf5"}};
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, DropsNulBytesExceptALastOne) {
  constexpr Row kRows[] = {
      {"a\0b"sv, "ab"},
      {"ab\0"sv, "ab\0"sv},
      {"\0\0"sv, "\0"sv},
      {"\0\xc3\xa9"sv, "%u00e9"},
  };
  expect_rows("utf8toUnicode", kRows);
}

TEST(Utf8ToUnicodeTransformTest, AsciiReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"abc", "abc"}, {"%u00e9", "%u00e9"}};
  expect_rows("utf8toUnicode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
