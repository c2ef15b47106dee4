#include "access/access_list.h"

#include <gtest/gtest.h>

namespace portcullis::access {
namespace {

Verdict run(const AccessList& list, std::string_view method, std::string_view host) {
  Exchange ex;
  ex.method = method;
  ex.host = host;
  return list.on_headers(ex);
}

TEST(AccessListTest, EmptyListsAllowEverything) {
  AccessList list({}, {});
  EXPECT_TRUE(run(list, "PROPFIND", "any.host").is_continue());
}

TEST(AccessListTest, MethodOutsideTheListIs405WithTheAllowValue) {
  AccessList list({"GET", "HEAD"}, {});
  EXPECT_TRUE(run(list, "GET", "h").is_continue());
  Verdict v = run(list, "DELETE", "h");
  EXPECT_EQ(v.action, Action::kBlock);
  EXPECT_EQ(v.status, 405);
  EXPECT_EQ(v.reason, "GET, HEAD");
  EXPECT_EQ(v.stage, "access");
  // Methods are case-sensitive (RFC 9110 9.1).
  EXPECT_EQ(run(list, "get", "h").status, 405);
}

TEST(AccessListTest, HostOutsideTheListIs403) {
  AccessList list({}, {HostPattern::parse("api.example.com"), HostPattern::parse("*.internal")});
  EXPECT_TRUE(run(list, "GET", "api.example.com").is_continue());
  EXPECT_TRUE(run(list, "GET", "svc.internal").is_continue());
  Verdict v = run(list, "GET", "other.example.com");
  EXPECT_EQ(v.status, 403);
  EXPECT_EQ(v.reason, "host not allowed");
}

}  // namespace
}  // namespace portcullis::access
