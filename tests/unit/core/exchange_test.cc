#include "core/exchange.h"

#include <gtest/gtest.h>

#include <memory_resource>
#include <vector>

namespace portcullis {
namespace {

TEST(ExchangeTest, HeaderLookupIsCaseInsensitiveAndFirstWins) {
  std::vector<HeaderField> headers = {{"Accept", "a"}, {"X-Id", "1"}, {"x-id", "2"}};
  Exchange ex;
  ex.headers = headers;
  bool found = false;
  EXPECT_EQ(ex.header("x-ID", &found), "1");
  EXPECT_TRUE(found);
  EXPECT_EQ(ex.header("missing", &found), "");
  EXPECT_FALSE(found);
}

TEST(ExchangeTest, ArenaServesSmallAllocationsInline) {
  Exchange ex;
  std::pmr::vector<int> v(ex.arena());
  v.reserve(64);
  auto* p = reinterpret_cast<const std::byte*>(v.data());
  auto* self = reinterpret_cast<const std::byte*>(&ex);
  EXPECT_TRUE(p >= self && p < self + sizeof(Exchange));
}

}  // namespace
}  // namespace portcullis
