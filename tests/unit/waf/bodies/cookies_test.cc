#include <gtest/gtest.h>

#include <memory_resource>
#include <string>

#include "tests/unit/waf/bodies/body_rows.h"
#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {
namespace {

struct CookieRow {
  std::string_view header;
  Pairs expected;
};

void expect_rows(std::initializer_list<CookieRow> rows) {
  for (const CookieRow& row : rows) {
    std::pmr::monotonic_buffer_resource arena;
    std::pmr::vector<bodies::Arg> cookies(&arena);
    bodies::parse_cookies(row.header, cookies);
    EXPECT_EQ(pairs(cookies), row.expected) << "Cookie: \"" << printable(row.header) << "\"";
  }
}

TEST(CookieParseTest, SplitsPairsOnSemicolonAndTheFirstEquals) {
  expect_rows({
      {"a=1", {{"a", "1"}}},
      {"a=1; b=2", {{"a", "1"}, {"b", "2"}}},
      {"a=1;b=2", {{"a", "1"}, {"b", "2"}}},
      {"token=x=y==", {{"token", "x=y=="}}},
      {"a=1; a=2", {{"a", "1"}, {"a", "2"}}},
  });
}

TEST(CookieParseTest, SkipsLeadingWhitespaceOfNamesButKeepsTheRest) {
  expect_rows({
      {"  a=1;\t b=2", {{"a", "1"}, {"b", "2"}}},
      {"a = 1", {{"a ", " 1"}}},
      {"a=1 ; b=2", {{"a", "1 "}, {"b", "2"}}},
  });
}

TEST(CookieParseTest, PairWithoutEqualsIsANameWithAnEmptyValue) {
  expect_rows({
      {"flag", {{"flag", ""}}},
      {"a=1; flag; b=", {{"a", "1"}, {"flag", ""}, {"b", ""}}},
  });
}

TEST(CookieParseTest, SkipsEmptyPiecesAndPiecesWithAnEmptyName) {
  expect_rows({
      {"", {}},
      {";;a=1", {{"a", "1"}}},
      {"a=1;;b=2", {{"a", "1"}, {"b", "2"}}},
      {"=bar; a=1", {{"a", "1"}}},
      {"   =bar", {}},
      {" ; ", {}},
  });
}

TEST(CookieParseTest, TrimsTrailingWhitespaceOfTheLastPairOnly) {
  expect_rows({
      {"a=1; b=2  ", {{"a", "1"}, {"b", "2"}}},
      {"a=1 \t", {{"a", "1"}}},
      {"a=1 ;b=2", {{"a", "1 "}, {"b", "2"}}},
      {"a=1 ;", {{"a", "1"}}},
      {"a=1; ", {{"a", "1"}}},
  });
}

TEST(CookieParseTest, DecodesNothing) {
  expect_rows({
      {"a=%41+b", {{"a", "%41+b"}}},
      {"q=\"quoted\"", {{"q", "\"quoted\""}}},
  });
}

TEST(CookieParseTest, AppendsToCookiesAlreadyFound) {
  std::pmr::monotonic_buffer_resource arena;
  std::pmr::vector<bodies::Arg> cookies(&arena);
  bodies::parse_cookies("a=1", cookies);
  bodies::parse_cookies("b=2", cookies);
  EXPECT_EQ(pairs(cookies), (Pairs{{"a", "1"}, {"b", "2"}}));
}

}  // namespace
}  // namespace portcullis::waf::testing
