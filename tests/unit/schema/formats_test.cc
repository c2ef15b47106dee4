// format_accepts (schema/formats.h): valid and invalid values of each format a schema may
// assert. String formats are given the text of a string; numeric formats the literal of a number.
#include "schema/formats.h"

#include <gtest/gtest.h>

#include <memory_resource>
#include <span>
#include <string_view>

#include "schema/json.h"

namespace portcullis::schema {
namespace {

struct Row {
  std::string_view text;
  bool valid;
};

void expect_strings(Format format, std::string_view name, std::span<const Row> rows) {
  for (const Row& row : rows) {
    Value v;
    v.kind = JsonKind::kString;
    v.text = row.text;
    EXPECT_EQ(format_accepts(format, v), row.valid) << name << ": \"" << row.text << "\"";
  }
}

// Numbers are parsed, so that `integer` and `number` are what a request body would give.
void expect_numbers(Format format, std::string_view name, std::span<const Row> rows) {
  for (const Row& row : rows) {
    std::pmr::monotonic_buffer_resource arena;
    JsonResult r = parse_json(row.text, &arena);
    ASSERT_NE(r.value, nullptr) << row.text << ": " << r.error;
    ASSERT_EQ(r.value->kind, JsonKind::kNumber) << row.text;
    EXPECT_EQ(format_accepts(format, *r.value), row.valid) << name << ": " << row.text;
  }
}

TEST(FormatNamedTest, FindsFormatsByTheirExactName) {
  struct NameRow {
    std::string_view name;
    Format format;
  };
  constexpr NameRow kRows[] = {
      {"date", Format::kDate},
      {"date-time", Format::kDateTime},
      {"time", Format::kTime},
      {"email", Format::kEmail},
      {"hostname", Format::kHostname},
      {"ipv4", Format::kIpv4},
      {"ipv6", Format::kIpv6},
      {"uri", Format::kUri},
      {"uuid", Format::kUuid},
      {"int32", Format::kInt32},
      {"int64", Format::kInt64},
      {"float", Format::kFloat},
      {"double", Format::kDouble},
      {"byte", Format::kByte},
      {"binary", Format::kNone},
      {"password", Format::kNone},
      {"Date", Format::kNone},
      {"color", Format::kNone},
      {"", Format::kNone},
  };
  for (const NameRow& row : kRows) EXPECT_EQ(format_named(row.name), row.format) << row.name;
}

TEST(FormatAcceptsTest, Date) {
  constexpr Row kRows[] = {
      {"2024-01-31", true},  {"2024-02-29", true},   {"2000-02-29", true},   // leap years
      {"2023-12-31", true},  {"0001-01-01", true},   {"2023-02-29", false},  // not a leap year
      {"1900-02-29", false}, {"2024-02-30", false},  {"2024-04-31", false}, {"2024-13-01", false},
      {"2024-00-10", false}, {"2024-01-00", false},  {"2024-1-01", false},  {"24-01-01", false},
      {"2024/01/01", false}, {"2024-01-01T", false}, {"", false},           {"2024-0a-01", false},
  };
  expect_strings(Format::kDate, "date", kRows);
}

TEST(FormatAcceptsTest, DateTime) {
  constexpr Row kRows[] = {
      {"2024-01-31T12:34:56Z", true},
      {"2024-01-31t12:34:56z", true},
      {"2024-01-31T12:34:56.789Z", true},
      {"2024-01-31T12:34:56+05:30", true},
      {"2024-01-31T12:34:56.1-08:00", true},
      {"1998-12-31T23:59:60Z", true},       // a leap second
      {"1998-12-31T15:59:60-08:00", true},  // the same leap second in another zone
      {"2024-01-31T12:34:56", false},       // no offset
      {"2024-01-31 12:34:56Z", false},
      {"2024-01-31T24:00:00Z", false},
      {"2024-01-31T12:60:00Z", false},
      {"2024-01-31T12:00:61Z", false},
      {"2024-02-30T12:00:00Z", false},
      {"2024-01-31T12:34:56.Z", false},
      {"2024-01-31T12:34:56+0530", false},
      {"2024-01-31T12:34:56+24:00", false},
      {"2024-01-31", false},
      {"", false},
  };
  expect_strings(Format::kDateTime, "date-time", kRows);
}

TEST(FormatAcceptsTest, Time) {
  constexpr Row kRows[] = {
      {"08:30:06Z", true},
      {"08:30:06.283185Z", true},
      {"08:30:06+00:20", true},
      {"23:59:60Z", true},
      {"15:59:60-08:00", true},
      {"23:20:50.52z", true},
      {"08:30:06", false},
      {"8:30:06Z", false},
      {"08:30Z", false},
      {"24:00:00Z", false},
      {"08:30:06 Z", false},
      {"08:30:06+8:00", false},
      {"22:59:60+00:00", false},  // a leap second is only at 23:59:60 UTC
      {"", false},
  };
  expect_strings(Format::kTime, "time", kRows);
}

// A leap second is only valid at 23:59:60 UTC, whether the offset is written "Z" or numerically.
TEST(FormatAcceptsTest, TimeRefusesALeapSecondInZuluAtAnyOtherMinute) {
  constexpr Row kTimes[] = {
      {"12:00:60Z", false},
      {"22:59:60Z", false},
      {"23:58:60z", false},
  };
  expect_strings(Format::kTime, "time", kTimes);
  constexpr Row kDateTimes[] = {{"2024-01-31T12:00:60Z", false}};
  expect_strings(Format::kDateTime, "date-time", kDateTimes);
}

TEST(FormatAcceptsTest, Email) {
  constexpr Row kRows[] = {
      {"joe.bloggs@example.com", true},
      {"a@b", true},
      {"first+tag@sub.example.co.uk", true},
      {"o'brien@example.com", true},
      {"joe@[127.0.0.1]", true},
      {"joe@[IPv6:::1]", true},
      {"plainaddress", false},
      {"@example.com", false},
      {"joe@", false},
      {".joe@example.com", false},
      {"joe.@example.com", false},
      {"jo..e@example.com", false},
      {"joe bloggs@example.com", false},
      {"joe@exam_ple.com", false},
      {"joe@-example.com", false},
      {"\"joe\"@example.com", false},  // quoted local parts are not taken
      {"joe@[300.0.0.1]", false},
      {"", false},
  };
  expect_strings(Format::kEmail, "email", kRows);
}

TEST(FormatAcceptsTest, Hostname) {
  constexpr Row kRows[] = {
      {"example.com", true}, {"a", true},       {"xn--bcher-kva.example", true},
      {"a-b.c-d", true},     {"-a.com", false}, {"a-.com", false},
      {"a..com", false},     {".a.com", false}, {"a_b.com", false},
      {"a b.com", false},    {"", false},
  };
  expect_strings(Format::kHostname, "hostname", kRows);
  const std::string label63(63, 'a');
  const std::string label64(64, 'a');
  const Row kLengths[] = {{label63, true}, {label64, false}};
  expect_strings(Format::kHostname, "hostname", kLengths);
}

TEST(FormatAcceptsTest, Ipv4) {
  constexpr Row kRows[] = {
      {"192.168.0.1", true}, {"0.0.0.0", true},     {"255.255.255.255", true},
      {"256.0.0.1", false},  {"1.2.3", false},      {"1.2.3.4.5", false},
      {"1.2.3.4.", false},   {"01.2.3.4", false},  // leading zeros are ambiguous (octal)
      {"1.2.3.a", false},    {"1234.1.1.1", false}, {" 1.2.3.4", false},
      {"", false},           {"1..2.3", false},
  };
  expect_strings(Format::kIpv4, "ipv4", kRows);
}

TEST(FormatAcceptsTest, Ipv6) {
  constexpr Row kRows[] = {
      {"::", true},
      {"::1", true},
      {"1::", true},
      {"2001:db8::8a2e:370:7334", true},
      {"2001:0db8:0000:0000:0000:8a2e:0370:7334", true},
      {"1:2:3:4:5:6:7::", true},
      {"::ffff:192.168.0.1", true},
      {"1:2:3:4:5:6:1.2.3.4", true},
      {"FE80::A", true},
      {"1:2:3:4:5:6:7:8:9", false},
      {"1:2:3:4:5:6:7", false},
      {"1::2::3", false},
      {":1", false},
      {"1:", false},
      {"12345::", false},
      {"::g", false},
      {"fe80::1%eth0", false},
      {"1:2:3:4:5:6:7:1.2.3.4", false},
      {"::256.1.1.1", false},
      {"1.2.3.4", false},
      {"", false},
  };
  expect_strings(Format::kIpv6, "ipv6", kRows);
}

TEST(FormatAcceptsTest, Uri) {
  constexpr Row kRows[] = {
      {"https://example.com/a?b=c#d", true},
      {"urn:isbn:0451450523", true},
      {"mailto:joe@example.com", true},
      {"http://example.com/%20", true},
      {"a+b.c-d:x", true},
      {"//example.com/a", false},  // relative
      {"/a/b", false},
      {"example", false},
      {"1http://example.com", false},
      {"http://exa mple.com", false},
      {"http://example.com/%zz", false},
      {"http://example.com/<a>", false},
      {":no-scheme", false},
      {"", false},
  };
  expect_strings(Format::kUri, "uri", kRows);
}

TEST(FormatAcceptsTest, Uuid) {
  constexpr Row kRows[] = {
      {"2eb8aa08-aa98-11ea-b4aa-73b441d16380", true},
      {"2EB8AA08-AA98-11EA-B4AA-73B441D16380", true},
      {"00000000-0000-0000-0000-000000000000", true},
      {"2eb8aa08aa9811eab4aa73b441d16380", false},
      {"2eb8aa08-aa98-11ea-b4aa-73b441d1638", false},
      {"2eb8aa08-aa98-11ea-b4aa-73b441d163800", false},
      {"2eb8aa08-aa98-11ea-b4aa_73b441d16380", false},
      {"2eb8aa0g-aa98-11ea-b4aa-73b441d16380", false},
      {"{2eb8aa08-aa98-11ea-b4aa-73b441d16380}", false},
      {"", false},
  };
  expect_strings(Format::kUuid, "uuid", kRows);
}

TEST(FormatAcceptsTest, Byte) {
  constexpr Row kRows[] = {
      {"", true},      {"aGVsbG8=", true}, {"aGVsbA==", true},   {"aGVs", true},
      {"a+/9", true},  {"aGVsbG8", false}, {"aGVsbG8==", false}, {"a===", false},
      {"ab=c", false}, {"aG Vs", false},   {"aGV$", false},      {"aG-_", false},
  };
  expect_strings(Format::kByte, "byte", kRows);
}

TEST(FormatAcceptsTest, Int32) {
  constexpr Row kRows[] = {
      {"0", true},
      {"2147483647", true},
      {"-2147483648", true},
      {"1.0", true},
      {"1e3", true},
      {"2147483648", false},
      {"-2147483649", false},
      {"1.5", false},
      {"9223372036854775808", false},
  };
  expect_numbers(Format::kInt32, "int32", kRows);
}

TEST(FormatAcceptsTest, Int64) {
  constexpr Row kRows[] = {
      {"0", true},     {"9223372036854775807", true},  {"-9223372036854775808", true},
      {"2.0", true},   {"9223372036854775808", false}, {"0.5", false},
      {"1e19", false},
  };
  expect_numbers(Format::kInt64, "int64", kRows);
}

TEST(FormatAcceptsTest, Float) {
  constexpr Row kRows[] = {
      {"0", true},      {"1.5", true},     {"-3.4028234663852886e38", true},
      {"3.4e38", true}, {"3.5e38", false}, {"-1e39", false},
      {"1e300", false},
  };
  expect_numbers(Format::kFloat, "float", kRows);
}

TEST(FormatAcceptsTest, DoubleAndUnknownFormatsAcceptEverything) {
  constexpr Row kNumbers[] = {{"1e308", true}, {"0.1", true}};
  expect_numbers(Format::kDouble, "double", kNumbers);
  expect_numbers(Format::kNone, "none", kNumbers);
  constexpr Row kStrings[] = {{"anything", true}, {"", true}};
  expect_strings(Format::kNone, "none", kStrings);
}

// A format constrains one JSON type; JSON Schema accepts values of the others.
TEST(FormatAcceptsTest, AcceptsValuesOfOtherTypes) {
  std::pmr::monotonic_buffer_resource arena;
  for (std::string_view text : {"12", "null", "true", "[\"x\"]", "{\"a\": \"b\"}"}) {
    const Value* v = parse_json(text, &arena).value;
    ASSERT_NE(v, nullptr);
    for (Format f : {Format::kDate, Format::kDateTime, Format::kEmail, Format::kUuid, Format::kIpv4,
                     Format::kIpv6, Format::kUri, Format::kByte}) {
      EXPECT_TRUE(format_accepts(f, *v)) << text << " format " << static_cast<int>(f);
    }
  }
  for (std::string_view text : {"\"1.5\"", "\"x\"", "null", "[1.5]"}) {
    const Value* v = parse_json(text, &arena).value;
    ASSERT_NE(v, nullptr);
    for (Format f : {Format::kInt32, Format::kInt64, Format::kFloat}) {
      EXPECT_TRUE(format_accepts(f, *v)) << text << " format " << static_cast<int>(f);
    }
  }
}

}  // namespace
}  // namespace portcullis::schema
