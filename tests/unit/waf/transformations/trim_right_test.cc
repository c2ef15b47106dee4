#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(TrimRightTransformTest, RemovesWhitespaceAtTheEndOnly) {
  constexpr Row kRows[] = {
      {" a \t ", " a"}, {"   ", ""}, {" a", " a"}, {"", ""}, {"\0 "sv, "\0"sv}};
  expect_rows("trimRight", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
