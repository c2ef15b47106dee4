#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(CompressWhitespaceTransformTest, TurnsEachRunIntoOneSpace) {
  constexpr Row kRows[] = {
      {"a  b", "a b"}, {"a\t\n b", "a b"}, {"a\tb", "a b"},
      {"  ", " "},     {"a\r\n", "a "},    {" a  b ", " a b "},
  };
  expect_rows("compressWhitespace", kRows);
}

TEST(CompressWhitespaceTransformTest, NoBreakSpaceAndNulAreNotWhitespace) {
  constexpr Row kRows[] = {
      {"a\xa0\xa0"
       "b",
       "a\xa0\xa0"
       "b"},
      {"a\0\0b"sv, "a\0\0b"sv},
      {"a \0 b"sv, "a \0 b"sv},
  };
  expect_rows("compressWhitespace", kRows);
}

TEST(CompressWhitespaceTransformTest, SingleSpacesReportUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {" ", " "}, {"a b c", "a b c"}};
  expect_rows("compressWhitespace", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
