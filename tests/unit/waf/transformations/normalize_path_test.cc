#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(NormalizePathTransformTest, ResolvesDotSegmentsAndCollapsesSlashes) {
  constexpr Row kRows[] = {
      {"/a/b/../c", "/a/c"},      {"/a/./b", "/a/b"}, {"/a//b", "/a/b"}, {"a//b", "a/b"},
      {"/a/b/..", "/a"},          {"/a/b/.", "/a/b"}, {"./a", "a"},      {"a/./b/.", "a/b"},
      {"/a/b/c/../../d", "/a/d"}, {"///a", "/a"},
  };
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, NeverGoesAboveTheRootOfAnAbsolutePath) {
  constexpr Row kRows[] = {
      {"/../a", "/a"},
      {"/a/../../b", "/b"},
      {"/../../etc/passwd", "/etc/passwd"},
  };
  expect_rows("normalizePath", kRows);
}

// The root slash is taken for a trailing one, which the value did not have.
TEST(NormalizePathTransformTest, ResolvingToTheRootWithoutATrailingSlashGivesNothing) {
  constexpr Row kRows[] = {{"/..", ""}, {"/a/..", ""}, {"/a/../", "/"}};
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, KeepsDotDotThatARelativePathCannotResolve) {
  constexpr Row kRows[] = {
      {"../../a", "../../a"},
      {"..", ".."},
      {"a/../../b", "../b"},
      {"../a/../b", "../b"},
  };
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, KeepsATrailingSlashOnlyIfThereWasOne) {
  constexpr Row kRows[] = {
      {"/a/b/", "/a/b/"}, {"/a/b//", "/a/b/"}, {"/a/../", "/"}, {"a/..", ""}, {"/", "/"},
  };
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, BackslashIsAnOrdinaryByte) {
  constexpr Row kRows[] = {{"a\\..\\b", "a\\..\\b"}, {"/a\\b/../c", "/c"}};
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"/a\0/../b"sv, "/b"}, {"/\0/./b"sv, "/\0/b"sv}};
  expect_rows("normalizePath", kRows);
}

TEST(NormalizePathTransformTest, AcceptsTheBritishSpelling) {
  constexpr Row kRows[] = {{"/a/../b", "/b"}};
  expect_rows("normalisePath", kRows);
}

TEST(NormalizePathTransformTest, NormalPathReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"/a/b", "/a/b"}, {"a", "a"}, {"/a.b/c..d", "/a.b/c..d"}};
  expect_rows("normalizePath", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
