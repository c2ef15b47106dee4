// The rule engine end to end on one request at a time: SecLang text compiled into a RuleSet and
// run against an Exchange, checking what a rule writer would check — which rules matched, what
// they logged, what TX holds, and whether the request is refused.
#include "waf/engine/transaction.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "waf/engine/compiler.h"
#include "waf/engine/waf_stage.h"
#include "waf/seclang/parser.h"

namespace portcullis::waf {
namespace {

std::shared_ptr<const RuleSet> compile(const std::string& text) {
  auto items = seclang::parse_rules(text, "test.conf");
  EXPECT_TRUE(items.ok()) << (items.ok() ? "" : items.error().to_string());
  if (!items.ok()) return nullptr;
  auto rules = compile_rules(*items);
  EXPECT_TRUE(rules.ok()) << (rules.ok() ? "" : rules.error().to_string());
  return rules.ok() ? *rules : nullptr;
}

std::string compile_error(const std::string& text) {
  auto items = seclang::parse_rules(text, "test.conf");
  if (!items.ok()) return items.error().to_string();
  auto rules = compile_rules(*items);
  return rules.ok() ? "" : rules.error().to_string();
}

// One request: method, target, headers, body.
struct Request {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.com"}};
  std::string body;
};

struct Run {
  std::unique_ptr<Exchange> ex = std::make_unique<Exchange>();
  std::vector<HeaderField> fields;
  RunOptions options;
  Transaction* t = nullptr;
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const Finding& f : ex->findings) out.emplace_back(f.rule);
    return out;
  }
};

std::unique_ptr<Run> run(const RuleSet& rules, const Request& req, RunOptions options = {}) {
  auto r = std::make_unique<Run>();
  r->options = std::move(options);
  Exchange& ex = *r->ex;
  ex.method = req.method;
  ex.set_target(req.target);
  for (const auto& [n, v] : req.headers) r->fields.push_back({n, v});
  ex.headers = r->fields;
  ex.client_ip = "192.0.2.7";
  ex.request_id = "req-1";
  ex.has_body = !req.body.empty();
  ex.body = std::span<const char>(req.body.data(), req.body.size());
  ex.body_complete = true;
  r->t = ex.make_state<Transaction>(&rules, rules, r->options, ex);
  r->t->request_headers();
  if (!r->t->intervention().disrupted) r->t->request_body();
  return r;
}

TEST(WafEngine, DenyRuleRefusesMatchingArgument) {
  auto rules = compile(R"(SecRule ARGS "@rx attack" "id:1,phase:1,deny,status:406,msg:'found'")");
  ASSERT_TRUE(rules);
  auto hit = run(*rules, {.target = "/?q=an+attack"});
  EXPECT_TRUE(hit->t->intervention().disrupted);
  EXPECT_EQ(hit->t->intervention().status, 406);
  EXPECT_EQ(hit->ids(), std::vector<std::string>{"1"});
  EXPECT_EQ(hit->ex->findings[0].variable, "ARGS:q");
  auto miss = run(*rules, {.target = "/?q=hello"});
  EXPECT_FALSE(miss->t->intervention().disrupted);
  EXPECT_TRUE(miss->ids().empty());
}

TEST(WafEngine, ChainMatchesOnlyWhenEveryLinkMatches) {
  auto rules = compile(R"(
SecRule REQUEST_METHOD "@streq POST" "id:2,phase:1,deny,chain"
  SecRule ARGS:user "@streq admin" "t:lowercase"
)");
  ASSERT_TRUE(rules);
  EXPECT_TRUE(
      run(*rules, {.method = "POST", .target = "/?user=ADMIN"})->t->intervention().disrupted);
  EXPECT_FALSE(
      run(*rules, {.method = "GET", .target = "/?user=admin"})->t->intervention().disrupted);
  EXPECT_FALSE(
      run(*rules, {.method = "POST", .target = "/?user=bob"})->t->intervention().disrupted);
}

TEST(WafEngine, SetvarAddsPerMatchAndMacrosExpandInLogdata) {
  auto rules = compile(R"(
SecAction "id:10,phase:1,pass,nolog,setvar:tx.points=5"
SecRule ARGS "@rx x" "id:11,phase:1,pass,log,setvar:'tx.score=+%{tx.points}',msg:'x in %{MATCHED_VAR_NAME}',logdata:'value %{MATCHED_VAR}'"
)");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/?a=x1&b=x2&c=y"});
  EXPECT_EQ(r->t->tx("score").value_or(""), "10");  // two matching values, 5 each
  ASSERT_EQ(r->ex->findings.size(), 1u);
  EXPECT_EQ(r->ex->findings[0].message, "x in ARGS:b");
  EXPECT_EQ(r->ex->findings[0].data, "value x2");
}

TEST(WafEngine, SkipAfterJumpsToMarker) {
  auto rules = compile(R"(
SecRule ARGS:skip "@streq 1" "id:20,phase:1,pass,nolog,skipAfter:END"
SecRule ARGS "@rx ." "id:21,phase:1,pass,log"
SecMarker END
SecRule ARGS "@rx ." "id:22,phase:1,pass,log"
)");
  ASSERT_TRUE(rules);
  EXPECT_EQ(run(*rules, {.target = "/?skip=1"})->ids(), std::vector<std::string>{"22"});
  EXPECT_EQ(run(*rules, {.target = "/?skip=0"})->ids(), (std::vector<std::string>{"21", "22"}));
}

TEST(WafEngine, CtlRuleRemoveByIdRangeAppliesToLaterRules) {
  auto rules = compile(R"(
SecRule REQUEST_HEADERS:X-Test "@rx ^.*$" "id:30,phase:1,pass,log,ctl:ruleRemoveById=31-39"
SecRule ARGS "@rx ." "id:31,phase:1,pass,log"
SecRule ARGS "@rx ." "id:40,phase:1,pass,log"
)");
  ASSERT_TRUE(rules);
  Request req{.target = "/?a=1"};
  req.headers.push_back({"X-Test", "yes"});
  EXPECT_EQ(run(*rules, req)->ids(), (std::vector<std::string>{"30", "40"}));
  EXPECT_EQ(run(*rules, {.target = "/?a=1"})->ids(), (std::vector<std::string>{"31", "40"}));
}

TEST(WafEngine, ExcludedTargetIsNotInspected) {
  auto rules = compile(R"(SecRule ARGS|!ARGS:password "@rx secret" "id:50,phase:1,deny")");
  ASSERT_TRUE(rules);
  EXPECT_FALSE(run(*rules, {.target = "/?password=secret"})->t->intervention().disrupted);
  EXPECT_TRUE(run(*rules, {.target = "/?other=secret"})->t->intervention().disrupted);
}

// Key regexes select members case-insensitively, whatever shape the regex has (a literal after
// `^`, a literal then a quantifier, an alternation, a class).
TEST(WafEngine, KeyRegexesSelectMembers) {
  auto rules = compile(R"(
SecAction "id:1,phase:1,pass,nolog,setvar:tx.header_name_x=1,setvar:tx.header_name_y=1,setvar:tx.xheader_name_z=1,setvar:tx.multipart_a=1,setvar:tx.multipart__b=1,setvar:tx.multipar=1,setvar:tx.multipartx=1"
SecRule &TX:/^HEADER_NAME_/ "@eq 2" "id:2,phase:1,pass,log"
SecRule &TX:/header_name_/ "@eq 3" "id:3,phase:1,pass,log"
SecRule &TX:/MULTIPART_*/ "@eq 3" "id:4,phase:1,pass,log"
SecRule &TX:/^multipart_|^multipar$/ "@eq 3" "id:5,phase:1,pass,log"
SecRule &TX:/^header_name_[xz]$/ "@eq 1" "id:6,phase:1,pass,log"
SecRule ARGS|!ARGS:/^__utm/ "@rx ." "id:7,phase:1,pass,log,capture,setvar:tx.seen=%{MATCHED_VAR_NAME}"
)");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/?__utmz=1&a__utm=2"});
  EXPECT_EQ(r->ids(), (std::vector<std::string>{"2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(r->t->tx("seen").value_or(""), "ARGS:a__utm");
}

// Macros name TX members in any case, in actions and in operator arguments alike.
TEST(WafEngine, MacroKeysAreCaseInsensitive) {
  auto rules = compile(R"(
SecAction "id:1,phase:1,pass,nolog,setvar:TX.Allowed=GET HEAD,setvar:tx.points=3"
SecRule REQUEST_METHOD "@within %{TX.ALLOWED}" "id:2,phase:1,pass,log,setvar:tx.score=+%{TX.POINTS}"
SecRule &TX:ALLOWED "@eq 1" "id:3,phase:1,pass,log"
)");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/"});
  EXPECT_EQ(r->ids(), (std::vector<std::string>{"2", "3"}));
  EXPECT_EQ(r->t->tx("score").value_or(""), "3");
  EXPECT_EQ(run(*rules, {.method = "DELETE", .target = "/"})->ids(), std::vector<std::string>{"3"});
}

TEST(WafEngine, UpdateTargetByIdAddsAnExclusion) {
  auto rules = compile(R"(
SecRule ARGS "@rx secret" "id:51,phase:1,deny"
SecRuleUpdateTargetById 51 "!ARGS:token"
)");
  ASSERT_TRUE(rules);
  EXPECT_FALSE(run(*rules, {.target = "/?token=secret"})->t->intervention().disrupted);
  EXPECT_TRUE(run(*rules, {.target = "/?q=secret"})->t->intervention().disrupted);
}

TEST(WafEngine, RemoveByIdDirectiveDropsTheRule) {
  auto rules = compile(R"(
SecRule ARGS "@rx ." "id:52,phase:1,deny"
SecRuleRemoveById 52
)");
  ASSERT_TRUE(rules);
  EXPECT_FALSE(run(*rules, {.target = "/?q=1"})->t->intervention().disrupted);
}

TEST(WafEngine, DetectionOnlyLogsButDoesNotDisrupt) {
  auto rules = compile(R"(
SecRuleEngine DetectionOnly
SecRule ARGS "@rx evil" "id:60,phase:1,deny,log"
)");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/?q=evil"});
  EXPECT_FALSE(r->t->intervention().disrupted);
  EXPECT_TRUE(r->t->intervention().would_disrupt);
  EXPECT_EQ(r->ids(), std::vector<std::string>{"60"});
}

TEST(WafEngine, BlockUsesTheDefaultActionOfThePhase) {
  auto rules = compile(R"(
SecDefaultAction "phase:1,log,deny,status:418"
SecRule ARGS "@rx bad" "id:70,phase:1,block"
)");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/?q=bad"});
  EXPECT_TRUE(r->t->intervention().disrupted);
  EXPECT_EQ(r->t->intervention().status, 418);
}

TEST(WafEngine, CountOperatorCountsMembers) {
  auto rules = compile(R"(SecRule &ARGS "@gt 2" "id:80,phase:1,deny")");
  ASSERT_TRUE(rules);
  EXPECT_TRUE(run(*rules, {.target = "/?a=1&b=2&c=3"})->t->intervention().disrupted);
  EXPECT_FALSE(run(*rules, {.target = "/?a=1&b=2"})->t->intervention().disrupted);
}

TEST(WafEngine, TransformationsRunBeforeTheOperator) {
  auto rules =
      compile(R"(SecRule ARGS "@streq <script>" "id:90,phase:1,deny,t:urlDecodeUni,t:lowercase")");
  ASSERT_TRUE(rules);
  // The query parser decodes once; the rule's urlDecodeUni decodes the second layer.
  EXPECT_TRUE(run(*rules, {.target = "/?q=%253CScRiPt%253E"})->t->intervention().disrupted);
}

TEST(WafEngine, MultiMatchTestsEveryIntermediateValue) {
  // Lower-casing changes the value; without multiMatch only "abc" is tested.
  auto multi = compile(R"(SecRule ARGS "@streq ABC" "id:91,phase:1,deny,t:lowercase,multiMatch")");
  auto single = compile(R"(SecRule ARGS "@streq ABC" "id:92,phase:1,deny,t:lowercase")");
  ASSERT_TRUE(multi && single);
  EXPECT_TRUE(run(*multi, {.target = "/?q=ABC"})->t->intervention().disrupted);
  EXPECT_FALSE(run(*single, {.target = "/?q=ABC"})->t->intervention().disrupted);
}

TEST(WafEngine, CaptureFillsTxGroups) {
  auto rules = compile(
      R"(SecRule ARGS "@rx (a+)(b+)x?" "id:100,phase:1,pass,log,capture,logdata:'%{TX.0} %{TX.1} %{TX.2}'")");
  ASSERT_TRUE(rules);
  auto r = run(*rules, {.target = "/?q=xaabbb"});
  ASSERT_EQ(r->ex->findings.size(), 1u);
  EXPECT_EQ(r->ex->findings[0].data, "aabbb aa bbb");
}

TEST(WafEngine, HeadersAndCookiesAreCollections) {
  auto rules = compile(R"(
SecRule REQUEST_HEADERS:User-Agent "@contains sqlmap" "id:110,phase:1,pass,log"
SecRule REQUEST_COOKIES:session "@streq bad" "id:111,phase:1,pass,log"
SecRule REQUEST_COOKIES_NAMES "@streq other" "id:112,phase:1,pass,log"
)");
  ASSERT_TRUE(rules);
  Request req;
  req.headers.push_back({"user-agent", "sqlmap/1.0"});
  req.headers.push_back({"Cookie", "session=bad; other=1"});
  EXPECT_EQ(run(*rules, req)->ids(), (std::vector<std::string>{"110", "111", "112"}));
}

TEST(WafEngine, RequestLineVariables) {
  auto rules = compile(R"(
SecRule REQUEST_FILENAME "@streq /a b/c.php" "id:120,phase:1,pass,log"
SecRule REQUEST_BASENAME "@streq c.php" "id:121,phase:1,pass,log"
SecRule QUERY_STRING "@streq x=%41" "id:122,phase:1,pass,log"
SecRule REQUEST_LINE "@streq GET /a%20b/c.php?x=%41 HTTP/1.1" "id:123,phase:1,pass,log"
SecRule REQUEST_URI "@streq /a b/c.php?x=A" "id:124,phase:1,pass,log"
)");
  ASSERT_TRUE(rules);
  EXPECT_EQ(run(*rules, {.target = "/a%20b/c.php?x=%41"})->ids(),
            (std::vector<std::string>{"120", "121", "122", "123", "124"}));
}

TEST(WafEngine, UrlencodedBodyBecomesArgsPost) {
  auto rules = compile(R"(SecRule ARGS_POST:comment "@contains drop table" "id:130,phase:2,deny")");
  ASSERT_TRUE(rules);
  Request req{.method = "POST", .body = "comment=please+drop+table+users"};
  req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  EXPECT_TRUE(run(*rules, req)->t->intervention().disrupted);
}

TEST(WafEngine, JsonBodyArgumentsAreNamedByPath) {
  auto rules = compile(R"(SecRule ARGS:json.user.name "@streq root" "id:131,phase:2,deny")");
  ASSERT_TRUE(rules);
  Request req{.method = "POST", .body = R"({"user":{"name":"root"}})"};
  req.headers.push_back({"Content-Type", "application/json"});
  EXPECT_TRUE(run(*rules, req)->t->intervention().disrupted);
}

TEST(WafEngine, MalformedJsonSetsReqbodyError) {
  auto rules =
      compile(R"(SecRule REQBODY_ERROR "!@eq 0" "id:132,phase:2,deny,msg:'%{REQBODY_ERROR_MSG}'")");
  ASSERT_TRUE(rules);
  Request req{.method = "POST", .body = R"({"a":)"};
  req.headers.push_back({"Content-Type", "application/json"});
  auto r = run(*rules, req);
  EXPECT_TRUE(r->t->intervention().disrupted);
  EXPECT_NE(r->t->intervention().message.find("JSON"), std::string_view::npos);
}

TEST(WafEngine, MaskHidesValuesOfSensitiveVariables) {
  auto rules = compile(
      R"(SecRule ARGS "@rx ." "id:140,phase:1,pass,log,logdata:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'")");
  ASSERT_TRUE(rules);
  RunOptions options;
  options.mask = std::make_shared<RE2>("(?i)password");
  auto r = run(*rules, {.target = "/?password=hunter2"}, options);
  ASSERT_EQ(r->ex->findings.size(), 1u);
  EXPECT_EQ(r->ex->findings[0].data, "ARGS:password=[masked]");
}

TEST(WafCompiler, UnknownNamesAreErrorsWithFileAndLine) {
  EXPECT_EQ(compile_error("\nSecRule NOPE \"@rx a\" \"id:1\""),
            "test.conf:2: unknown variable 'NOPE'");
  EXPECT_EQ(compile_error("SecRule ARGS \"@nope a\" \"id:1\""),
            "test.conf:1: unknown operator '@nope'");
  EXPECT_EQ(compile_error("SecRule ARGS \"@rx a\" \"id:1,frobnicate\""),
            "test.conf:1: unknown action 'frobnicate'");
  EXPECT_EQ(compile_error("SecRule ARGS \"@rx a\" \"id:1,t:nope\""),
            "test.conf:1: unknown transformation 't:nope'");
  EXPECT_EQ(compile_error("SecFrobnicate On"), "test.conf:1: unknown directive 'SecFrobnicate'");
  EXPECT_EQ(compile_error("SecRule ARGS \"@rx a\" \"phase:1\""), "test.conf:1: rule has no id");
  EXPECT_EQ(compile_error("SecRule ARGS \"@rx a\" \"id:1\"\nSecRule ARGS \"@rx b\" \"id:1\""),
            "test.conf:2: duplicate rule id 1");
}

TEST(WafCompiler, MalformedRegexIsAnErrorNamingTheRule) {
  std::string e = compile_error(R"(SecRule ARGS "@rx (a" "id:77")");
  EXPECT_NE(e.find("rule 77"), std::string::npos) << e;
}

TEST(WafCompiler, PcreOnlyRegexDisablesItsRuleWithAWarning) {
  auto rules = compile(R"(SecRule ARGS "@rx (a)\1" "id:78,phase:1,deny")");
  ASSERT_TRUE(rules);
  ASSERT_EQ(rules->warnings.size(), 1u);
  EXPECT_NE(rules->warnings[0].find("rule 78 never matches"), std::string::npos)
      << rules->warnings[0];
  EXPECT_FALSE(run(*rules, {.target = "/?q=aa"})->t->intervention().disrupted);
}

#ifdef PORTCULLIS_SHARED_DIR
TEST(WafCompiler, LoadsTheWholeCoreRuleSetV4) {
  std::string dir = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0";
  WafConfig config;
  config.rule_files = {dir + "/crs-setup.conf.example", dir + "/rules/*.conf"};
  auto stage = make_waf_stage(config);
  ASSERT_TRUE(stage.ok()) << stage.error().to_string();
  EXPECT_GT((*stage)->rules().rule_count, 600u);
}
#endif

}  // namespace
}  // namespace portcullis::waf
