#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(TrimLeftTransformTest, RemovesWhitespaceAtTheStartOnly) {
  constexpr Row kRows[] = {
      {" \t a ", "a "}, {"   ", ""}, {"a ", "a "}, {"", ""}, {" \0"sv, "\0"sv}};
  expect_rows("trimLeft", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
