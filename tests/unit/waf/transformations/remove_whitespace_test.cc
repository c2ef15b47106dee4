#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(RemoveWhitespaceTransformTest, RemovesCLocaleWhitespace) {
  constexpr Row kRows[] = {
      {"a b\tc\nd\re\vf\fg", "abcdefg"},
      {"  union  select  ", "unionselect"},
  };
  expect_rows("removeWhitespace", kRows);
}

TEST(RemoveWhitespaceTransformTest, RemovesNoBreakSpaceBytesWherever) {
  constexpr Row kRows[] = {
      {"a\xa0"
       "b",
       "ab"},
      {"a\xc2\xa0"
       "b",
       "ab"},
      {"\xc2\xa9", "\xa9"},
      {"\xc3\xa9", "\xc3\xa9"},
  };
  expect_rows("removeWhitespace", kRows);
}

TEST(RemoveWhitespaceTransformTest, KeepsNulBytes) {
  constexpr Row kRows[] = {{"a\0b"sv, "a\0b"sv}, {"a\0 b"sv, "a\0b"sv}};
  expect_rows("removeWhitespace", kRows);
}

TEST(RemoveWhitespaceTransformTest, NoWhitespaceReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"abc", "abc"}};
  expect_rows("removeWhitespace", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
