// The hash source a Content-Security-Policy allows an inline style or script by: the same as
// `openssl dgst -sha256 -binary | base64` gives, quoted as a policy writes it.
#include "core/csp.h"

#include <gtest/gtest.h>

namespace portcullis {
namespace {

TEST(CspTest, HashSourceIsTheQuotedBase64OfTheSha256) {
  EXPECT_EQ(csp_hash("body{color:red}"), "'sha256-FcQqt3aNlV7AZnGV4zkQRVeCeJOxbMPnQSx258L803E='");
  EXPECT_EQ(csp_hash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
}

}  // namespace
}  // namespace portcullis
