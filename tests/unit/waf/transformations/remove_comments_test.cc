#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(RemoveCommentsTransformTest, RemovesCAndHtmlComments) {
  constexpr Row kRows[] = {
      {"a/*x*/b", "ab"},   {"a<!--x-->b", "ab"}, {"a/*x-->b", "ab"},
      {"a<!--x*/b", "ab"}, {"a/*--*/b", "ab"},
  };
  expect_rows("removeComments", kRows);
}

TEST(RemoveCommentsTransformTest, KeepsTheByteAfterAClosingWhateverItIs) {
  constexpr Row kRows[] = {
      {"/*x*//*y*/", "/*y*/"},
      {"a/*x*/#b", "a#b"},
      {"a/*x*/", "a\0"sv},
      {"a<!--x-->", "a\0"sv},
  };
  expect_rows("removeComments", kRows);
}

TEST(RemoveCommentsTransformTest, DashDashOrHashCutsTheValue) {
  constexpr Row kRows[] = {
      {"id=1 -- x", "id=1 "}, {"id=1#x", "id=1"}, {"--", ""}, {"#", ""}, {"a-b", "a-b"},
  };
  expect_rows("removeComments", kRows);
}

TEST(RemoveCommentsTransformTest, AnOpenCommentBecomesOneSpace) {
  constexpr Row kRows[] = {{"a/*open", "a "}, {"a<!--", "a "}};
  expect_rows("removeComments", kRows);
}

TEST(RemoveCommentsTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"\0/*\0*/\0"sv, "\0\0"sv}, {"a\0#"sv, "a\0"sv}};
  expect_rows("removeComments", kRows);
}

TEST(RemoveCommentsTransformTest, NoCommentReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a*/b<!-b-", "a*/b<!-b-"}};
  expect_rows("removeComments", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
