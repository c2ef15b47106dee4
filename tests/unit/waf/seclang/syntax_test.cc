#include "waf/seclang/syntax.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace portcullis::waf::seclang {
namespace {

TEST(SplitDirectivesTest, QuotesContinuationsAndComments) {
  auto d = split_directives(
      "# a comment \\\n"
      "SecRuleEngine On\n"
      "\n"
      "  SecRule ARGS \"@rx a\\\"b\\.c\" \\\n"
      "    \"id:1,\\\n"
      "    phase:2\"\r\n"
      "SecMarker END-X\n",
      "t.conf");
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  ASSERT_EQ(d->size(), 3u);
  EXPECT_EQ((*d)[0].name, "SecRuleEngine");
  EXPECT_EQ((*d)[0].args, std::vector<std::string>{"On"});
  EXPECT_EQ((*d)[0].line, 2);
  EXPECT_EQ((*d)[1].name, "SecRule");
  ASSERT_EQ((*d)[1].args.size(), 3u);
  EXPECT_EQ((*d)[1].args[1], "@rx a\"b\\.c");  // \" unescaped, \. kept for the regex
  EXPECT_EQ((*d)[1].args[2], "id:1,    phase:2");
  EXPECT_EQ((*d)[1].line, 4);
  EXPECT_EQ((*d)[2].line, 7);
  EXPECT_EQ((*d)[2].file, "t.conf");
}

TEST(SplitDirectivesTest, UnterminatedQuoteNamesTheLine) {
  auto d = split_directives("SecAction \"id:1\"\n\nSecRule ARGS \"@rx a\n", "bad.conf");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().file, "bad.conf");
  EXPECT_EQ(d.error().line, 3);
}

TEST(ParseActionsTest, QuotedValuesKeepCommasAndQuotes) {
  auto a = parse_actions(
      "id:942100, phase:2,block,msg:'SQL, injection',logdata:'it\\'s %{TX.0}',"
      "ctl:ruleRemoveTargetById=942100;ARGS:foo,setvar:'tx.score=+%{tx.critical}'");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  ASSERT_EQ(a->size(), 7u);
  EXPECT_EQ((*a)[0].name, "id");
  EXPECT_EQ((*a)[0].value, "942100");
  EXPECT_EQ((*a)[1].value, "2");
  EXPECT_EQ((*a)[2].name, "block");
  EXPECT_FALSE((*a)[2].has_value);
  EXPECT_EQ((*a)[3].value, "SQL, injection");
  EXPECT_EQ((*a)[4].value, "it's %{TX.0}");
  EXPECT_EQ((*a)[5].value, "ruleRemoveTargetById=942100;ARGS:foo");
  EXPECT_EQ((*a)[6].value, "tx.score=+%{tx.critical}");
}

TEST(ParseActionsTest, Errors) {
  EXPECT_FALSE(parse_actions("id:1,,phase:2").ok());
  EXPECT_FALSE(parse_actions("msg:'open").ok());
  EXPECT_FALSE(parse_actions("msg:'a'b").ok());
}

TEST(ParseVariablesTest, KeysRegexesCountsAndExclusions) {
  auto v = parse_variables(
      "REQUEST_HEADERS:User-Agent|!args:foo|&TX:x|ARGS:/^(a|b)\\/c$/|REQUEST_COOKIES:'/^__utm/'|"
      "XML:/*|XML://@*|ARGS_NAMES");
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  ASSERT_EQ(v->size(), 8u);
  EXPECT_EQ((*v)[0].collection, "REQUEST_HEADERS");
  EXPECT_EQ((*v)[0].key, "User-Agent");
  EXPECT_TRUE((*v)[1].exclude);
  EXPECT_EQ((*v)[1].collection, "ARGS");
  EXPECT_TRUE((*v)[2].count);
  EXPECT_EQ((*v)[3].key, "^(a|b)\\/c$");
  EXPECT_TRUE((*v)[3].key_is_regex);
  EXPECT_EQ((*v)[4].key, "^__utm");
  EXPECT_TRUE((*v)[4].key_is_regex);
  EXPECT_EQ((*v)[5].key, "/*");
  EXPECT_FALSE((*v)[5].key_is_regex);
  EXPECT_EQ((*v)[6].key, "//@*");
  EXPECT_EQ((*v)[7].collection, "ARGS_NAMES");
  EXPECT_TRUE((*v)[7].key.empty());
}

TEST(ParseVariablesTest, Errors) {
  EXPECT_FALSE(parse_variables("").ok());
  EXPECT_FALSE(parse_variables("ARGS|").ok());
  EXPECT_FALSE(parse_variables("ARGS:/open").ok());
  EXPECT_FALSE(parse_variables("ARGS:").ok());
}

TEST(ParseOperatorTest, Forms) {
  auto rx = parse_operator("@rx (?i)^a b");
  ASSERT_TRUE(rx.ok());
  EXPECT_EQ(rx->name, "rx");
  EXPECT_EQ(rx->argument, "(?i)^a b");
  auto neg = parse_operator("!@pmFromFile  lfi-os-files.data");
  ASSERT_TRUE(neg.ok());
  EXPECT_TRUE(neg->negated);
  EXPECT_EQ(neg->name, "pmFromFile");
  EXPECT_EQ(neg->argument, "lfi-os-files.data");
  auto bare = parse_operator("^GET$");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->name, "rx");
  EXPECT_EQ(bare->argument, "^GET$");
  auto none = parse_operator("@unconditionalMatch");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->argument, "");
  EXPECT_FALSE(parse_operator("@ x").ok());
}

// Every directive of the CRS v4 rule files and setup example takes apart cleanly.
TEST(CrsSyntaxTest, EveryCrsV4RuleParses) {
  namespace fs = std::filesystem;
  fs::path root = fs::path(PORTCULLIS_SHARED_DIR) / "crs" / "v4.28.0";
  ASSERT_TRUE(fs::exists(root / "rules")) << root;
  std::vector<fs::path> files = {root / "crs-setup.conf.example"};
  for (const auto& e : fs::directory_iterator(root / "rules")) {
    if (e.path().extension() == ".conf") files.push_back(e.path());
  }
  std::map<std::string, int> directives;
  int rules = 0;
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = split_directives(text.str(), f.filename().string());
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    for (const Directive& d : *parsed) {
      ++directives[d.name];
      std::string where = d.file + ":" + std::to_string(d.line);
      if (d.name == "SecRule") {
        ASSERT_TRUE(d.args.size() == 2 || d.args.size() == 3) << where;  // chained: 2
        auto vars = parse_variables(d.args[0]);
        EXPECT_TRUE(vars.ok()) << where << ": " << vars.error().to_string();
        auto op = parse_operator(d.args[1]);
        EXPECT_TRUE(op.ok()) << where << ": " << op.error().to_string();
        if (d.args.size() == 3) {
          auto actions = parse_actions(d.args[2]);
          EXPECT_TRUE(actions.ok()) << where << ": " << actions.error().to_string();
        }
        ++rules;
      } else if (d.name == "SecAction" || d.name == "SecDefaultAction") {
        ASSERT_EQ(d.args.size(), 1u) << where;
        EXPECT_TRUE(parse_actions(d.args[0]).ok()) << where;
      }
    }
  }
  EXPECT_EQ(rules, 695);  // 622 at the start of a line, 73 indented under a chain
  EXPECT_EQ(directives["SecMarker"], 30);
  EXPECT_EQ(directives["SecRuleUpdateTargetById"], 55);
}

}  // namespace
}  // namespace portcullis::waf::seclang
