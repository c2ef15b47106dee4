// The request path does not allocate per header: a warmed-up benign GET goes through the
// parser, the route match and every stage's header hook (bots and ratelimit included: their
// fingerprint, class, signals, forwarded headers and limiter key live in the arena) without
// touching the heap. A counting
// global operator new proves it.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "config/loader.h"
#include "core/exchange.h"
#include "core/pipeline.h"
#include "proxy/http1/parser.h"

// GCC cannot see that this operator new/delete pair is malloc/free on both sides.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  if (counting.load(std::memory_order_relaxed)) allocations.fetch_add(1);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace portcullis {
namespace {

constexpr std::string_view kConfig = R"(upstreams: [{name: app, endpoints: [127.0.0.1:9000]}]
policies:
  - name: api
    access: {methods: [GET, HEAD, POST], hosts: [api.example.com, "*.example.org"]}
    bots: {actions: {human: tag, automation: tag}}
    ratelimit:
      limits:
        - {name: per-ip, rate: 1000/s, burst: 1000000, key: ip}
        - {name: per-net, rate: 1000/s, burst: 1000000, key: [ip/24, route, header:accept]}
routes:
  - {host: api.example.com, path_prefix: /v1/, upstream: app, policy: api}
)";

TEST(ZeroAllocationTest, BenignGetThroughParserRouteAndStages) {
  auto snap = config::load_string(kConfig, "t.yaml");
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  const std::string request =
      "GET /v1/users/42?fields=name,email HTTP/1.1\r\nHost: api.example.com\r\n"
      "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: application/json\r\n"
      "Accept-Language: en-US,en;q=0.9\r\nAccept-Encoding: gzip, deflate, br\r\n"
      "Cookie: session=abc123; theme=dark\r\nX-Forwarded-For: 203.0.113.9\r\n"
      "Connection: keep-alive\r\n\r\n";
  std::vector<HeaderField> fields(100);
  http1::Limits limits;

  auto run_once = [&]() {
    http1::RequestHead head;
    http1::ParseError error;
    EXPECT_EQ(http1::parse_request(request, limits, fields, head, error),
              http1::ParseState::kComplete);
    Exchange ex;
    ex.method = head.method;
    ex.target = head.target;
    ex.path = head.path;
    ex.host = head.host;
    ex.headers = head.headers;
    ex.client_ip = "203.0.113.9";
    const config::Route* route = (*snap)->match(head.host, head.path);
    EXPECT_NE(route, nullptr);
    Verdict v = route->pipeline->on_headers(ex);
    EXPECT_TRUE(v.is_continue());
    EXPECT_EQ(ex.header("accept"), "application/json");
    EXPECT_FALSE(ex.bot_class.empty()) << "the bots stage ran";
    EXPECT_EQ(ex.upstream_headers.size(), 5u);
    EXPECT_FALSE(ex.limiter_key.empty()) << "the ratelimit stage ran";
  };

  run_once();  // warm-up
  allocations = 0;
  counting = true;
  for (int i = 0; i < 100; ++i) run_once();
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
}

TEST(ZeroAllocationTest, CounterSeesAllocations) {
  // The counter itself works: without this, the test above could pass for the wrong reason.
  allocations = 0;
  counting = true;
  auto* p = new std::string(100, 'x');
  counting = false;
  delete p;
  EXPECT_GE(allocations.load(), 1);
}

}  // namespace
}  // namespace portcullis
