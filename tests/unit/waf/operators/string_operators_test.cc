// @streq, @contains, @strmatch, @beginsWith, @endsWith, @within and @containsWord: comparisons
// of the value with the argument, macros expanded per match.
#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(StreqOperatorTest, ComparesWholeValuesCaseSensitively) {
  constexpr MatchRow kRows[] = {
      {"POST", "POST", true}, {"POST", "post", false}, {"POST", "POST ", false},
      {"", "", true},         {"", "x", false},        {"a\0b"sv, "a\0b"sv, true},
  };
  expect_rows("streq", kRows);
}

TEST(StreqOperatorTest, ExpandsMacros) {
  FakeMatchContext ctx;
  ctx.tx["2"] = "example.com";
  constexpr MatchRow kRows[] = {
      {"%{TX.2}", "example.com", true},
      {"%{tx.2}", "example.org", false},
      {"%{tx.missing}", "", true},
  };
  expect_rows("streq", kRows, &ctx);
}

TEST(ContainsOperatorTest, FindsSubstringsCaseSensitively) {
  constexpr MatchRow kRows[] = {
      {"/admin", "/x/admin/y", true},
      {"/admin", "/ADMIN", false},
      {"", "anything", true},
      {"abc", "ab", false},
  };
  expect_rows("contains", kRows);
  expect_rows("strmatch", kRows);
}

TEST(BeginsWithOperatorTest, ChecksThePrefix) {
  constexpr MatchRow kRows[] = {
      {"/static/", "/static/app.js", true},
      {"/static/", "/api/static/", false},
      {"/static/", "/stat", false},
      {"", "x", true},
  };
  expect_rows("beginsWith", kRows);
}

TEST(EndsWithOperatorTest, ChecksTheSuffix) {
  constexpr MatchRow kRows[] = {
      {".php", "index.php", true},
      {".php", "index.PHP", false},
      {".php", "php", false},
      {"", "x", true},
  };
  expect_rows("endsWith", kRows);
}

TEST(WithinOperatorTest, MatchesValuesThatAreSubstringsOfTheArgument) {
  constexpr MatchRow kRows[] = {
      {"GET HEAD POST OPTIONS", "GET", true},
      {"GET HEAD POST OPTIONS", "ET H", true},  // a substring, not a list member
      {"GET HEAD POST OPTIONS", "PUT", false},
      {"GET HEAD POST OPTIONS", "get", false},
      {"GET", "", true},  // ModSecurity: an empty value is always within
      {"", "x", false},
  };
  expect_rows("within", kRows);
}

TEST(WithinOperatorTest, ExpandsCrsStyleMacros) {
  FakeMatchContext ctx;
  ctx.tx["restricted_extensions"] = ".asa/ .asax/ .bak/";
  constexpr MatchRow kRows[] = {
      {"%{tx.restricted_extensions}", ".bak/", true},
      {"%{tx.restricted_extensions}", ".php/", false},
  };
  expect_rows("within", kRows, &ctx);
}

TEST(ContainsWordOperatorTest, NeedsNonLetterBoundaries) {
  constexpr MatchRow kRows[] = {
      {"select", "select", true},
      {"select", "x select y", true},
      {"select", "1select2", true},  // digits are boundaries in ModSecurity v3
      {"select", "_select_", true},  // so is '_'
      {"select", "selection", false},
      {"select", "preselect", false},
      {"select", "selects select", true},  // a later occurrence counts
      {"select", "SELECT", false},
      {"", "anything", true},
      {"x", "", false},
  };
  expect_rows("containsWord", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
