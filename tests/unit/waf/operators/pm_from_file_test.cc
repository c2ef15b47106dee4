#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCrsRules = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0/rules";

class DataFolder {
 public:
  DataFolder() {
    char tmpl[] = "/tmp/portcullis-operators-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~DataFolder() { fs::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(PmFromFileOperatorTest, MatchesPhrasesOfCrsLfiOsFiles) {
  auto op = make_operator("pmFromFile", "lfi-os-files.data", kCrsRules);
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  ctx.capture = true;
  EXPECT_TRUE(op->match("/download?file=../../ETC/PASSWD", ctx));
  EXPECT_EQ(ctx.captures[0], "etc/passwd");
  EXPECT_TRUE(op->match("/var/www/.htaccess", ctx));
  EXPECT_FALSE(op->match("/index.html", ctx));
}

TEST(PmFromFileOperatorTest, SkipsCommentsAndBlankLinesAndKeepsSpacesInPhrases) {
  DataFolder dir;
  dir.write("a.data", "# a comment\n\n   \nfoo bar\r\n  # indented comment\nbaz\n");
  dir.write("b.data", "qux\n");
  constexpr MatchRow kRows[] = {
      {"a.data", "xFOO BARx", true}, {"a.data", "foo", false},       {"a.data", "a comment", false},
      {"a.data", "baz", true},       {"a.data b.data", "qux", true}, {"a.data", "qux", false},
  };
  for (const MatchRow& row : kRows) {
    auto op = make_operator("pmFromFile", row.argument, dir.path());
    ASSERT_NE(op, nullptr);
    FakeMatchContext ctx;
    EXPECT_EQ(op->match(row.value, ctx), row.matches) << row.argument << " on " << row.value;
  }
}

TEST(PmFromFileOperatorTest, AcceptsAbsolutePathsAndThePmfAlias) {
  auto op = make_operator("pmf", kCrsRules + "/lfi-os-files.data", "/nonexistent");
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  EXPECT_TRUE(op->match("/etc/shadow", ctx));
}

TEST(PmFromFileOperatorTest, MissingFileIsAnError) {
  EXPECT_NE(creation_error("pmFromFile", "no-such-file.data", kCrsRules), "");
  EXPECT_NE(creation_error("pmFromFile", "", kCrsRules), "");
}

TEST(IpMatchFromFileOperatorTest, ReadsNetworksWithComments) {
  DataFolder dir;
  dir.write("ips.txt",
            "# blocked\n10.0.0.0/8\n192.168.1.7, 192.168.1.9 # two hosts\n2001:db8::/32\n");
  dir.write("bad.txt", "10.0.0.300\n");
  auto op = make_operator("ipMatchFromFile", "ips.txt", dir.path());
  ASSERT_NE(op, nullptr);
  FakeMatchContext ctx;
  EXPECT_TRUE(op->match("10.20.30.40", ctx));
  EXPECT_TRUE(op->match("192.168.1.9", ctx));
  EXPECT_FALSE(op->match("192.168.1.8", ctx));
  EXPECT_TRUE(op->match("2001:db8:1::5", ctx));
  EXPECT_NE(creation_error("ipMatchFromFile", "bad.txt", dir.path()), "");
  EXPECT_NE(creation_error("ipMatchF", "missing.txt", dir.path()), "");
}

}  // namespace
}  // namespace portcullis::waf::testing
