#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(TrimTransformTest, RemovesWhitespaceAtBothEnds) {
  constexpr Row kRows[] = {{"  a b \t\n", "a b"}, {"\v\fa\r", "a"}, {"   ", ""}, {" a", "a"}};
  expect_rows("trim", kRows);
}

TEST(TrimTransformTest, NoBreakSpaceAndNulAreNotWhitespace) {
  constexpr Row kRows[] = {{"\xa0"
                            "a\xa0",
                            "\xa0"
                            "a\xa0"},
                           {"\0a\0"sv, "\0a\0"sv},
                           {" \0 "sv, "\0"sv}};
  expect_rows("trim", kRows);
}

TEST(TrimTransformTest, NothingToTrimReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a b", "a b"}};
  expect_rows("trim", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
