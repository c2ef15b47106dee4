#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(ReplaceNullsTransformTest, ReplacesEveryNulByteWithASpace) {
  constexpr Row kRows[] = {
      {"a\0b"sv, "a b"},
      {"\0\0"sv, "  "},
  };
  expect_rows("replaceNulls", kRows);
}

TEST(ReplaceNullsTransformTest, NoNulReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a b", "a b"}};
  expect_rows("replaceNulls", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
