#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(NormalizePathWinTransformTest, TreatsBackslashAsASeparator) {
  constexpr Row kRows[] = {
      {"..\\a\\.\\b", "../a/b"}, {"c:\\windows\\..\\boot.ini", "c:/boot.ini"},
      {"\\a\\\\b", "/a/b"},      {"/a\\../b", "/b"},
      {"\\..\\..\\x", "/x"},     {"a\\b\\", "a/b/"},
  };
  expect_rows("normalizePathWin", kRows);
}

TEST(NormalizePathWinTransformTest, ResolvesAsNormalizePathDoes) {
  constexpr Row kRows[] = {{"/a/b/../c", "/a/c"}, {"../../a", "../../a"}};
  expect_rows("normalisePathWin", kRows);
}

TEST(NormalizePathWinTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"\\a\0\\..\\b"sv, "/b"}};
  expect_rows("normalizePathWin", kRows);
}

TEST(NormalizePathWinTransformTest, NormalPathReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"/a/b", "/a/b"}};
  expect_rows("normalizePathWin", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
