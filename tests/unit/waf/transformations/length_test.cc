#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(LengthTransformTest, WritesTheByteCountInDecimal) {
  constexpr Row kRows[] = {{"", "0"}, {"abc", "3"}, {"a\0b"sv, "3"}, {"\xc3\xa9", "2"}};
  expect_rows("length", kRows);
}

TEST(LengthTransformTest, AValueThatIsItsOwnLengthReportsUnchanged) {
  constexpr Row kRows[] = {{"1", "1"}};
  expect_rows("length", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
