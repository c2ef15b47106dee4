#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(JsDecodeTransformTest, DecodesUnicodeEscapesToTheLowByte) {
  constexpr Row kRows[] = {
      {"\\u0041", "A"},
      {"\\u1241", "A"},
      {"\\u003cscript\\u003e", "<script>"},
      {"\\uff0e\\uFF0E\\uff0f", "../"},
      {"\\uff00", "\0"sv},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, InvalidUnicodeEscapeOnlyLosesItsBackslash) {
  constexpr Row kRows[] = {
      {"\\U0041", "U0041"},
      {"\\u004", "u004"},
      {"\\u00zz", "u00zz"},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, DecodesHexEscapes) {
  constexpr Row kRows[] = {
      {"\\x41", "A"}, {"\\x3C\\x3e", "<>"}, {"\\X41", "X41"}, {"\\x4", "x4"}, {"\\xzz", "xzz"},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, DecodesOctalEscapesThatFitInAByte) {
  constexpr Row kRows[] = {
      {"\\101", "A"},
      {"\\12", "\n"},
      {"\\1012", "A2"},
      {"\\377", "\xff"},
      {"\\400", " 0"},
      {"\\777", "?7"},
      {"\\8", "8"},
      {"\\0", "\0"sv},
      {"\\08",
       "\0"
       "8"sv},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, DecodesControlEscapesAndDropsOtherBackslashes) {
  constexpr Row kRows[] = {
      {"\\n\\t\\r", "\n\t\r"},
      {"\\a\\b\\f\\v", "\a\b\f\v"},
      {"\\'\\\"\\\\", "'\"\\"},
      {"\\q\\/", "q/"},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, KeepsABackslashAtTheEnd) {
  constexpr Row kRows[] = {
      {"abc\\", "abc\\"},
      {"\\", "\\"},
      {"\\x41\\", "A\\"},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {
      {"\\\0"sv, "\0"sv},
      {"a\0\\x41"sv, "a\0A"sv},
  };
  expect_rows("jsDecode", kRows);
}

TEST(JsDecodeTransformTest, NothingToDecodeReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"alert(1)", "alert(1)"}};
  expect_rows("jsDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
