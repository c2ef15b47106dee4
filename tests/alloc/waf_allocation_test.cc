// Heap allocations of the WAF on a warmed worker: once the rules are loaded and the thread has
// run a few requests, evaluating an ordinary request must not call malloc (request memory comes
// from the exchange's arena and the thread's phase scratch, both recycled). Counted by
// tests/alloc/malloc_counter.cc; not built with sanitizers, which bring their own.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <vector>

#include "core/exchange.h"
#include "tests/alloc/malloc_counter.h"
#include "waf/engine/waf_stage.h"

namespace portcullis::waf {
namespace {

using alloc_test::allocations;
using alloc_test::counting;

const std::string kCrs = std::string(PORTCULLIS_SHARED_DIR) + "/crs/v4.28.0";

struct Request {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Runs the request through the stage; the allocations made inside the stage's hooks.
long allocations_in(const WafStage& stage, const Request& r) {
  Exchange ex;
  std::vector<HeaderField> fields;
  for (const auto& [n, v] : r.headers) fields.push_back({n, v});
  ex.method = r.method;
  ex.set_target(r.target);
  ex.host = "shop.example.com";
  ex.headers = fields;
  ex.client_ip = "192.0.2.10";
  ex.request_id = "alloc";
  ex.has_body = !r.body.empty();
  ex.content_length = r.body.size();
  allocations = 0;
  counting = true;
  Verdict v = stage.on_headers(ex);
  if (v.is_continue() && ex.has_body) {
    ex.body = std::span<const char>(r.body.data(), r.body.size());
    ex.body_complete = true;
    v = stage.on_body(ex);
  }
  counting = false;
  EXPECT_TRUE(v.is_continue()) << r.target << ": an ordinary request was refused";
  return allocations;
}

TEST(WafAllocations, AWarmedWorkerEvaluatesOrdinaryRequestsWithoutMalloc) {
  WafConfig config;
  config.rule_files = {kCrs + "/crs-setup.conf.example", kCrs + "/rules/*.conf"};
  auto stage = make_waf_stage(config);
  ASSERT_TRUE(stage) << stage.error().to_string();
  std::vector<std::pair<std::string, std::string>> browser = {
      {"Host", "shop.example.com"},
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/120.0 Safari/537.36"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Cookie", "session=3f8a9c1e7b2d4a6f; theme=dark; consent=yes"},
  };
  auto form_headers = browser;
  form_headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  const std::vector<Request> requests = {
      {"GET", "/catalog/search?q=blue+shirt&page=2&sort=price&size=M", "", browser},
      {"POST", "/account/profile",
       "first_name=Jane&last_name=Doe&email=jane%40example.com&city=Springfield&newsletter=on",
       form_headers},
  };
  for (const Request& r : requests) {
    for (int i = 0; i < 20; ++i) allocations_in(**stage, r);  // warm the thread
    long total = 0;
    for (int i = 0; i < 20; ++i) total += allocations_in(**stage, r);
    EXPECT_EQ(total, 0) << r.method << " " << r.target << ": " << total / 20.0
                        << " heap allocations per request";
  }
}

}  // namespace
}  // namespace portcullis::waf
