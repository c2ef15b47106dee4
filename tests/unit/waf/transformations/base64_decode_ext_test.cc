#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Base64DecodeExtTransformTest, DecodesAndKeepsWholeBytesOfAPartialGroup) {
  constexpr Row kRows[] = {
      {"QUJD", "ABC"}, {"QUJDRA", "ABCD"},   {"QUI", "AB"},
      {"Q", ""},       {"QUJDRA==", "ABCD"}, {"QUJDRA9", "ABCD\x0f"},
  };
  expect_rows("base64DecodeExt", kRows);
}

TEST(Base64DecodeExtTransformTest, SkipsBytesOutsideTheAlphabet) {
  constexpr Row kRows[] = {
      {"QU.JD", "ABC"},    {"Q U J D", "ABC"},     {"QU-JD", "ABC"},
      {"QUJD=RA", "ABCD"}, {"QUJD\0RA"sv, "ABCD"}, {"\xffQUJD", "ABC"},
  };
  expect_rows("base64DecodeExt", kRows);
}

TEST(Base64DecodeExtTransformTest, GivesNothingForAPadAfterOneSymbolOfAGroup) {
  constexpr Row kRows[] = {
      {"Q=", ""}, {"QUJDQ=x", ""}, {"Q==", ""}, {"Q==RA", ""}, {"QQ=RA", "A\x04@"}};
  expect_rows("base64DecodeExt", kRows);
}

TEST(Base64DecodeExtTransformTest, GivesNothingWhenItEndsOnNineAfterOneSymbolOfAGroup) {
  constexpr Row kRows[] = {{"QUJD9", ""}, {"QUJD9 ", "ABC"}, {"QUJDQ9", "ABCC"}};
  expect_rows("base64DecodeExt", kRows);
}

TEST(Base64DecodeExtTransformTest, OnlyTheEmptyValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}};
  expect_rows("base64DecodeExt", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
