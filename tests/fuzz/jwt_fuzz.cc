// Fuzz target: bearer tokens (ratelimit/jwt.h) as the limiter reads them: the Authorization
// field, the split, base64url, the top-level claim scanner, and the check against an HMAC key.
// Besides memory safety it checks that a token found valid has the shape of one: three parts, a
// header naming an accepted algorithm, a payload that is an object.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ratelimit/jwt.h"

using namespace portcullis::ratelimit;

namespace {

const JwtVerifier& verifier() {
  static const std::shared_ptr<const JwtVerifier> v = [] {
    JwtOptions options;
    options.secret = "the fuzz target's secret, 32 chars or more";
    options.audience = "fuzz";
    return JwtVerifier::make(options).value();
  }();
  return *v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view token = bearer_token(input);
  if (token.empty()) token = input;
  JwtParts parts;
  if (!split_jwt(token, parts)) return 0;
  char payload_buf[4096];
  long n = base64url_decode(parts.payload, payload_buf);
  if (n < 0) return 0;
  std::string_view payload(payload_buf, static_cast<std::size_t>(n));
  std::string_view value;
  for (const char* claim : {"sub", "aud", "exp", "", "a\"b"}) json_member(payload, claim, value);
  for (const char* path : {"org.id", "a.b.c", ".", "x."}) json_claim(payload, path, value);
  const JwtStatus status = verifier().verify(token, payload, 1'800'000'000);
  if (status == JwtStatus::kValid) {
    char header_buf[512];
    long h = base64url_decode(parts.header, header_buf);
    std::string_view alg;
    if (h <= 0 ||
        !json_member(std::string_view(header_buf, static_cast<std::size_t>(h)), "alg", alg) ||
        alg.substr(0, 2) != "HS" || payload.empty() ||
        payload.find('{') == std::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
