// The CRS runner's request bytes against what go-ftw 2 (CRS 4) and Python ftw 1.3 (CRS 3)
// send for the same YAML, plus the parts of the runner that need no network: suite loading,
// albedo's /reflect and the event log's ModSecurity-style lines.

#include "tests/crs/request_builder.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/crs/backend.h"
#include "tests/crs/security_events.h"
#include "tests/crs/stage_check.h"
#include "tests/crs/suite.h"

namespace portcullis::testing::crs {
namespace {

// The first stage input of a one-test document.
StageInput input_of(const std::string& yaml, Format format) {
  Suite suite;
  load_document(yaml, "t.yaml", format, suite);
  EXPECT_TRUE(suite.problems.empty()) << suite.problems.front();
  EXPECT_EQ(suite.tests.size(), 1u);
  return suite.tests.at(0).stages.at(0).input;
}

std::string go_ftw(const std::string& input_yaml) {
  std::string yaml = "rule_id: 1\ntests:\n  - test_id: 1\n    stages:\n      - input:\n" +
                     input_yaml + "        output: {log: {expect_ids: [1]}}\n";
  return build_request(input_of(yaml, Format::kGoFtw), Format::kGoFtw).value_or("<none>");
}

std::string ftw(const std::string& input_yaml) {
  std::string yaml =
      "meta: {enabled: true, name: 1.yaml}\ntests:\n  - test_title: 1-1\n    stages:\n"
      "      - stage:\n          input:\n" +
      input_yaml + "          output: {log_contains: 'id \"1\"'}\n";
  return build_request(input_of(yaml, Format::kFtw), Format::kFtw).value_or("<none>");
}

TEST(GoFtwRequestTest, GetSortsHeadersAndAddsConnectionClose) {
  EXPECT_EQ(go_ftw("          headers: {User-Agent: a, Host: localhost, Accept: '*/*'}\n"),
            "GET / HTTP/1.1\r\nAccept: */*\r\nHost: localhost\r\nUser-Agent: a\r\n"
            "Connection: close\r\n\r\n");
}

TEST(GoFtwRequestTest, FormBodyGetsContentTypeEscapingAndLength) {
  EXPECT_EQ(go_ftw("          method: POST\n          uri: /post\n"
                   "          headers: {Host: localhost}\n"
                   "          data: \"var=1234 OR 1=1&b=a/b\"\n"),
            "POST /post HTTP/1.1\r\nHost: localhost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n"
            "Content-Length: 25\r\n\r\nvar=1234+OR+1%3D1&b=a%2Fb");
}

TEST(GoFtwRequestTest, BodyWithPercentOrPlusIsSentAsIs) {
  EXPECT_EQ(go_ftw("          method: POST\n          headers: {Host: h}\n"
                   "          data: \"a=%27 x\"\n"),
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Connection: close\r\nContent-Length: 7\r\n\r\na=%27 x");
}

TEST(GoFtwRequestTest, TokensWithoutEqualsAreEscapedWholeAndTrailingAmpersandDrops) {
  EXPECT_EQ(go_ftw("          headers: {Host: h}\n          data: \"a b&c=d&\"\n"),
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Connection: close\r\nContent-Length: 7\r\n\r\na+b&c=d");
}

TEST(GoFtwRequestTest, PostWithoutBodyGetsContentLengthZero) {
  EXPECT_EQ(go_ftw("          method: POST\n          headers: {Host: h}\n"),
            "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

TEST(GoFtwRequestTest, MethodRegexAnchorsOnlyTheOuterAlternatives) {
  // /^POST|PUT|PATCH|DELETE$/ matches "XPUTX" but not "XDELETEX".
  EXPECT_NE(go_ftw("          method: XPUTX\n").find("Content-Length: 0"), std::string::npos);
  EXPECT_EQ(go_ftw("          method: XDELETEX\n").find("Content-Length"), std::string::npos);
}

TEST(GoFtwRequestTest, AutocompleteOffSendsOnlyWhatIsGiven) {
  EXPECT_EQ(go_ftw("          method: POST\n          headers: {Host: h}\n"
                   "          autocomplete_headers: false\n          data: \"a=b c\"\n"),
            "POST / HTTP/1.1\r\nHost: h\r\n\r\na=b c");
}

TEST(GoFtwRequestTest, MultipartBodyGetsCrlfLineEnds) {
  EXPECT_EQ(go_ftw("          method: POST\n"
                   "          headers: {Content-Type: \"multipart/form-data; boundary=x\"}\n"
                   "          data: |\n            --x\n            a\n"),
            "POST / HTTP/1.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            "Connection: close\r\nContent-Length: 8\r\n\r\n--x\r\na\r\n");
}

TEST(GoFtwRequestTest, GivenHeadersAreNotDuplicated) {
  EXPECT_EQ(go_ftw("          method: POST\n          headers: {Connection: keep-alive, "
                   "Content-Length: '99', Content-Type: text/plain}\n          data: x\n"),
            "POST / HTTP/1.1\r\nConnection: keep-alive\r\nContent-Length: 99\r\n"
            "Content-Type: text/plain\r\n\r\nx");
}

TEST(GoFtwRequestTest, EncodedRequestIsSentByteForByte) {
  // "GET /\xff HTTP/1.0\r\n\r\n"
  EXPECT_EQ(go_ftw("          encoded_request: R0VUIC//IEhUVFAvMS4wDQoNCg==\n"),
            std::string("GET /\xff HTTP/1.0\r\n\r\n"));
}

TEST(GoFtwRequestTest, InvalidEncodedRequestCannotBeBuilt) {
  StageInput input;
  input.encoded_request = "R0VU*";
  std::string why;
  EXPECT_FALSE(build_request(input, Format::kGoFtw, &why));
  EXPECT_NE(why.find("base64"), std::string::npos);
}

TEST(GoFtwRequestTest, DataTemplateRepeats) {
  EXPECT_EQ(go_ftw("          autocomplete_headers: false\n"
                   "          data: 'a{{ \"12\" | repeat 3 }}b'\n"),
            "GET / HTTP/1.1\r\n\r\na121212b");
}

TEST(GoFtwRequestTest, OrderedHeadersKeepTheirOrder) {
  EXPECT_EQ(go_ftw("          autocomplete_headers: false\n          ordered_headers:\n"
                   "            - {name: B, value: '1'}\n            - {name: A, value: '2'}\n"),
            "GET / HTTP/1.1\r\nB: 1\r\nA: 2\r\n\r\n");
}

TEST(GoFtwTemplateTest, UnsupportedActionIsReported) {
  std::string why;
  EXPECT_FALSE(expand_go_template("{{ now }}", &why));
  EXPECT_NE(why.find("now"), std::string::npos);
  EXPECT_EQ(expand_go_template("{{- \" a\" -}}  x"), " ax");
  EXPECT_EQ(expand_go_template("{{ repeat 2 \"ab\" }}"), "abab");
}

TEST(FtwRequestTest, KeepsYamlOrderAndAppendsTypeAndLength) {
  EXPECT_EQ(ftw("            method: POST\n"
                "            headers: {User-Agent: a, Host: localhost}\n"
                "            data: \"var=1 OR 2&x=\"\n"),
            "POST / HTTP/1.1\r\nUser-Agent: a\r\nHost: localhost\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 10\r\n\r\n"
            "var=1+OR+2");
}

TEST(FtwRequestTest, DataListIsJoinedWithCrlf) {
  EXPECT_EQ(ftw("            headers: {Host: h, Content-Type: text/plain}\n"
                "            data: [a, b]\n"),
            "GET / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\n"
            "a\r\nb");
}

TEST(FtwRequestTest, ContentLengthCountsCodePoints) {
  EXPECT_EQ(ftw("            headers: {Content-Type: text/plain}\n"
                "            data: \"\\u00e9\"\n"),
            "GET / HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\n\xc3\xa9");
}

TEST(FtwRequestTest, StopMagicSendsOnlyWhatIsGiven) {
  EXPECT_EQ(ftw("            method: POST\n            headers: {Host: h}\n"
                "            stop_magic: true\n            data: \"a=b c\"\n"),
            "POST / HTTP/1.1\r\nHost: h\r\n\r\na=b c");
}

TEST(FtwRequestTest, HeaderNamesAreMatchedExactly) {
  // ftw looks up "Content-Type" in a dict: "content-type" does not count.
  EXPECT_EQ(ftw("            headers: {content-type: text/plain}\n            data: x=1\n"),
            "GET / HTTP/1.1\r\ncontent-type: text/plain\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\nx=1");
}

TEST(FtwRequestTest, RawRequestIsMangledAsPythonDoes) {
  // raw_request goes through UTF-8, "unicode_escape" and UTF-8 again: U+00AC becomes C3 82 C2 AC.
  EXPECT_EQ(python_raw_request("a\xc2\xac\\n"), "a\xc3\x82\xc2\xac\n");
  EXPECT_EQ(ftw("            raw_request: \"GET / HTTP/1.0\\r\\n\\r\\n\"\n"),
            "GET / HTTP/1.0\r\n\r\n");
}

TEST(MarkerRequestTest, MatchesGoFtw) {
  EXPECT_EQ(marker_request("abc"),
            "GET /status/200 HTTP/1.1\r\nAccept: */*\r\nUser-Agent: go-ftw test agent\r\n"
            "Host: localhost\r\nX-CRS-Test: abc\r\nConnection: close\r\n\r\n");
}

TEST(SuiteTest, GoFtwIdsOutputsAndLegacyKeys) {
  Suite suite;
  load_document(
      "rule_id: 920100\ntests:\n"
      "  - test_id: 4\n    stages:\n      - input: {uri: /}\n"
      "        output: {status: 403, retry_once: true, log: {expect_ids: [1, 2], "
      "no_expect_id: 3}}\n"
      "  - stages:\n      - input: {}\n        output: {log_contains: 'id \"5\"'}\n",
      "920100.yaml", Format::kGoFtw, suite);
  ASSERT_TRUE(suite.problems.empty()) << suite.problems.front();
  ASSERT_EQ(suite.tests.size(), 2u);
  EXPECT_EQ(suite.tests[0].id, "920100-4");
  EXPECT_EQ(suite.tests[1].id, "920100-2");
  const StageOutput& out = suite.tests[0].stages[0].output;
  EXPECT_EQ(out.status, std::vector<int>{403});
  EXPECT_TRUE(out.retry_once);
  EXPECT_EQ(out.expect_ids, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(out.no_expect_ids, std::vector<std::uint64_t>{3});
  EXPECT_EQ(suite.tests[1].stages[0].output.match_regex, "id \"5\"");
}

TEST(SuiteTest, FtwDisabledFileAndUnknownKeys) {
  Suite suite;
  load_document(
      "meta: {enabled: false, name: 920250.yaml}\ntests:\n  - test_title: 920250-1\n"
      "    stages:\n      - stage:\n          input: {bogus: 1}\n"
      "          output: {status: [200, 403]}\n",
      "920250.yaml", Format::kFtw, suite);
  ASSERT_EQ(suite.tests.size(), 1u);
  EXPECT_FALSE(suite.tests[0].enabled);
  EXPECT_EQ(suite.tests[0].rule_id, 920250u);
  EXPECT_EQ(suite.tests[0].stages[0].output.status, (std::vector<int>{200, 403}));
  ASSERT_EQ(suite.problems.size(), 1u);
  EXPECT_NE(suite.problems[0].find("bogus"), std::string::npos);
}

TEST(ExclusionsTest, CommentsOnlyIsEmptyAndEntriesNeedReasons) {
  EXPECT_TRUE(parse_exclusions("# nothing yet\n", "x").reasons.empty());
  EXPECT_TRUE(parse_exclusions("[]\n", "x").problems.empty());
  Exclusions e = parse_exclusions("- {test: 942100-1, reason: r}\n- {test: '913100'}\n", "x");
  EXPECT_EQ(e.reasons.size(), 2u);
  EXPECT_EQ(e.problems.size(), 1u);     // no reason for 913100
  portcullis::testing::crs::Test test;  // not gtest's Test
  test.id = "913100-7";
  test.rule_id = 913100;
  EXPECT_TRUE(e.reason_for(test));
}

TEST(ReflectTest, AnswersWithTheSpec) {
  ReflectedResponse r = reflect(R"({"status": 404, "headers": {"X-A": "1"}, "body": "<?php"})");
  EXPECT_EQ(r.status, 404);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0].first, "X-A");
  EXPECT_EQ(r.body, "<?php");
  EXPECT_EQ(reflect(R"({"encodedBody": "aGk="})").body, "hi");
  EXPECT_EQ(reflect("{").status, 400);
  EXPECT_EQ(reflect(R"({"status": 600})").status, 400);
  EXPECT_EQ(sniff_content_type("<html><body>"), "text/html; charset=utf-8");
  EXPECT_EQ(sniff_content_type("Invalid date"), "text/plain; charset=utf-8");
}

TEST(SecurityEventTest, RendersModSecurityLinesAndIds) {
  auto event = parse_event(
      R"({"request_id":"r1","host":"localhost","path":"/","stage":"waf","status":403,)"
      R"("rules":[{"id":"942100","message":"SQL \"i\"","data":"Matched Data: \u00e9 found )"
      R"(within ARGS:x","severity":"CRITICAL","phase":2},{"id":"method","message":"m"}]})");
  ASSERT_TRUE(event);
  std::vector<std::string> lines = modsecurity_lines(*event);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            R"(ModSecurity: Warning. [id "942100"] [msg "SQL \"i\""] [data "Matched Data: \xe9 )"
            R"(found within ARGS:x"] [severity "CRITICAL"] [hostname "localhost"] [uri "/"] )"
            R"([unique_id "r1"])");
  std::set<std::uint64_t> ids;
  collect_rule_ids(*event, ids);
  EXPECT_EQ(ids, std::set<std::uint64_t>{942100});
  EXPECT_FALSE(event->marker());
  auto marker = parse_event(R"({"rules":[{"id":"999999","message":"X-CRS-Test abc"}]})");
  ASSERT_TRUE(marker);
  EXPECT_EQ(marker->marker(), "abc");
}

TEST(StageCheckTest, FollowsGoFtwOrder) {
  StageOutput expected;
  expected.expect_ids = {942100};
  expected.no_match_regex = R"(\[id "920\d+"\])";
  StageObservation observed;
  observed.status = 200;
  observed.log_available = true;
  observed.rule_ids = {942100};
  observed.log_lines = {R"(ModSecurity: Warning. [id "942100"])"};
  EXPECT_EQ(check_stage(expected, observed), "");
  observed.log_lines.push_back(R"([id "920100"])");
  EXPECT_NE(check_stage(expected, observed), "");
  StageOutput error;
  error.expect_error = true;
  EXPECT_NE(check_stage(error, observed), "");
  observed.error = "timed out";
  EXPECT_EQ(check_stage(error, observed), "");
}

}  // namespace
}  // namespace portcullis::testing::crs
