#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Sha1TransformTest, ReplacesTheValueWithItsRawDigest) {
  constexpr Row kRows[] = {
      {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
      {"TestCase", "a70ce38389e318bd2be18a0111c6dc76bd2cd9ed"},
      {"\0\x01\x02\x03\x04\x05\x06\x07\x08"sv, "63bf60c7105a07a2b125bbf89e61abdabc6978c2"},
  };
  expect_hex_digests("sha1", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
