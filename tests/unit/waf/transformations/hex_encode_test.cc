#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(HexEncodeTransformTest, WritesTwoLowerCaseDigitsPerByte) {
  constexpr Row kRows[] = {{"abc", "616263"}, {"\0\xff"sv, "00ff"}, {"\n", "0a"}};
  expect_rows("hexEncode", kRows);
}

TEST(HexEncodeTransformTest, OnlyTheEmptyValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}};
  expect_rows("hexEncode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
