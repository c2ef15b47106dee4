#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(RemoveNullsTransformTest, RemovesEveryNulByte) {
  constexpr Row kRows[] = {
      {"a\0b"sv, "ab"},
      {"\0\0"sv, ""},
      {"\0<scr\0ipt>\0"sv, "<script>"},
  };
  expect_rows("removeNulls", kRows);
}

TEST(RemoveNullsTransformTest, NoNulReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a%00b", "a%00b"}};
  expect_rows("removeNulls", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
