#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(EscapeSeqDecodeTransformTest, DecodesCharacterEscapes) {
  constexpr Row kRows[] = {
      {"\\n\\t\\r", "\n\t\r"},
      {"\\a\\b\\f\\v", "\a\b\f\v"},
      {"\\\\\\?\\'\\\"", "\\?'\""},
  };
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, DecodesHexEscapesOfEitherCase) {
  constexpr Row kRows[] = {{"\\x41\\X42", "AB"}, {"\\x3c", "<"}, {"\\x4", "x4"}, {"\\xZZ", "xZZ"}};
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, DecodesOctalEscapesModulo256) {
  constexpr Row kRows[] = {
      {"\\101", "A"},    {"\\1012", "A2"}, {"\\777", "\xff"},
      {"\\400", "\0"sv}, {"\\0", "\0"sv},  {"\\8", "8"},
  };
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, DropsTheBackslashOfAnUnknownEscape) {
  constexpr Row kRows[] = {{"\\q", "q"}, {"\\u0041", "u0041"}, {"\\ ", " "}};
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, KeepsABackslashAtTheEnd) {
  constexpr Row kRows[] = {{"a\\", "a\\"}, {"\\n\\", "\n\\"}};
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"\\\0"sv, "\0"sv}, {"\0\\n"sv, "\0\n"sv}};
  expect_rows("escapeSeqDecode", kRows);
}

TEST(EscapeSeqDecodeTransformTest, NoEscapeReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"/etc/passwd", "/etc/passwd"}};
  expect_rows("escapeSeqDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
