// parse_json (schema/json.h): strict JSON into an arena tree, with the refusals that keep a
// body the validator checked from meaning something else to the upstream (duplicate names,
// invalid UTF-8, lone surrogates), and the bounds that keep hostile bodies cheap.
#include "schema/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory_resource>
#include <string>
#include <string_view>

namespace portcullis::schema {
namespace {

using namespace std::literals;

// Bytes as a C string literal would spell them, for failure messages.
std::string printable(std::string_view bytes) {
  std::string text;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      text.push_back(c);
    } else {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\x%02x", b);
      text += escape;
    }
  }
  return text;
}

// Each parse in its own arena, kept as long as the fixture.
class JsonParseTest : public ::testing::Test {
 protected:
  JsonResult parse(std::string_view text, std::size_t max_depth = 64) {
    return parse_json(text, &arena_, JsonLimits{max_depth});
  }
  // The value of a document that must parse.
  const Value& parsed(std::string_view text) {
    JsonResult r = parse(text);
    if (r.value == nullptr) {
      ADD_FAILURE() << "\"" << printable(text) << "\" failed: " << r.error << " at " << r.offset;
      static const Value kNull;
      return kNull;
    }
    return *r.value;
  }

  std::pmr::monotonic_buffer_resource arena_;
};

TEST_F(JsonParseTest, BuildsTheTreeOfANestedDocument) {
  const Value& v = parsed(R"( {"a": [1, {"b": null}], "c": true, "d": "x", "e": {}} )");
  ASSERT_EQ(v.kind, JsonKind::kObject);
  ASSERT_EQ(v.count, 4u);
  EXPECT_EQ(v.members[0].name, "a");
  EXPECT_EQ(v.members[3].name, "e");
  const Value* a = v.find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->kind, JsonKind::kArray);
  ASSERT_EQ(a->count, 2u);
  EXPECT_EQ(a->items[0].kind, JsonKind::kNumber);
  EXPECT_EQ(a->items[0].integer_value, 1);
  ASSERT_EQ(a->items[1].kind, JsonKind::kObject);
  const Value* b = a->items[1].find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->kind, JsonKind::kNull);
  EXPECT_EQ(v.find("c")->kind, JsonKind::kBoolean);
  EXPECT_TRUE(v.find("c")->boolean);
  EXPECT_EQ(v.find("d")->text, "x");
  EXPECT_EQ(v.find("e")->kind, JsonKind::kObject);
  EXPECT_EQ(v.find("e")->count, 0u);
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST_F(JsonParseTest, ParsesEveryKindOfScalarAtTheTop) {
  struct Row {
    std::string_view text;
    JsonKind kind;
  };
  constexpr Row kRows[] = {
      {"null", JsonKind::kNull}, {"true", JsonKind::kBoolean},       {"false", JsonKind::kBoolean},
      {"0", JsonKind::kNumber},  {"\"\"", JsonKind::kString},        {"[]", JsonKind::kArray},
      {"{}", JsonKind::kObject}, {" \t\r\n1 \n", JsonKind::kNumber},
  };
  for (const Row& row : kRows) {
    EXPECT_EQ(parsed(row.text).kind, row.kind) << printable(row.text);
  }
  EXPECT_FALSE(parsed("false").boolean);
}

TEST_F(JsonParseTest, DecodesEscapesToUtf8) {
  struct Row {
    std::string_view json;
    std::string_view text;
  };
  const Row kRows[] = {
      {R"("\"\\\/\b\f\n\r\t")", "\"\\/\b\f\n\r\t"},
      {R"("\u0041\u00e9")", "A\xc3\xa9"},
      {R"("\u20AC")", "\xe2\x82\xac"},
      {R"("\ud83d\ude00")", "\xf0\x9f\x98\x80"},  // a surrogate pair: U+1F600
      {R"("\uDBFF\uDFFF")", "\xf4\x8f\xbf\xbf"},  // the last code point, U+10FFFF
      {R"("a\u0000b")", "a\0b"sv},                // NUL is a character like any other
      {"\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "caf\xc3\xa9 \xf0\x9f\x98\x80"},  // raw UTF-8 as is
      {R"("x\ud83d\ude00y\n")", "x\xf0\x9f\x98\x80y\n"},
  };
  for (const Row& row : kRows) {
    const Value& v = parsed(row.json);
    EXPECT_EQ(v.kind, JsonKind::kString) << printable(row.json);
    EXPECT_EQ(printable(v.text), printable(row.text)) << printable(row.json);
  }
}

TEST_F(JsonParseTest, DecodesEscapedMemberNames) {
  const Value& v = parsed(R"({"\u0061\nb": 1})");
  ASSERT_EQ(v.count, 1u);
  EXPECT_EQ(v.members[0].name, "a\nb");
  EXPECT_NE(v.find("a\nb"), nullptr);
}

TEST_F(JsonParseTest, ReadsIntegersExactly) {
  struct Row {
    std::string_view text;
    std::int64_t value;
  };
  constexpr Row kRows[] = {
      {"0", 0},
      {"7", 7},
      {"-42", -42},
      {"9007199254740993", 9007199254740993},  // 2^53 + 1: no double holds it
      {"9223372036854775807", INT64_MAX},
      {"-9223372036854775808", INT64_MIN},
  };
  for (const Row& row : kRows) {
    const Value& v = parsed(row.text);
    EXPECT_EQ(v.kind, JsonKind::kNumber) << row.text;
    EXPECT_TRUE(v.integer) << row.text;
    EXPECT_EQ(v.integer_value, row.value) << row.text;
    EXPECT_EQ(v.text, row.text);
  }
}

TEST_F(JsonParseTest, CountsWholeNumbersWithAFractionOrExponentAsIntegers) {
  struct Row {
    std::string_view text;
    std::int64_t value;
  };
  constexpr Row kRows[] = {
      {"1.0", 1}, {"-3.000", -3}, {"1e2", 100}, {"2.5E1", 25}, {"1E+3", 1000}, {"0.0", 0},
  };
  for (const Row& row : kRows) {
    const Value& v = parsed(row.text);
    EXPECT_TRUE(v.integer) << row.text;
    EXPECT_EQ(v.integer_value, row.value) << row.text;
    EXPECT_EQ(v.text, row.text) << "the literal is kept as written";
  }
}

TEST_F(JsonParseTest, ReadsFractionsAndExponentsAsDoubles) {
  struct Row {
    std::string_view text;
    double value;
  };
  constexpr Row kRows[] = {
      {"1.5", 1.5},      {"-0.25", -0.25}, {"2.5e-3", 0.0025},
      {"-1.25E2", -125}, {"1e308", 1e308}, {"1.7976931348623157e308", 1.7976931348623157e308},
  };
  for (const Row& row : kRows) {
    const Value& v = parsed(row.text);
    EXPECT_EQ(v.kind, JsonKind::kNumber) << row.text;
    EXPECT_DOUBLE_EQ(v.number, row.value) << row.text;
  }
  EXPECT_FALSE(parsed("1.5").integer);
  EXPECT_FALSE(parsed("2.5e-3").integer);
}

TEST_F(JsonParseTest, ReadsMinusZeroAsZero) {
  for (std::string_view text : {"-0"sv, "-0.0"sv, "-0e5"sv}) {
    const Value& v = parsed(text);
    EXPECT_EQ(v.kind, JsonKind::kNumber) << text;
    EXPECT_EQ(v.number, 0.0) << text;
    EXPECT_TRUE(v.integer) << text;
    EXPECT_EQ(v.integer_value, 0) << text;
  }
}

TEST_F(JsonParseTest, ReadsNumbersTooSmallForADoubleAsZero) {
  for (std::string_view text : {"1e-400"sv, "-1e-400"sv, "0.5E-999"sv}) {
    const Value& v = parsed(text);
    EXPECT_EQ(v.kind, JsonKind::kNumber) << text;
    EXPECT_EQ(v.number, 0.0) << text;
    EXPECT_EQ(v.text, text);
  }
}

TEST_F(JsonParseTest, ReadsIntegersBeyondInt64AsDoublesOnly) {
  const Value& v = parsed("9223372036854775808");
  EXPECT_EQ(v.kind, JsonKind::kNumber);
  EXPECT_FALSE(v.integer);
  EXPECT_DOUBLE_EQ(v.number, 9223372036854775808.0);
}

struct ErrorRow {
  std::string_view text;
  std::string_view error;
};

// Every refusal of the parser, each with inputs that reach it.
const ErrorRow kErrorRows[] = {
    {"", "unexpected end of the document"},
    {"   ", "unexpected end of the document"},
    {"[1,", "unexpected end of the document"},
    {"[1", "unexpected end of the document"},
    {R"({"a":1)", "unexpected end of the document"},
    {R"({"a":)", "unexpected end of the document"},
    {"1 2", "unexpected text after the JSON value"},
    {"{}x", "unexpected text after the JSON value"},
    {"[]]", "unexpected text after the JSON value"},
    {"truex", "unexpected text after the JSON value"},
    {"tru", "invalid literal"},
    {"nul", "invalid literal"},
    {"fals", "invalid literal"},
    {"True", "invalid value"},
    {"+1", "invalid value"},
    {".5", "invalid value"},
    {"-", "invalid value"},
    {"'a'", "invalid value"},
    {"[1,]", "invalid value"},
    {"[,]", "invalid value"},
    {"NaN", "invalid value"},
    {"01", "leading zero in a number"},
    {"-012", "leading zero in a number"},
    {"00", "leading zero in a number"},
    {"1.", "invalid number"},
    {"1.e3", "invalid number"},
    {"1e", "invalid number"},
    {"1e+", "invalid number"},
    {"-1.5E-", "invalid number"},
    {"1e400", "number out of range"},
    {"-1e400", "number out of range"},
    {"[1, 2e999]", "number out of range"},
    {R"("abc)", "unterminated string"},
    {R"(["a)", "unterminated string"},
    {"\"a\nb\"", "control character in a string"},
    {"\"\t\"", "control character in a string"},
    {"\"\x1f\"", "control character in a string"},
    {"\"\xff\"", "invalid UTF-8"},
    {"\"\x80\"", "invalid UTF-8"},
    {"\"\xc0\xaf\"", "invalid UTF-8"},          // an overlong '/'
    {"\"\xe0\x80\xaf\"", "invalid UTF-8"},      // overlong, three bytes
    {"\"\xed\xa0\x80\"", "invalid UTF-8"},      // an encoded surrogate (CESU-8)
    {"\"\xf4\x90\x80\x80\"", "invalid UTF-8"},  // past U+10FFFF
    {"\"\xe2\x82\"", "invalid UTF-8"},          // a truncated sequence
    {"{\"\xc3\": 1}", "invalid UTF-8"},         // in a member name too
    {R"("\x41")", "invalid escape"},
    {R"("\a")", "invalid escape"},
    {R"("\U0041")", "invalid escape"},
    {R"("\u12")", "invalid \\u escape"},
    {R"("\u12g4")", "invalid \\u escape"},
    {R"("\ud800")", "lone surrogate in a \\u escape"},
    {R"("\udc00")", "lone surrogate in a \\u escape"},
    {R"("\ude00\ud83d")", "lone surrogate in a \\u escape"},  // the pair the wrong way round
    {R"("\ud800\u0041")", "lone surrogate in a \\u escape"},
    {R"("\ud800\ud800")", "lone surrogate in a \\u escape"},
    {R"("\ud800x")", "lone surrogate in a \\u escape"},
    {"{1: 2}", "expected a member name"},
    {"{,}", "expected a member name"},
    {R"({"a": 1,})", "expected a member name"},
    {"{'a': 1}", "expected a member name"},
    {R"({"a" 1})", "expected ':'"},
    {R"({"a"})", "expected ':'"},
    {"[1 2]", "expected ',' or ']'"},
    {"[1}", "expected ',' or ']'"},
    {R"({"a": 1 "b": 2})", "expected ',' or '}'"},
    {R"({"a": 1])", "expected ',' or '}'"},
    {R"({"a": 1, "a": 2})", "duplicate member name"},
    {R"({"a": 1, "\u0061": 2})", "duplicate member name"},  // the same name once decoded
    {R"([{"x": 1, "y": 2, "x": 3}])", "duplicate member name"},
    {"/* c */ 1", "invalid value"},
};

TEST_F(JsonParseTest, RefusesMalformedDocumentsWithTheReason) {
  for (const ErrorRow& row : kErrorRows) {
    JsonResult r = parse(row.text);
    EXPECT_EQ(r.value, nullptr) << printable(row.text);
    EXPECT_EQ(r.error, row.error) << printable(row.text);
  }
}

TEST_F(JsonParseTest, ReportsTheOffsetOfTheError) {
  struct Row {
    std::string_view text;
    std::size_t offset;
  };
  constexpr Row kRows[] = {
      {"[1 2]", 3},       // at the unexpected '2'
      {"1 2", 2},         //
      {"[01]", 2},        // after the leading zero
      {"[1, tru]", 4},    // at the literal
      {"\"ab\xff\"", 3},  // at the invalid byte
      {"[\"a\nb\"]", 3},  // at the control character
      {"{\"a\" 1}", 5},   // where ':' should be
  };
  for (const Row& row : kRows) {
    JsonResult r = parse(row.text);
    EXPECT_EQ(r.value, nullptr) << printable(row.text);
    EXPECT_EQ(r.offset, row.offset) << printable(row.text) << ": " << r.error;
  }
}

// An error offset never points past the end of the input.
TEST_F(JsonParseTest, KeepsErrorOffsetsWithinTheInput) {
  for (const ErrorRow& row : kErrorRows) {
    JsonResult r = parse(row.text);
    EXPECT_LE(r.offset, row.text.size()) << printable(row.text) << ": " << r.error;
  }
  for (std::string_view text : {R"("abc\)"sv, R"(["\)"sv, R"({"a\)"sv}) {
    JsonResult r = parse(text);
    EXPECT_EQ(r.error, "unterminated string") << printable(text);
    EXPECT_LE(r.offset, text.size()) << printable(text);
  }
}

// A huge mantissa with a negative exponent (1e399 written as 1000...0e-1) is out of range, not 0.
TEST_F(JsonParseTest, RefusesHugeMantissasWithANegativeExponent) {
  const std::string huge_mantissa = "1" + std::string(400, '0') + "e-1";
  JsonResult r = parse(huge_mantissa);
  EXPECT_EQ(r.value, nullptr) << "read as " << (r.value ? r.value->number : 0);
  EXPECT_EQ(r.error, "number out of range");
  const std::string huge_fraction = "1" + std::string(400, '0') + ".5e-10";
  EXPECT_EQ(parse(huge_fraction).error, "number out of range");
}

TEST_F(JsonParseTest, AcceptsNestingUpToTheLimit) {
  const std::string at_limit = std::string(64, '[') + std::string(64, ']');
  EXPECT_NE(parse(at_limit, 64).value, nullptr);
  const std::string past_limit = std::string(65, '[') + std::string(65, ']');
  JsonResult r = parse(past_limit, 64);
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.error, "nesting deeper than the limit");
  EXPECT_EQ(r.offset, 64u) << "at the first bracket past the limit";
}

TEST_F(JsonParseTest, CountsObjectsAndArraysAlikeTowardsTheDepth) {
  EXPECT_NE(parse(R"({"a": [{"b": 1}]})", 3).value, nullptr);
  EXPECT_EQ(parse(R"({"a": [{"b": []}]})", 3).error, "nesting deeper than the limit");
  EXPECT_EQ(parse(R"([[[1]]])", 2).error, "nesting deeper than the limit");
}

TEST_F(JsonParseTest, RefusesADepthBombCleanly) {
  const std::string arrays(100000, '[');
  JsonResult r = parse(arrays, 64);
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.error, "nesting deeper than the limit");
  EXPECT_EQ(r.offset, 64u);

  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += R"({"a":)";
  r = parse(objects, 64);
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.error, "nesting deeper than the limit");
}

// Objects with more than a handful of members are checked for duplicates by sorting: a large
// object costs n log n, and a duplicate at its very end is still found.
TEST_F(JsonParseTest, RefusesADuplicateAtTheEndOfALargeObject) {
  std::string body = "{";
  for (int i = 0; i < 100000; ++i) body += "\"k" + std::to_string(i) + "\":" + "1,";
  std::string unique = body;
  unique.back() = '}';
  JsonResult ok = parse(unique);
  ASSERT_NE(ok.value, nullptr) << ok.error;
  EXPECT_EQ(ok.value->count, 100000u);

  body += "\"k0\":2}";
  JsonResult r = parse(body);
  EXPECT_EQ(r.value, nullptr);
  EXPECT_EQ(r.error, "duplicate member name");
}

TEST_F(JsonParseTest, RefusesDuplicatesInSmallAndMidSizedObjects) {
  for (int n = 2; n <= 20; ++n) {
    std::string body = "{";
    for (int i = 0; i < n; ++i) body += "\"m" + std::to_string(i) + "\":" + "0,";
    body += "\"m" + std::to_string(n - 1) + "\":0}";
    EXPECT_EQ(parse(body).error, "duplicate member name") << body;
  }
}

TEST_F(JsonParseTest, ParsesAgainAfterAFailedDocument) {
  EXPECT_EQ(parse(R"([[[{"a": [1, 2, {"b": )").value, nullptr);
  const Value& v = parsed(R"([{"c": [3]}])");
  ASSERT_EQ(v.count, 1u);
  ASSERT_EQ(v.items[0].count, 1u);
  EXPECT_EQ(v.items[0].members[0].name, "c");
  EXPECT_EQ(v.items[0].members[0].value.items[0].integer_value, 3);
}

class JsonEqualTest : public JsonParseTest {};

TEST_F(JsonEqualTest, ComparesAsJsonSchemaDoes) {
  struct Row {
    std::string_view a;
    std::string_view b;
    bool equal;
  };
  constexpr Row kRows[] = {
      {"1", "1.0", true},  // numbers by value
      {"1", "1e0", true},
      {"100", "1E2", true},
      {"0", "-0", true},
      {"0.5", "5e-1", true},
      {"1.5", "1.50", true},
      {"1", "2", false},
      {"1", "1.5", false},
      {R"({"a": 1, "b": [2, 3]})", R"({"b": [2, 3], "a": 1})", true},  // member order
      {R"({"a": {"x": 1, "y": 2}})", R"({"a": {"y": 2.0, "x": 1}})", true},
      {R"({"a": 1})", R"({"a": 1, "b": 2})", false},
      {R"({"a": 1, "b": 2})", R"({"a": 1})", false},
      {R"({"a": 1, "c": 2})", R"({"a": 1, "b": 2})", false},
      {R"({"a": 1})", R"({"a": "1"})", false},
      {"[1, 2]", "[2, 1]", false},  // item order counts
      {"[1, 2]", "[1, 2, 3]", false},
      {"[]", "{}", false},
      {R"("a")", R"("\u0061")", true},
      {R"("a")", R"("A")", false},
      {"null", "null", true},
      {"null", "false", false},
      {"true", "true", true},
      {"true", "false", false},
      {"true", "1", false},
      {R"("1")", "1", false},
  };
  for (const Row& row : kRows) {
    const Value& a = parsed(row.a);
    const Value& b = parsed(row.b);
    EXPECT_EQ(json_equal(a, b), row.equal) << row.a << " vs " << row.b;
    EXPECT_EQ(json_equal(b, a), row.equal) << row.b << " vs " << row.a;
  }
}

TEST(JsonUtf8Test, CountsCodePoints) {
  struct Row {
    std::string_view text;
    std::size_t length;
  };
  constexpr Row kRows[] = {
      {"", 0},
      {"abc", 3},
      {"\xc3\xa9", 1},
      {"\xe2\x82\xac", 1},
      {"\xf0\x9f\x98\x80", 1},
      {"a\xc3\xa9\xf0\x9f\x98\x80z", 4},
  };
  for (const Row& row : kRows) EXPECT_EQ(utf8_length(row.text), row.length) << printable(row.text);
}

TEST(JsonUtf8Test, ChecksUtf8) {
  struct Row {
    std::string_view text;
    bool valid;
  };
  const Row kRows[] = {
      {"", true},
      {"plain ascii", true},
      {"\0"sv, true},
      {"\xc3\xa9", true},
      {"\xef\xbf\xbf", true},       // U+FFFF
      {"\xf4\x8f\xbf\xbf", true},   // U+10FFFF
      {"\x80", false},              // a lone continuation byte
      {"\xc0\x80", false},          // overlong NUL
      {"\xc1\xbf", false},          // overlong
      {"\xe0\x80\x80", false},      // overlong
      {"\xf0\x80\x80\x80", false},  // overlong
      {"\xed\xa0\x80", false},      // U+D800
      {"\xed\xbf\xbf", false},      // U+DFFF
      {"\xf4\x90\x80\x80", false},  // U+110000
      {"\xf5\x80\x80\x80", false},  //
      {"\xe2\x82", false},          // truncated
      {"\xc3", false},              //
      {"a\xc3(", false},            // continuation byte missing
      {"\xff", false},
  };
  for (const Row& row : kRows) EXPECT_EQ(valid_utf8(row.text), row.valid) << printable(row.text);
}

}  // namespace
}  // namespace portcullis::schema
