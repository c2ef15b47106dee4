#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "tests/unit/waf/operators/operator_rows.h"
#include "waf/seclang/parser.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(RxOperatorTest, MatchesBytesAsLatin1) {
  constexpr MatchRow kRows[] = {
      {"\\xe9", "caf\xe9", true},
      {"\\xe9", "caf\xc3\xa9", false},  // UTF-8 é is two other bytes
      {"caf.$", "caf\xe9", true},       // '.' is one byte
      {"^.{2}$", "\xc3\xa9", true},     // two bytes, not one character
      {"\xe9", "caf\xe9", true},        // a raw Latin-1 byte in the pattern
      {"[\\x80-\\xff]", "abc\xff", true},
      {"[\\x80-\\xff]", "abc", false},
      {"\\x00", "a\0b"sv, true},
  };
  expect_rows("rx", kRows);
}

TEST(RxOperatorTest, WhiteSpaceClassIncludesVerticalTab) {
  constexpr MatchRow kRows[] = {
      {"a\\sb", "a\vb", true},    {"a\\sb", "a\tb", true},
      {"a[\\s,]b", "a\vb", true}, {"a[^\\s]b", "a\vb", false},
      {"a\\Sb", "a\vb", false},   {"a\\Sb", "a\351b", true},
      {"a[\\S]b", "a\vb", false}, {"a[\\S]b", "a\0b"sv, true},
      {"a[^\\S]b", "a\vb", true}, {"a[^\\S]b", "axb", false},
      {"a\\\\sb", "a\\sb", true},  // an escaped backslash, then a literal 's'
      {"a\\\\sb", "a\vb", false}, {"a\\\\\\sb", "a\\\vb", true},
      {"[]\\s]", "\x0b", true},   {"a[\\s-]b", "a-b", true},  // '-' after \s is still a literal
      {"a[\\s-]b", "a\vb", true}, {"a[\\s-]b", "a.b", false},
      {"\\Q\\s\\E", "\\s", true}, {"[[:alpha:]\\s]x", "\x0bx", true},
  };
  expect_rows("rx", kRows);
}

TEST(RxOperatorTest, DotMatchesNewlineAndAnchorsMatchAtLineEnds) {
  constexpr MatchRow kRows[] = {
      {"a.b", "a\nb", true},    {"^b", "a\nb", true},  // ModSecurity compiles with PCRE_MULTILINE
      {"a$", "a\nb", true},     {"\\Ab", "a\nb", false}, {"(?i)^SELECT", "select 1", true},
      {"^abc$", "xabc", false},
  };
  expect_rows("rx", kRows);
}

TEST(RxOperatorTest, EmptyPatternAlwaysMatches) {
  constexpr MatchRow kRows[] = {{"", "", true}, {"", "anything", true}};
  expect_rows("rx", kRows);
}

TEST(RxOperatorTest, CapturesWholeMatchAndUpToNineGroups) {
  auto op = make_operator("rx", "(a)(b)?(c)(d)(e)(f)(g)(h)(i)(j)(k)");
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  ctx.capture = true;
  ASSERT_TRUE(op->match("xxacdefghijkyy", ctx));
  EXPECT_EQ(ctx.captures[0], "acdefghijk");
  EXPECT_EQ(ctx.captures[1], "a");
  EXPECT_FALSE(ctx.captures[2].has_value());  // the group took no part
  EXPECT_EQ(ctx.captures[3], "c");
  EXPECT_EQ(ctx.captures[9], "i");
}

TEST(RxOperatorTest, CapturesNothingWithoutTheCaptureAction) {
  auto op = make_operator("rx", "(a)");
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  ASSERT_TRUE(op->match("a", ctx));
  EXPECT_FALSE(ctx.captures[0].has_value());
}

TEST(RxOperatorTest, ExpandsMacrosPerMatch) {
  FakeMatchContext ctx;
  ctx.tx["ext"] = "bak|old";
  constexpr MatchRow kRows[] = {
      {"\\.(?:%{tx.ext})$", "index.bak", true},
      {"\\.(?:%{tx.ext})$", "index.php", false},
  };
  expect_rows("rx", kRows, &ctx);
}

TEST(RxOperatorTest, InvalidPatternIsAnErrorWithRe2sMessage) {
  EXPECT_NE(creation_error("rx", "(abc"), "");
  EXPECT_NE(creation_error("rx", "(abc").find("missing )"), std::string::npos)
      << creation_error("rx", "(abc");
  EXPECT_NE(creation_error("rx", "a{2,1}"), "");
  EXPECT_EQ(creation_error("rx", "(?i)abc"), "");
}

TEST(RxOperatorTest, CompilesEveryRxPatternOfCrsV4) {
  namespace fs = std::filesystem;
  fs::path crs = fs::path(PORTCULLIS_SHARED_DIR) / "crs" / "v4.28.0" / "rules";
  fs::path main = fs::temp_directory_path() / ("portcullis-rx-test-" + std::to_string(::getpid()));
  std::ofstream(main) << "Include " << (crs / "*.conf").string() << "\n";
  auto items = seclang::parse_rule_files(main.string());
  fs::remove(main);
  ASSERT_TRUE(items.ok()) << items.error().to_string();

  OperatorFactory rx = find_operator("rx");
  ASSERT_NE(rx, nullptr);
  int patterns = 0;
  auto check = [&](const seclang::RuleAst& rule) {
    if (rule.op.name != "rx") return;
    ++patterns;
    auto op = rx(OperatorArgs{rule.op.argument, crs.string()});
    EXPECT_TRUE(op.ok()) << rule.file << ":" << rule.line << ": "
                         << (op.ok() ? "" : op.error().to_string());
  };
  for (const seclang::Item& item : *items) {
    if (const auto* rule = std::get_if<seclang::RuleAst>(&item)) {
      check(*rule);
      for (const seclang::RuleAst& chained : rule->chained) check(chained);
    }
  }
  EXPECT_EQ(patterns, 318);
}

}  // namespace
}  // namespace portcullis::waf::testing
