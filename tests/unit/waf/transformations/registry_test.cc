#include <gtest/gtest.h>

#include <memory_resource>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/waf/transformations/transformation_rows.h"
#include "waf/transformations/all.h"
#include "waf/transformations/transformation.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

constexpr std::string_view kSecLangNames[] = {
    "lowercase",
    "uppercase",
    "urlDecode",
    "urlDecodeUni",
    "htmlEntityDecode",
    "jsDecode",
    "cssDecode",
    "cmdLine",
    "removeWhitespace",
    "compressWhitespace",
    "removeNulls",
    "replaceNulls",
    "replaceComments",
    "removeComments",
    "removeCommentsChar",
    "normalizePath",
    "normalizePathWin",
    "escapeSeqDecode",
    "base64Decode",
    "base64DecodeExt",
    "base64Encode",
    "hexEncode",
    "hexDecode",
    "sha1",
    "md5",
    "length",
    "trim",
    "trimLeft",
    "trimRight",
    "utf8toUnicode",
    "sqlHexDecode",
};

TEST(TransformationRegistryTest, FindsEverySecLangTransformation) {
  for (std::string_view name : kSecLangNames) {
    const TransformationInfo* info = find_transformation(name);
    ASSERT_NE(info, nullptr) << name;
    EXPECT_EQ(info->name, name);
    EXPECT_NE(info->fn, nullptr) << name;
  }
}

TEST(TransformationRegistryTest, NoneResetsTheChainInsteadOfTransforming) {
  const TransformationInfo* info = find_transformation("none");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->fn, nullptr);
}

TEST(TransformationRegistryTest, NamesAreCaseInsensitive) {
  const TransformationInfo* info = find_transformation("urlDecodeUni");
  EXPECT_EQ(find_transformation("URLDECODEUNI"), info);
  EXPECT_EQ(find_transformation("urldecodeuni"), info);
  EXPECT_EQ(find_transformation("NONE"), find_transformation("none"));
  EXPECT_EQ(find_transformation("base64decode")->fn, &transformations::base64_decode);
}

TEST(TransformationRegistryTest, AcceptsTheBritishSpellingsModSecurityAccepts) {
  EXPECT_EQ(find_transformation("normalisePath")->fn, find_transformation("normalizePath")->fn);
  EXPECT_EQ(find_transformation("normalisePathWin")->fn,
            find_transformation("normalizePathWin")->fn);
}

TEST(TransformationRegistryTest, UnknownNamesAreNotFound) {
  for (std::string_view name :
       {""sv, "t:none"sv, "urlDecodeUnix"sv, "urlDecod"sv, " trim"sv, "urlEncode"sv}) {
    EXPECT_EQ(find_transformation(name), nullptr) << name;
  }
}

TEST(TransformationRegistryTest, EveryRowIsFoundByItsOwnName) {
  for (const TransformationInfo& info : transformations::registered_transformations()) {
    EXPECT_EQ(find_transformation(info.name), &info) << info.name;
  }
}

// The contract every transformation shares: "changed" means the value is different (`out` is
// never the stale bytes it held before).
TEST(TransformationRegistryTest, ChangedAlwaysMeansADifferentValue) {
  constexpr std::string_view kInputs[] = {
      ""sv,         "abc"sv,     "ABC"sv,       " a "sv,   "\0"sv,     "a\0b"sv,
      "%41+"sv,     "%u0041"sv,  "&lt;&#65;"sv, "\\x41"sv, "\\41 "sv,  "/*x*/"sv,
      "a--b"sv,     "/a/../b"sv, "a\\..\\b"sv,  "QUJD"sv,  "616263"sv, "0x41"sv,
      "\xc3\xa9"sv, "\xff"sv,    "1"sv,         "da39"sv,
  };
  for (const TransformationInfo& info : transformations::registered_transformations()) {
    if (info.fn == nullptr) continue;
    for (std::string_view input : kInputs) {
      std::pmr::string out("stale");
      if (!info.fn(input, out)) continue;
      EXPECT_NE(std::string_view(out), input) << info.name << " of " << printable(input);
      // Only a digest or a length makes something out of nothing.
      if (input.empty()) {
        EXPECT_TRUE(info.name == "sha1" || info.name == "md5" || info.name == "length")
            << info.name;
      }
    }
  }
}

// A chain skips a transformation when the value has none of its trigger bytes: that must never
// skip a change. Random values made only of the other bytes must come out unchanged.
TEST(TransformationRegistryTest, ValuesWithoutTriggerBytesComeOutUnchanged) {
  std::mt19937 random(20261129);
  for (const TransformationInfo& info : transformations::registered_transformations()) {
    if (info.fn == nullptr || info.always) continue;
    std::vector<char> others;
    for (int c = 0; c < 256; ++c) {
      if (!info.triggers.has(static_cast<unsigned char>(c))) others.push_back(static_cast<char>(c));
    }
    ASSERT_FALSE(others.empty()) << info.name << ": every byte triggers it; mark it `always`";
    std::uniform_int_distribution<std::size_t> pick(0, others.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, 48);
    for (int i = 0; i < 5000; ++i) {
      std::string input;
      for (std::size_t n = length(random); n > 0; --n) input.push_back(others[pick(random)]);
      EXPECT_FALSE(info.may_change(ByteSet::of(input))) << info.name;
      std::pmr::string out;
      if (info.fn(input, out)) {
        ASSERT_EQ(std::string_view(out), input) << info.name << " changed " << printable(input);
      }
    }
  }
}

// ...and a value with a trigger byte is given to the transformation.
TEST(TransformationRegistryTest, ValuesWithATriggerByteAreTransformed) {
  EXPECT_TRUE(find_transformation("urlDecodeUni")->may_change(ByteSet::of("a%41")));
  EXPECT_TRUE(find_transformation("lowercase")->may_change(ByteSet::of("aBc")));
  EXPECT_FALSE(find_transformation("lowercase")->may_change(ByteSet::of("abc")));
  EXPECT_TRUE(find_transformation("utf8toUnicode")->may_change(ByteSet::of("\xc3\xa9")));
  // Digests and lengths change every value, the empty one too.
  EXPECT_TRUE(find_transformation("length")->may_change(ByteSet()));
  EXPECT_TRUE(find_transformation("sha1")->may_change(ByteSet::of("abc")));
}

}  // namespace
}  // namespace portcullis::waf::testing
