// Possessive quantifiers: rewritten to greedy only where the result provably matches the same.
#include "waf/operators/possessive.h"

#include <gtest/gtest.h>

namespace portcullis::waf::operators {
namespace {

TEST(PossessiveRewrite, DisjointFollowerIsRewritten) {
  EXPECT_EQ(rewrite_possessive(R"(a\s*+;b)"), R"(a\s*;b)");
  EXPECT_EQ(rewrite_possessive(R"([^"]++")"), R"([^"]+")");
  EXPECT_EQ(rewrite_possessive(R"(x\d?+$)").value_or("-"), "-");  // '$' is not modelled
  EXPECT_EQ(rewrite_possessive(R"(a\w++)"), R"(a\w+)");           // end of the pattern
}

TEST(PossessiveRewrite, NullableItemsBeforeTheFollowerAreSkipped) {
  // CRS 942260: the class can give back only characters the lazy items take, then \w.
  EXPECT_EQ(rewrite_possessive(R"([^?\w\s=.,;)(]++\s*?[(@"'`]*?\s*?\w+)"),
            R"([^?\w\s=.,;)(]+\s*?[(@"'`]*?\s*?\w+)");
}

TEST(PossessiveRewrite, OverlappingFollowerIsNotRewritten) {
  EXPECT_FALSE(rewrite_possessive("a*+a").has_value());
  EXPECT_FALSE(rewrite_possessive(R"(\w++\d)").has_value());
  EXPECT_FALSE(rewrite_possessive("(?i)[a-z]++A").has_value());  // caseless: A is a
}

TEST(PossessiveRewrite, GroupsAreNotRewritten) {
  EXPECT_FALSE(rewrite_possessive("(ab)++c").has_value());
  EXPECT_FALSE(rewrite_possessive(R"(\s*+(?:a|b))").has_value());
}

TEST(PossessiveRewrite, NothingToRewrite) { EXPECT_FALSE(rewrite_possessive("a+b*").has_value()); }

}  // namespace
}  // namespace portcullis::waf::operators
