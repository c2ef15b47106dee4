// Fuzz target: the ratelimit stage (ratelimit/limit_stage.h) on request heads the input makes up:
// the client address from X-Forwarded-For behind trusted proxies, networks of any address, and
// header keys. Besides memory safety it checks that a refusal is a well-formed 429 from the
// stage, with Retry-After and both RateLimit fields, and that the limiter key it names is one of
// the kinds the stage writes.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ratelimit/limit_stage.h"

using namespace portcullis;
using namespace portcullis::ratelimit;

namespace {

std::int64_t fixed_now() { return 1'000'000'000'000; }

const LimitStage& stage() {
  static const LimitStage* s = [] {
    LimitStageConfig c;
    auto add = [&](const char* name, std::uint32_t burst, std::vector<const char*> key) {
      Limit l;
      l.name = name;
      l.requests = 1;
      l.period_ns = 60'000'000'000;
      l.burst = burst;
      for (const char* k : key) l.key.push_back(KeyPart::parse(k).value());
      c.limits.push_back(l);
    };
    add("per-ip", 3, {"ip"});
    add("per-net", 5, {"ip/20"});
    add("per-net6", 5, {"ip/56"});
    add("per-key", 2, {"header:x-api-key", "route"});
    c.trusted_proxies = {Cidr::parse("10.0.0.0/8").value(), Cidr::parse("::1").value()};
    c.table = std::make_shared<BucketTable>(64);
    c.now_ns = &fixed_now;
    return new LimitStage(c);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first line is the peer's address; then "name: value" lines.
  std::vector<HeaderField> headers;
  std::size_t nl = input.find('\n');
  Exchange ex;
  ex.client_ip = input.substr(0, nl);
  ex.route_id = "routes[0]";
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  while (!rest.empty() && headers.size() < 32) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.push_back({line.substr(0, colon), value});
  }
  ex.headers = headers;
  for (int i = 0; i < 4; ++i) {
    Verdict v = stage().on_headers(ex);
    if (v.is_continue()) continue;
    if (v.status != 429 || v.stage != "ratelimit" || v.retry_after_s == 0 || v.headers.size() != 2)
      std::abort();
    const std::string_view key = ex.limiter_key;
    if (key.substr(0, 3) != "ip=" && key.substr(0, 6) != "ip/20=" && key.substr(0, 6) != "ip/56=" &&
        key.substr(0, 17) != "header:x-api-key=")
      std::abort();
  }
  return 0;
}
