#include <gtest/gtest.h>

#include <string>

#include "tests/unit/waf/bodies/body_rows.h"
#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

struct UrlencodedRow {
  std::string_view text;
  Pairs expected;
};

void expect_rows(std::initializer_list<UrlencodedRow> rows) {
  for (const UrlencodedRow& row : rows) {
    ParsedBody body;
    bodies::parse_urlencoded(row.text, {}, body.parsed);
    EXPECT_EQ(pairs(body.parsed.args), row.expected) << "\"" << printable(row.text) << "\"";
    EXPECT_FALSE(body.parsed.error) << "\"" << printable(row.text) << "\"";
  }
}

TEST(UrlencodedBodyTest, SplitsOnAmpersandThenOnTheFirstEquals) {
  expect_rows({
      {"a=1&b=2", {{"a", "1"}, {"b", "2"}}},
      {"a=1=2", {{"a", "1=2"}}},
      {"a", {{"a", ""}}},
      {"a=", {{"a", ""}}},
      {"=v", {{"", "v"}}},
      {"a=1&a=2", {{"a", "1"}, {"a", "2"}}},
      {"a=1;b=2", {{"a", "1;b=2"}}},
  });
}

TEST(UrlencodedBodyTest, KeepsEmptyPiecesExceptAfterTheLastAmpersand) {
  expect_rows({
      {"", {}},
      {"a&&b", {{"a", ""}, {"", ""}, {"b", ""}}},
      {"a=1&", {{"a", "1"}}},
      {"&", {{"", ""}}},
      {"&&", {{"", ""}, {"", ""}}},
      {"&a=1", {{"", ""}, {"a", "1"}}},
  });
}

TEST(UrlencodedBodyTest, DecodesPlusAndPercentEscapesInNamesAndValues) {
  expect_rows({
      {"a+b=c+d", {{"a b", "c d"}}},
      {"%41%42=%3c%3E", {{"AB", "<>"}}},
      {"q=%27+OR+1%3D1--", {{"q", "' OR 1=1--"}}},
      {"n=%00x", {{"n", "\0x"s}}},
      {"%26=%3D", {{"&", "="}}},
      {"x=%ff%FE", {{"x", "\xff\xfe"}}},
      {"u=%u0041", {{"u", "%u0041"}}},
  });
}

TEST(UrlencodedBodyTest, KeepsInvalidEscapesAsTheyAreAndSetsUrlencodedError) {
  struct Row {
    std::string_view text;
    Pairs expected;
    bool invalid;
  };
  const Row rows[] = {
      {"a=%zz", {{"a", "%zz"}}, true},   {"a=100%", {{"a", "100%"}}, true},
      {"a=%4", {{"a", "%4"}}, true},     {"%g1=1", {{"%g1", "1"}}, true},
      {"a=%4%41", {{"a", "%4A"}}, true}, {"a=%41&b=%42", {{"a", "A"}, {"b", "B"}}, false},
      {"a=b", {{"a", "b"}}, false},
  };
  for (const Row& row : rows) {
    ParsedBody body;
    bodies::parse_urlencoded(row.text, {}, body.parsed);
    EXPECT_EQ(pairs(body.parsed.args), row.expected) << row.text;
    EXPECT_EQ(body.parsed.urlencoded_error, row.invalid) << row.text;
    EXPECT_FALSE(body.parsed.error) << row.text;
  }
}

TEST(UrlencodedBodyTest, DropsArgumentsPastTheLimitButStillChecksTheirEncoding) {
  ParsedBody body;
  bodies::Limits limits;
  limits.max_args = 2;
  bodies::parse_urlencoded("a=1&b=2&c=3&d=%zz", limits, body.parsed);
  EXPECT_EQ(pairs(body.parsed.args), (Pairs{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(body.parsed.limit_exceeded);
  EXPECT_TRUE(body.parsed.urlencoded_error);
  EXPECT_FALSE(body.parsed.error);
}

TEST(UrlencodedBodyTest, ExactlyTheLimitIsNotExceeded) {
  ParsedBody body;
  bodies::Limits limits;
  limits.max_args = 2;
  bodies::parse_urlencoded("a=1&b=2", limits, body.parsed);
  EXPECT_EQ(body.parsed.args.size(), 2u);
  EXPECT_FALSE(body.parsed.limit_exceeded);
}

TEST(UrlencodedBodyTest, AppendsToArgumentsAlreadyThereAndCountsThemForTheLimit) {
  ParsedBody body;
  bodies::Limits limits;
  limits.max_args = 3;
  bodies::parse_urlencoded("q=1", limits, body.parsed);
  bodies::parse_urlencoded("a=1&b=2&c=3", limits, body.parsed);
  EXPECT_EQ(pairs(body.parsed.args), (Pairs{{"q", "1"}, {"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(body.parsed.limit_exceeded);
}

TEST(UrlencodedBodyTest, UndecodedPiecesPointIntoTheInput) {
  ParsedBody body;
  std::string text = "name=value&other=x%41";
  bodies::parse_urlencoded(text, {}, body.parsed);
  ASSERT_EQ(body.parsed.args.size(), 2u);
  EXPECT_TRUE(points_into(body.parsed.args[0].name, text));
  EXPECT_TRUE(points_into(body.parsed.args[0].value, text));
  EXPECT_FALSE(points_into(body.parsed.args[1].value, text));
  EXPECT_EQ(body.parsed.args[1].value, "xA");
}

TEST(UrlencodedBodyTest, ArenaExhaustionIsAnErrorNotACrash) {
  alignas(std::max_align_t) char buffer[64];
  std::pmr::monotonic_buffer_resource arena(buffer, sizeof buffer,
                                            std::pmr::null_memory_resource());
  bodies::Parsed parsed(&arena);
  std::string text;
  for (int i = 0; i < 100; ++i) text += "a%41=b%42&";
  bodies::parse_urlencoded(text, {}, parsed);
  EXPECT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error_message, "Request body parsing error: out of request memory");
}

}  // namespace
}  // namespace portcullis::waf::testing
