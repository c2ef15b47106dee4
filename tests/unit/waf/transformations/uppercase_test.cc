#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(UppercaseTransformTest, RaisesAsciiLettersOnly) {
  constexpr Row kRows[] = {
      {"aBc", "ABC"},
      {"\xc3\xa9"
       "a",
       "\xc3\xa9"
       "A"},
      {"a\0b"sv, "A\0B"sv},
      {"@[`{", "@[`{"},
  };
  expect_rows("uppercase", kRows);
}

TEST(UppercaseTransformTest, NoLowerCaseLetterReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"ABC 123", "ABC 123"}};
  expect_rows("uppercase", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
