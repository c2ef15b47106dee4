#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(Md5TransformTest, ReplacesTheValueWithItsRawDigest) {
  constexpr Row kRows[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"TestCase", "c9aba2c3e60126169e80e9a26ba273c1"},
      {"\0\x01\x02\x03\x04\x05\x06\x07\x08"sv, "a6e7d3b46fdfaf0bde2a1f832a00d2de"},
  };
  expect_hex_digests("md5", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
