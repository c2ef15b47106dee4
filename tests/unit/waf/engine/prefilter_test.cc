#include "waf/engine/prefilter.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace portcullis::waf {
namespace {

bool bit(const std::vector<std::uint64_t>& words, std::size_t slot) {
  return Prefilter::has(words.data(), slot);
}

class PrefilterTest : public ::testing::Test {
 protected:
  PrefilterTest() {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_dot_nl(true);
    regexes_.push_back(std::make_unique<RE2>("union[\\s\\x0b]+select", options));  // atoms
    regexes_.push_back(std::make_unique<RE2>("[<>]", options));            // no atom: the set
    regexes_.push_back(std::make_unique<RE2>("(?i)etc/passwd", options));  // atoms
    members_ = {{regexes_[0].get(), nullptr},
                {nullptr, &shells_},
                {regexes_[1].get(), nullptr},
                {nullptr, &files_},
                {regexes_[2].get(), nullptr}};
  }

  std::vector<std::uint64_t> verdicts(const Prefilter& p, std::string_view text) {
    std::vector<std::uint64_t> out(p.words(), ~std::uint64_t{0});
    p.candidates(text, out.data());
    return out;
  }

  std::vector<std::unique_ptr<RE2>> regexes_;
  std::vector<std::string> shells_ = {"bash", "/bin/SH", "zsh"};
  std::vector<std::string> files_ = {".htaccess", "passwd"};
  std::vector<Prefilter::Member> members_;
};

// Regex slots may be candidates when they cannot match (atoms are a necessary condition), but
// never miss a match; phrase slots are exact.
TEST_F(PrefilterTest, SaysWhichRegexesMayMatchAndWhichPhraseListsDo) {
  Prefilter p(members_);
  ASSERT_EQ(p.size(), 5u);
  for (std::string text : {"", "hello world", "1 UNION  SELECT 2", "<b>", "cat /etc/passwd",
                           "run /BIN/sh now", "zsh", ".HTACCESS", "bas h", "unionselect"}) {
    SCOPED_TRACE(text);
    auto v = verdicts(p, text);
    for (std::size_t slot : {0u, 2u, 4u}) {
      const RE2& re = *members_[slot].regex;
      if (RE2::PartialMatch(text, re)) EXPECT_TRUE(bit(v, slot)) << slot;
    }
    EXPECT_EQ(bit(v, 2), RE2::PartialMatch(text, *regexes_[1]));  // settled by the set: exact
    auto occurs = [&](const std::vector<std::string>& phrases) {
      std::string lower = text;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      for (std::string p : phrases) {
        for (char& c : p) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower.find(p) != std::string::npos) return true;
      }
      return false;
    };
    EXPECT_EQ(bit(v, 1), occurs(shells_));
    EXPECT_EQ(bit(v, 3), occurs(files_));
  }
  // A text without any atom leaves the atom regexes out.
  auto plain = verdicts(p, "hello world");
  EXPECT_FALSE(bit(plain, 0));
  EXPECT_FALSE(bit(plain, 4));
}

// The same text twice (the second answer comes from the thread's remembered verdicts), and a
// text longer than those remembered (its atomless regexes are left to the rules: candidates).
TEST_F(PrefilterTest, RememberedAndLongTextsGiveTheSameOrSaferAnswers) {
  Prefilter p(members_);
  EXPECT_EQ(verdicts(p, "cat /etc/passwd"), verdicts(p, "cat /etc/passwd"));
  std::string long_text(Prefilter::kRememberedText + 10, 'a');
  auto v = verdicts(p, long_text);
  EXPECT_TRUE(bit(v, 2));   // not run: a candidate
  EXPECT_FALSE(bit(v, 1));  // phrases are still exact
  EXPECT_FALSE(bit(v, 0));
}

}  // namespace
}  // namespace portcullis::waf
