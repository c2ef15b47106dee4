#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(LowercaseTransformTest, LowersAsciiLettersOnly) {
  constexpr Row kRows[] = {
      {"AbC", "abc"},
      {"\xc3\x89"
       "A",
       "\xc3\x89"
       "a"},
      {"A\0B"sv, "a\0b"sv},
      {"@[`{", "@[`{"},
  };
  expect_rows("lowercase", kRows);
}

TEST(LowercaseTransformTest, NoUpperCaseLetterReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"abc 123", "abc 123"}, {"\xc3\x89", "\xc3\x89"}};
  expect_rows("lowercase", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
