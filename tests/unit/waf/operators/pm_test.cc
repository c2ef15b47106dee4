#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

TEST(PmOperatorTest, FindsAnyPhraseIgnoringAsciiCase) {
  constexpr MatchRow kRows[] = {
      {"nikto sqlmap", "Mozilla nikto/2.1", true},
      {"nikto sqlmap", "SQLMAP/1.0", true},
      {"NIKTO", "nikto", true},
      {"nikto sqlmap", "curl/8.0", false},
      {"caf\xe9", "CAF\xe9", true},
      {"caf\xe9", "caf\xc9", false},  // only ASCII letters fold
      {"a\tb  c", "xcx", true},       // any white space separates phrases
  };
  expect_rows("pm", kRows);
}

TEST(PmOperatorTest, FindsOverlappingAndNestedPhrases) {
  constexpr MatchRow kRows[] = {
      {"he she his hers", "ushers", true},
      {"abcd bc", "xabcx", true},  // "bc" inside the failed
                                   // "abcd" branch
      {"abcd bcx", "abcx", true},
      {"aab", "aaab", true},
      {"abcd", "abcabc", false},
  };
  expect_rows("pm", kRows);
}

TEST(PmOperatorTest, CapturesThePhraseThatEndsFirst) {
  auto op = make_operator("pm", "abcd bc hers");
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  ctx.capture = true;
  ASSERT_TRUE(op->match("xABCDhers", ctx));
  EXPECT_EQ(ctx.captures[0], "bc");

  auto longest = make_operator("pm", "she he");
  ASSERT_NE(longest, nullptr);
  ASSERT_TRUE(longest->match("ushe", ctx));
  EXPECT_EQ(ctx.captures[0], "she");
}

TEST(PmOperatorTest, ReadsQuotesHexAndEscapesAsModSecurityDoes) {
  constexpr MatchRow kRows[] = {
      {"\"a b\"", "xb", true},  // the list may be quoted
      {"|41|bc", "Abc", true},  {"x|0a|y", "x\ny", true}, {"a\\;b", "a;b", true},
      {"|4g|", "|4g|", true},  // not hex: the argument is taken as written
      {"a\\nb", "a\\nb", true},
  };
  expect_rows("pm", kRows);
}

TEST(PmOperatorTest, EmptyListNeverMatches) {
  constexpr MatchRow kRows[] = {{"", "anything", false}, {"   ", "", false}};
  expect_rows("pm", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
