// The header fingerprint: its format, what it hashes and what it leaves out.
#include "bots/header_fingerprint.h"

#include <gtest/gtest.h>

#include <vector>

namespace portcullis::bots {
namespace {

TEST(HeaderFingerprintTest, Http1TitleCaseNamesInWireOrder) {
  std::vector<HeaderField> h = {{"Host", "a"}, {"User-Agent", "x"}, {"Accept", "*/*"}};
  HeaderFingerprint fp = header_fingerprint(h, false);
  // The hash of the three names (header_fingerprint.h), computed independently, starts
  // 9eefa9a2d557.
  EXPECT_EQ(fp.view(), "h1t0303_9eefa9a2d557");
  EXPECT_TRUE(fp.has(kTraitUserAgent));
  EXPECT_TRUE(fp.has(kTraitAccept));
  EXPECT_FALSE(fp.has(kTraitAcceptLanguage));
}

TEST(HeaderFingerprintTest, PerRequestHeadersAreTraitsNotPartOfTheHash) {
  std::vector<HeaderField> h = {{":method", "GET"},
                                {":path", "/"},
                                {"host", "a"},
                                {"cookie", "a=1"},
                                {"user-agent", "x"},
                                {"accept", "*/*"},
                                {"accept-language", "en"},
                                {"referer", "https://a/"},
                                {"accept-encoding", "gzip"},
                                {"content-type", "text/plain"},
                                {"sec-fetch-mode", "navigate"},
                                {"sec-ch-ua", "\"x\""}};
  HeaderFingerprint fp = header_fingerprint(h, true);
  EXPECT_EQ(fp.view(), "h2l07ff_deb8dd0552a0");
  EXPECT_TRUE(fp.has(kTraitCookie));
  EXPECT_TRUE(fp.has(kTraitReferer));
  EXPECT_TRUE(fp.has(kTraitSecFetch));
  EXPECT_TRUE(fp.has(kTraitClientHints));

  // The same stack without the cookie, the referer and the body keeps its id.
  std::vector<HeaderField> bare;
  for (const HeaderField& f : h) {
    if (f.name != "cookie" && f.name != "referer" && f.name != "content-type") bare.push_back(f);
  }
  HeaderFingerprint plain = header_fingerprint(bare, true);
  EXPECT_EQ(plain.view().substr(8), fp.view().substr(8));
  EXPECT_EQ(plain.view().substr(0, 5), "h2l07");
}

TEST(HeaderFingerprintTest, OrderAndCaseChangeTheId) {
  std::vector<HeaderField> a = {{"host", "a"}, {"accept", "*/*"}, {"user-agent", "x"}};
  std::vector<HeaderField> b = {{"host", "a"}, {"user-agent", "x"}, {"accept", "*/*"}};
  std::vector<HeaderField> c = {{"host", "a"}, {"User-agent", "x"}, {"ACCEPT", "*/*"}};
  EXPECT_NE(header_fingerprint(a, false).view(), header_fingerprint(b, false).view());
  HeaderFingerprint mixed = header_fingerprint(c, false);
  EXPECT_EQ(mixed.view()[2], 'm');
  EXPECT_NE(mixed.view().substr(8), header_fingerprint(b, false).view().substr(8));
}

TEST(HeaderFingerprintTest, CountStopsAt99AndNoHeadersIsWellFormed) {
  std::vector<HeaderField> many(150, HeaderField{"x-a", "1"});
  EXPECT_EQ(header_fingerprint(many, false).view().substr(0, 7), "h1l9900");
  HeaderFingerprint none = header_fingerprint({}, false);
  EXPECT_EQ(none.view().substr(0, 8), "h1l0000_");
  EXPECT_EQ(none.view().size(), 20u);
}

}  // namespace
}  // namespace portcullis::bots
