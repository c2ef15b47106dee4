#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(HtmlEntityDecodeTransformTest, DecodesNamedEntitiesWithOrWithoutSemicolon) {
  constexpr Row kRows[] = {
      {"&lt;script&gt;", "<script>"},
      {"&lt script&gt", "< script>"},
      {"&QUOT;&Amp;&gT;", "\"&>"},
      {"a&nbsp;b",
       "a\xa0"
       "b"},
      {"&amp;lt;", "&lt;"},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, NamedEntityConsumesItsWholeAlphanumericRun) {
  constexpr Row kRows[] = {
      {"&ltscript&gt;", "<>"},
      {"&ampersand", "&"},
      {"&lt1;x", "<x"},
      {"&quotation;", "\""},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, KeepsUnknownOrEmptyEntities) {
  constexpr Row kRows[] = {
      {"&copy;", "&copy;"}, {"&", "&"},      {"&;", "&;"},       {"a & b", "a & b"},
      {"&qu;", "&qu;"},     {"&&lt;", "&<"}, {"&l&t;", "&l&t;"},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, DecodesEveryDecimalDigitModulo256) {
  constexpr Row kRows[] = {
      {"&#60;", "<"},
      {"&#60", "<"},
      {"&#060;", "<"},
      {"&#0060;", "<"},
      {"&#00000000000000000000000000000000000000000000000123;", "{"},  // CRS 944150 evasion
      {"&#1234;", "\xd2"},
      {"&#256;", "\0"sv},
      {"&#999;", "\xe7"},
      {"&#99999999999999999999999;", "\xff"},  // past 2^63: saturates as strtol does
      {"&#65&#66", "AB"},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, DecodesEveryHexDigitModulo256) {
  constexpr Row kRows[] = {
      {"&#x3c;", "<"},   {"&#X3C", "<"},    {"&#x3c3e;", ">"},
      {"&#x4;", "\x04"}, {"&#xff", "\xff"}, {"&#x000000000000000000003c;", "<"},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, KeepsNumericEntitiesWithoutDigits) {
  constexpr Row kRows[] = {
      {"&#", "&#"},       {"&#;", "&#;"}, {"&#x", "&#x"}, {"&#x;", "&#x;"},
      {"&#xg;", "&#xg;"}, {"&#a", "&#a"}, {"a&#", "a&#"},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {
      {"&#0;", "\0"sv},      {"&#x00", "\0"sv},  {"&l\0t;"sv, "&l\0t;"sv},
      {"\0&lt;"sv, "\0<"sv}, {"&\0"sv, "&\0"sv},
  };
  expect_rows("htmlEntityDecode", kRows);
}

TEST(HtmlEntityDecodeTransformTest, NothingToDecodeReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"no entities", "no entities"}, {"&copy", "&copy"}};
  expect_rows("htmlEntityDecode", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
