#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(ReplaceCommentsTransformTest, ReplacesEachCommentWithOneSpace) {
  constexpr Row kRows[] = {
      {"a/*x*/b", "a b"},   {"union/**/select", "union select"},
      {"/*a*//*b*/", "  "}, {"/*/*x*/*/", " */"},
      {"/*/", " "},
  };
  expect_rows("replaceComments", kRows);
}

TEST(ReplaceCommentsTransformTest, AnOpenCommentRunsToTheEnd) {
  constexpr Row kRows[] = {{"a/*open", "a "}, {"a/*", "a "}, {"a/*\0*"sv, "a "}};
  expect_rows("replaceComments", kRows);
}

TEST(ReplaceCommentsTransformTest, OtherCommentStylesStay) {
  constexpr Row kRows[] = {
      {"a*/b", "a*/b"},
      {"a -- b", "a -- b"},
      {"a # b", "a # b"},
      {"<!-- a -->", "<!-- a -->"},
  };
  expect_rows("replaceComments", kRows);
}

TEST(ReplaceCommentsTransformTest, KeepsNulBytesOutsideComments) {
  constexpr Row kRows[] = {{"\0/*\0*/\0"sv, "\0 \0"sv}, {"a\0b"sv, "a\0b"sv}};
  expect_rows("replaceComments", kRows);
}

TEST(ReplaceCommentsTransformTest, NoCommentReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"a / * b", "a / * b"}};
  expect_rows("replaceComments", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
