#include "core/host_pattern.h"

#include <gtest/gtest.h>

namespace portcullis {
namespace {

TEST(HostPatternTest, ExactAndWildcard) {
  HostPattern exact = HostPattern::parse("API.example.com");
  EXPECT_TRUE(exact.matches("api.EXAMPLE.com"));
  EXPECT_TRUE(exact.matches("api.example.com."));
  EXPECT_FALSE(exact.matches("x.api.example.com"));
  HostPattern wild = HostPattern::parse("*.example.com");
  EXPECT_TRUE(wild.matches("a.example.com"));
  EXPECT_TRUE(wild.matches("a.b.example.com"));
  EXPECT_FALSE(wild.matches("example.com"));
  EXPECT_FALSE(wild.matches("badexample.com"));
}

}  // namespace
}  // namespace portcullis
