#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Base64DecodeTransformTest, DecodesCompleteGroups) {
  constexpr Row kRows[] = {
      {"QUJD", "ABC"},  {"QUJDRA==", "ABCD"},     {"QUI=", "AB"}, {"PHNjcmlwdD4=", "<script>"},
      {"AA==", "\0"sv}, {"//79", "\xff\xfe\xfd"},
  };
  expect_rows("base64Decode", kRows);
}

TEST(Base64DecodeTransformTest, DropsALastIncompleteGroup) {
  constexpr Row kRows[] = {{"QUJDRA", "ABC"}, {"QUI", ""}, {"QUJDQ=", "ABC"}, {"==", ""}};
  expect_rows("base64Decode", kRows);
}

TEST(Base64DecodeTransformTest, AcceptsLineBreaksAndSpacesAroundThem) {
  constexpr Row kRows[] = {
      {"QUJD\nRA==", "ABCD"},
      {"QUJD\r\nRA==", "ABCD"},
      {"QUJD  \nRA==", "ABCD"},
      {"QUJDRA==  ", "ABCD"},
  };
  expect_rows("base64Decode", kRows);
}

TEST(Base64DecodeTransformTest, AnInvalidValueDecodesToNothing) {
  constexpr Row kRows[] = {
      {"QUJD RA==", ""}, {" QUJD", ""},  {"QUJD!", ""}, {"QQ==QUJD", ""},
      {"Q===", ""},      {"QUJD\r", ""}, {"\xff", ""},  {"QU-_", ""},
  };
  expect_rows("base64Decode", kRows);
}

TEST(Base64DecodeTransformTest, StopsReadingAtTheFirstNulByte) {
  constexpr Row kRows[] = {{"QUJD\0!!"sv, "ABC"}, {"\0QUJD"sv, ""}};
  expect_rows("base64Decode", kRows);
}

TEST(Base64DecodeTransformTest, OnlyTheEmptyValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}};
  expect_rows("base64Decode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
