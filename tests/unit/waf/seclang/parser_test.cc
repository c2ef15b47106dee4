#include "waf/seclang/parser.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace portcullis::waf::seclang {
namespace {

namespace fs = std::filesystem;

class TempFolder {
 public:
  TempFolder() {
    char tmpl[] = "/tmp/portcullis-seclang-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempFolder() { fs::remove_all(path_); }
  fs::path write(const std::string& name, const std::string& text) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(ParseRulesTest, ChainsGatherAndItemsKeepTheirOrder) {
  auto items = parse_rules(
      "SecDefaultAction \"phase:2,log,pass\"\n"
      "SecRule ARGS \"@rx a\" \"id:1,chain,deny\"\n"
      "  SecRule ARGS_NAMES \"@streq b\" \"chain\"\n"
      "  SecRule REQUEST_METHOD \"@streq POST\"\n"
      "SecMarker END-1\n"
      "SecAction \"id:2,pass,nolog\"\n"
      "SecRuleRemoveById 1\n",
      "r.conf");
  ASSERT_TRUE(items.ok()) << items.error().to_string();
  ASSERT_EQ(items->size(), 5u);
  ASSERT_TRUE(std::holds_alternative<DefaultActionAst>((*items)[0]));
  const auto& chain = std::get<RuleAst>((*items)[1]);
  EXPECT_EQ(chain.line, 2);
  ASSERT_EQ(chain.chained.size(), 2u);
  EXPECT_EQ(chain.chained[0].op.name, "streq");
  EXPECT_EQ(chain.chained[1].variables[0].collection, "REQUEST_METHOD");
  EXPECT_TRUE(chain.chained[1].actions.empty());  // two-argument SecRule
  EXPECT_EQ(std::get<MarkerAst>((*items)[2]).name, "END-1");
  const auto& action = std::get<RuleAst>((*items)[3]);
  EXPECT_TRUE(action.is_action);
  EXPECT_EQ(action.op.name, "unconditionalMatch");
  EXPECT_EQ(std::get<OtherDirective>((*items)[4]).directive.args[0], "1");
  EXPECT_EQ(find_action(chain.actions, "DENY"), &chain.actions[2]);
}

TEST(ParseRulesTest, ShapeErrorsNameTheLine) {
  struct Case {
    const char* text;
    int line;
  };
  for (const Case& c :
       {Case{"SecRule ARGS\n", 1}, Case{"\nSecRule ARGS \"@rx a\" \"id:1,chain\"\n", 2},
        Case{"SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecMarker X\n", 2}, Case{"SecAction\n", 1},
        Case{"SecRule ARGS| \"@rx a\" \"id:1\"\n", 1},
        Case{"SecRule ARGS \"@rx a\" \"id:1,msg:'x\"\n", 1},
        Case{"Include /nonexistent/file.conf\n", 1}}) {
    auto items = parse_rules(c.text, "bad.conf");
    ASSERT_FALSE(items.ok()) << c.text;
    EXPECT_EQ(items.error().file, "bad.conf") << c.text;
    EXPECT_EQ(items.error().line, c.line) << c.text << items.error().to_string();
  }
}

TEST(ParseRulesTest, IncludeIsRelativeAndGlobbed) {
  TempFolder dir;
  dir.write("rules/b.conf", "SecRule ARGS \"@rx b\" \"id:2\"\n");
  dir.write("rules/a.conf", "SecRule ARGS \"@rx a\" \"id:1\"\n");
  dir.write("rules/empty/.keep", "");
  auto main =
      dir.write("main.conf", "Include rules/*.conf\nInclude rules/empty/*.conf\nSecMarker END\n");
  auto items = parse_rule_files(main.string());
  ASSERT_TRUE(items.ok()) << items.error().to_string();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ(std::get<RuleAst>((*items)[0]).op.argument, "a");  // name order
  EXPECT_EQ(std::get<RuleAst>((*items)[1]).op.argument, "b");
  EXPECT_EQ(fs::path(std::get<RuleAst>((*items)[1]).file).filename(), "b.conf");
}

TEST(ParseRulesTest, IncludeLoopIsAnError) {
  TempFolder dir;
  auto self = dir.write("loop.conf", "Include loop.conf\n");
  auto items = parse_rule_files(self.string());
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.error().message.find("nested too deeply"), std::string::npos);
}

TEST(CrsParseTest, SetupAndRulesOfCrsV4) {
  TempFolder dir;
  fs::path crs = fs::path(PORTCULLIS_SHARED_DIR) / "crs" / "v4.28.0";
  auto main = dir.write("crs.conf", "Include " + (crs / "crs-setup.conf.example").string() +
                                        "\nInclude " + (crs / "rules" / "*.conf").string() + "\n");
  auto items = parse_rule_files(main.string());
  ASSERT_TRUE(items.ok()) << items.error().to_string();
  int heads = 0, chained = 0, actions = 0, markers = 0;
  for (const Item& item : *items) {
    if (const auto* r = std::get_if<RuleAst>(&item)) {
      (r->is_action ? actions : heads) += 1;
      chained += static_cast<int>(r->chained.size());
    }
    markers += std::holds_alternative<MarkerAst>(item);
  }
  EXPECT_EQ(heads + chained, 695);  // every SecRule, chained or not
  EXPECT_EQ(actions, 8);
  EXPECT_EQ(markers, 30);
  EXPECT_EQ(chained, 73);
}

}  // namespace
}  // namespace portcullis::waf::seclang
