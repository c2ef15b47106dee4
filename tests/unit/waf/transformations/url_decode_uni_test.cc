#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(UrlDecodeUniTransformTest, DecodesPercentUToItsLowByte) {
  constexpr Row kRows[] = {
      {"%u0041", "A"},    {"%U0041", "A"},    {"%u1241", "A"}, {"%u003cscript%u003E", "<script>"},
      {"%u00e9", "\xe9"}, {"%u2215", "\x15"},
  };
  expect_rows("urlDecodeUni", kRows);
}

TEST(UrlDecodeUniTransformTest, MapsFullWidthAsciiToAscii) {
  constexpr Row kRows[] = {
      {"%uff0e%uFF0E%uFf0f", "../"},
      {"%uff21%uff24%uff2d%uff29%uff2e", "ADMIN"},
      {"%uff01", "!"},
      {"%uff5e", "~"},
      {"%uff5f", "\x5f"},  // past the full-width block
      {"%uff00", "\0"sv},
      {"%ufe0e", "\x0e"},
  };
  expect_rows("urlDecodeUni", kRows);
}

TEST(UrlDecodeUniTransformTest, KeepsAnInvalidPercentUAndDecodesWhatFollows) {
  constexpr Row kRows[] = {
      {"%u", "%u"},     {"%U", "%U"},         {"%u004", "%u004"},   {"%u00zz", "%u00zz"},
      {"%u%41", "%uA"}, {"%uzz41", "%uzz41"}, {"%u004+", "%u004 "},
  };
  expect_rows("urlDecodeUni", kRows);
}

TEST(UrlDecodeUniTransformTest, DecodesPlainEscapesAndPlusAsUrlDecodeDoes) {
  constexpr Row kRows[] = {
      {"%41+%42", "A B"}, {"%zz", "%zz"}, {"%", "%"}, {"%4", "%4"}, {"%%41", "%A"},
  };
  expect_rows("urlDecodeUni", kRows);
}

TEST(UrlDecodeUniTransformTest, DecodesToAndPassesThroughNulBytes) {
  constexpr Row kRows[] = {
      {"%u0000", "\0"sv},
      {"%00", "\0"sv},
      {"a\0%u0041"sv, "a\0A"sv},
  };
  expect_rows("urlDecodeUni", kRows);
}

TEST(UrlDecodeUniTransformTest, NothingToDecodeReportsUnchanged) {
  constexpr Row kRows[] = {
      {"", ""},
      {"abc", "abc"},
      {"%u12", "%u12"},
  };
  expect_rows("urlDecodeUni", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
