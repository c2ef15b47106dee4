#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(RemoveCommentsCharTransformTest, RemovesEveryMarker) {
  constexpr Row kRows[] = {
      {"a/*b*/c", "abc"}, {"a<!--b-->c", "abc"}, {"1--2#3", "123"},
      {"a-->b", "ab"},    {"a---b", "a-b"},      {"*/*/", ""},
  };
  expect_rows("removeCommentsChar", kRows);
}

TEST(RemoveCommentsCharTransformTest, KeepsNulBytes) {
  constexpr Row kRows[] = {{"\0#\0"sv, "\0\0"sv}};
  expect_rows("removeCommentsChar", kRows);
}

TEST(RemoveCommentsCharTransformTest, NoMarkerReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a->b", "a->b"}, {"<!-", "<!-"}, {"/ *", "/ *"}};
  expect_rows("removeCommentsChar", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
