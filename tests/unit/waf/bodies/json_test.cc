#include <gtest/gtest.h>

#include <string>

#include "tests/unit/waf/bodies/body_rows.h"
#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

struct JsonRow {
  std::string_view body;
  Pairs expected;
};

void expect_rows(std::initializer_list<JsonRow> rows) {
  for (const JsonRow& row : rows) {
    ParsedBody body;
    bodies::parse_json(row.body, {}, body.parsed);
    EXPECT_FALSE(body.parsed.error) << printable(row.body) << ": " << body.parsed.error_message;
    EXPECT_EQ(pairs(body.parsed.args), row.expected) << printable(row.body);
  }
}

void expect_error(std::string_view text, const bodies::Limits& limits = {}) {
  ParsedBody body;
  bodies::parse_json(text, limits, body.parsed);
  EXPECT_TRUE(body.parsed.error) << "accepted: " << printable(text);
  EXPECT_TRUE(body.parsed.error_message.starts_with("JSON parsing error: "))
      << body.parsed.error_message;
}

TEST(JsonBodyTest, NamesObjectMembersWithTheJsonPrefixAndDots) {
  expect_rows({
      {R"({"foo":"bar"})", {{"json.foo", "bar"}}},
      {R"({"first_level":{"first_key":"bar"}})", {{"json.first_level.first_key", "bar"}}},
      {R"({"a":1,"b":{"c":2,"d":{"e":3}},"f":4})",
       {{"json.a", "1"}, {"json.b.c", "2"}, {"json.b.d.e", "3"}, {"json.f", "4"}}},
  });
}

// ModSecurity's regression test for issue 1576: arrays are "array_<i>" under their key, an
// object inside an array is named by the array element, nested arrays nest their indexes.
TEST(JsonBodyTest, NamesArrayElementsAsModSecurityDoes) {
  constexpr std::string_view kBody = R"({
   "foo":"bar",
   "mod":"sec",
   "ops": [
       ["um", "um e meio"],
       "dois",
       "tres",
       { "eins": ["zwei", "drei"] }
    ],
   "whee": "lhebs"
})";
  expect_rows({{kBody,
                {{"json.foo", "bar"},
                 {"json.mod", "sec"},
                 {"json.ops.array_0.array_0", "um"},
                 {"json.ops.array_0.array_1", "um e meio"},
                 {"json.ops.array_1", "dois"},
                 {"json.ops.array_2", "tres"},
                 {"json.ops.array_3.eins.array_0", "zwei"},
                 {"json.ops.array_3.eins.array_1", "drei"},
                 {"json.whee", "lhebs"}}}});
}

TEST(JsonBodyTest, NamesTopLevelArraysAndScalarsJson) {
  expect_rows({
      {R"(["one","two","three"])",
       {{"json.array_0", "one"}, {"json.array_1", "two"}, {"json.array_2", "three"}}},
      {R"("abc")", {{"json", "abc"}}},
      {"42", {{"json", "42"}}},
      {"null", {{"json", ""}}},
      {R"([[1],[[2]]])", {{"json.array_0.array_0", "1"}, {"json.array_1.array_0.array_0", "2"}}},
      {R"([{"a":1},{"a":2}])", {{"json.array_0.a", "1"}, {"json.array_1.a", "2"}}},
  });
}

TEST(JsonBodyTest, NamesAnEmptyKeyEmptyKey) {
  expect_rows({
      {R"({"":1})", {{"json.empty-key", "1"}}},
      {R"({"a":{"":2}})", {{"json.a.empty-key", "2"}}},
      {R"({"":[1]})", {{"json.empty-key.array_0", "1"}}},
      {R"({"":{"x":1}})", {{"json.empty-key.x", "1"}}},
  });
}

TEST(JsonBodyTest, GivesValuesAsModSecurityDoes) {
  expect_rows({
      {R"({"n":-1.5e+3,"i":0,"f":0.25,"E":1E9})",
       {{"json.n", "-1.5e+3"}, {"json.i", "0"}, {"json.f", "0.25"}, {"json.E", "1E9"}}},
      {R"({"t":true,"f":false,"z":null})",
       {{"json.t", "true"}, {"json.f", "false"}, {"json.z", ""}}},
      {R"({"s":""})", {{"json.s", ""}}},
  });
}

TEST(JsonBodyTest, EmptyContainersGiveNoArguments) {
  expect_rows({
      {"{}", {}},
      {"[]", {}},
      {R"({"a":{},"b":[],"c":1})", {{"json.c", "1"}}},
      {" \r\n\t{ } ", {}},
  });
}

TEST(JsonBodyTest, UnescapesStrings) {
  expect_rows({
      {R"(["a\"b"])", {{"json.array_0", "a\"b"}}},
      {R"(["\\ \/ \b \f \n \r \t"])", {{"json.array_0", "\\ / \b \f \n \r \t"}}},
      {R"(["\u0041\u00e9\u20AC"])", {{"json.array_0", "A\xc3\xa9\xe2\x82\xac"}}},
      {R"(["\ud83d\ude00"])", {{"json.array_0", "\xf0\x9f\x98\x80"}}},
      {R"(["a\u0000b"])", {{"json.array_0", "a\0b"s}}},
      {R"(["<scr\u0069pt>"])", {{"json.array_0", "<script>"}}},
  });
}

// Surrogate escapes decode as yajl decodes them for ModSecurity: a high surrogate pairs with
// whatever \uXXXX follows it, or becomes '?' when none does; a lone low one is encoded as is.
TEST(JsonBodyTest, DecodesSurrogateEscapesAsYajlDoes) {
  expect_rows({
      {R"(["\ud83dx"])", {{"json.array_0", "?x"}}},
      {R"(["\ud83d"])", {{"json.array_0", "?"}}},
      {R"(["\ude00"])", {{"json.array_0", "\xed\xb8\x80"}}},
      {R"(["\ud83d\u0041"])", {{"json.array_0", "\xf0\x9f\x91\x81"}}},
      {R"(["\ud83d\\u0041"])", {{"json.array_0", "?\\u0041"}}},
  });
}

TEST(JsonBodyTest, UnescapesKeysBeforeNamingWithThem) {
  expect_rows({{R"({"a\u002eb":{"c\"d":1}})", {{"json.a.b.c\"d", "1"}}}});
}

TEST(JsonBodyTest, KeepsUtf8AndPointsIntoTheBodyWhenNothingIsEscaped) {
  ParsedBody body;
  std::string text = "{\"k\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}";
  bodies::parse_json(text, {}, body.parsed);
  ASSERT_EQ(body.parsed.args.size(), 1u);
  EXPECT_EQ(body.parsed.args[0].value, "caf\xc3\xa9 \xf0\x9f\x98\x80");
  EXPECT_TRUE(points_into(body.parsed.args[0].value, text));
}

// ModSecurity suppresses yajl's complaint about a body with no bytes at all (issue 1822).
TEST(JsonBodyTest, EmptyBodyIsNotAnError) {
  ParsedBody body;
  bodies::parse_json("", {}, body.parsed);
  EXPECT_FALSE(body.parsed.error);
  EXPECT_TRUE(body.parsed.args.empty());
}

TEST(JsonBodyTest, BlankBodyIsAnError) { expect_error(" \r\n"); }

TEST(JsonBodyTest, MalformedBodiesAreErrors) {
  constexpr std::string_view kBodies[] = {
      "a",
      "{",
      R"({"a"})",
      R"({"a":})",
      R"({"a" 1})",
      "[1,]",
      R"({"a":1,})",
      "[1 2]",
      "01",
      "-01",
      "1.",
      ".5",
      "-",
      "1e",
      "1e+",
      "+1",
      "tru",
      "nul",
      "True",
      "NaN",
      "Infinity",
      R"("abc)",
      "\"a\x01\"",
      R"("\x")",
      R"("\u12")",
      R"("\u12G4")",
      "{a:1}",
      "{'a':1}",
      "['a']",
      "[1]x",
      "1 2",
      "{}{}",
      "/* c */{}",
      "[1,,2]",
      "\"\xff\"",
      "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"",
      "\"\xf4\x90\x80\x80\"",
      "\"\xe2\x82\"",
      "]",
      "}",
      R"({"a":1]})",
      R"([1})",
      "\"tab\there\"",
  };
  for (std::string_view text : kBodies) expect_error(text);
}

TEST(JsonBodyTest, ErrorMessageSaysWhatAndWhere) {
  ParsedBody body;
  bodies::parse_json(R"({"a":1,"b":tru})", {}, body.parsed);
  EXPECT_TRUE(body.parsed.error);
  EXPECT_EQ(body.parsed.error_offset, 11u);
  EXPECT_EQ(body.parsed.error_message, "JSON parsing error: invalid literal at offset 11");
}

// yajl hands values over as it parses, so ModSecurity keeps what came before the error.
TEST(JsonBodyTest, KeepsArgumentsFoundBeforeAnError) {
  ParsedBody body;
  bodies::parse_json(R"({"a":1,"b":[2,)", {}, body.parsed);
  EXPECT_TRUE(body.parsed.error);
  EXPECT_EQ(pairs(body.parsed.args), (Pairs{{"json.a", "1"}, {"json.b.array_0", "2"}}));
}

// ModSecurity's regression tests: five nested objects pass a limit of 5 and fail one of 4.
TEST(JsonBodyTest, DepthLimitCountsNestedContainers) {
  constexpr std::string_view kBody = R"({"key1":{"key2":{"key3":{"key4":{"key5":"thevalue"}}}}})";
  bodies::Limits limits;
  limits.json_max_depth = 5;
  ParsedBody ok;
  bodies::parse_json(kBody, limits, ok.parsed);
  EXPECT_FALSE(ok.parsed.error);
  EXPECT_EQ(pairs(ok.parsed.args), (Pairs{{"json.key1.key2.key3.key4.key5", "thevalue"}}));

  limits.json_max_depth = 4;
  ParsedBody deep;
  bodies::parse_json(kBody, limits, deep.parsed);
  EXPECT_TRUE(deep.parsed.error);
  EXPECT_TRUE(deep.parsed.error_message.starts_with("JSON parsing error: nesting depth limit"))
      << deep.parsed.error_message;
}

TEST(JsonBodyTest, DeepNestingIsRejectedWithoutRecursion) {
  std::string deep(200000, '[');
  expect_error(deep);  // default limit: 10000

  bodies::Limits no_limit;
  no_limit.json_max_depth = 1000000;
  std::string nested = std::string(150000, '[') + std::string(150000, ']');
  ParsedBody body;
  bodies::parse_json(nested, no_limit, body.parsed);
  EXPECT_FALSE(body.parsed.error) << body.parsed.error_message;
}

// ModSecurity's addArgument refuses the argument past SecArgumentsLimit and yajl then cancels
// the parse, which becomes a body error.
TEST(JsonBodyTest, ArgumentLimitStopsTheParseWithAnError) {
  bodies::Limits limits;
  limits.max_args = 2;
  ParsedBody body;
  bodies::parse_json("[1,2,3,4]", limits, body.parsed);
  EXPECT_EQ(pairs(body.parsed.args), (Pairs{{"json.array_0", "1"}, {"json.array_1", "2"}}));
  EXPECT_TRUE(body.parsed.limit_exceeded);
  EXPECT_TRUE(body.parsed.error);
}

TEST(JsonBodyTest, ArgumentNamesHaveAMemoryBudget) {
  bodies::Limits limits;
  limits.json_max_name_bytes = 64;
  std::string text =
      R"({"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":{"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb":[1,2,3]}})";
  ParsedBody body;
  bodies::parse_json(text, limits, body.parsed);
  EXPECT_TRUE(body.parsed.error);
  EXPECT_TRUE(body.parsed.limit_exceeded);
}

TEST(JsonBodyTest, ArenaExhaustionIsAnErrorNotACrash) {
  alignas(std::max_align_t) char buffer[256];
  std::pmr::monotonic_buffer_resource arena(buffer, sizeof buffer,
                                            std::pmr::null_memory_resource());
  bodies::Parsed parsed(&arena);
  std::string text = "[";
  for (int i = 0; i < 1000; ++i) text += "1,";
  text += "1]";
  bodies::parse_json(text, {}, parsed);
  EXPECT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error_message, "JSON parsing error: out of request memory");
}

}  // namespace
}  // namespace portcullis::waf::testing
