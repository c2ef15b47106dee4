#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Base64EncodeTransformTest, EncodesWithPadding) {
  constexpr Row kRows[] = {
      {"ABC", "QUJD"},      {"ABCD", "QUJDRA=="},         {"AB", "QUI="},
      {"\xff\xfe", "//4="}, {"<script>", "PHNjcmlwdD4="},
  };
  expect_rows("base64Encode", kRows);
}

TEST(Base64EncodeTransformTest, EncodesNulBytes) {
  constexpr Row kRows[] = {{"\0"sv, "AA=="}, {"a\0b"sv, "YQBi"}};
  expect_rows("base64Encode", kRows);
}

TEST(Base64EncodeTransformTest, OnlyTheEmptyValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}};
  expect_rows("base64Encode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
