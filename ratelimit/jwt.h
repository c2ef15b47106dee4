// JWTs (RFC 7519) as rate-limit keys: the claims of a request's bearer token, read without
// allocation, and, when keys are configured, trusted only after the token's signature (RFC 7515),
// expiry, issuer and audience are checked.
//
// Algorithms: HS256/384/512 (a shared secret), RS256/384/512 and PS256/384/512 (RSA),
// ES256/384/512 (P-256, P-384, P-521) and EdDSA (Ed25519). Keys come from a JWKS file (RFC 7517)
// or a PEM public key. A token's `alg` must be one the configuration accepts and one its key is
// for, so an HMAC token can never be checked against an RSA key used as a secret; `none` is never
// accepted.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace portcullis::ratelimit {

// The parts of a compact JWS "HEADER.PAYLOAD.SIGNATURE", still base64url-encoded.
struct JwtParts {
  std::string_view header, payload, signature;
  std::string_view signing_input;  // "HEADER.PAYLOAD"
};
// Splits `token` at its two dots; false when it has not three parts or an empty header or
// payload. The parts are not checked here: decoding them refuses what is not base64url.
bool split_jwt(std::string_view token, JwtParts& parts) noexcept;

// The token of an Authorization field "Bearer TOKEN" (scheme case-insensitive); empty otherwise.
std::string_view bearer_token(std::string_view authorization) noexcept;

// Decodes base64url (padding optional) into `out`; the decoded length, or -1 when `in` is not
// base64url or does not fit.
long base64url_decode(std::string_view in, std::span<char> out) noexcept;

// The value of the top-level member `name` of the JSON object `json`: a string's contents
// without its quotes (escapes left as written), or the text of a number, literal, object or
// array. False when `json` is not an object or has no such member.
bool json_member(std::string_view json, std::string_view name, std::string_view& value) noexcept;
// A claim by name or by path: the top-level member `path` if there is one (claim names may hold
// dots: "https://example.com/tenant"), else, for "a.b.c", member "b.c" of the object that member
// "a" holds (and so on, each prefix up to a dot tried the same way). Depth at most 8.
bool json_claim(std::string_view json, std::string_view path, std::string_view& value) noexcept;

struct JwtOptions {
  std::string jwks_file;                // a JWKS document
  std::string public_key_file;          // a PEM public key (RSA, EC or Ed25519)
  std::string secret;                   // an HMAC secret
  std::vector<std::string> algorithms;  // accepted `alg`s; empty: every one the keys are for
  std::string issuer;                   // required `iss`; empty: any
  std::string audience;                 // required in `aud`; empty: any
  std::int64_t leeway_s = 60;           // clock skew allowed for `exp` and `nbf`
};

enum class JwtStatus : std::uint8_t {
  kValid,
  kMalformed,     // not a JWS, or its header or payload is not a JSON object
  kAlgorithm,     // `alg` not accepted (or "none")
  kUnknownKey,    // no configured key for its `kid` and `alg`
  kBadSignature,  // the signature does not verify
  kExpired,       // `exp` has passed
  kNotYetValid,   // `nbf` is ahead
  kWrongIssuer,
  kWrongAudience,
};
std::string_view to_string(JwtStatus status) noexcept;

// Immutable after construction; safe for concurrent use by multiple threads. Checked signatures
// are remembered per thread (the last few tokens), so a client that sends the same token again
// costs a comparison, not a public-key operation.
class JwtVerifier {
 public:
  static Result<std::shared_ptr<const JwtVerifier>> make(const JwtOptions& options);
  ~JwtVerifier();

  // Checks `token` at `now_s` (seconds since the epoch). `payload` is its decoded payload.
  JwtStatus verify(std::string_view token, std::string_view payload,
                   std::int64_t now_s) const noexcept;

  std::size_t key_count() const noexcept { return keys_.size(); }

  struct Key;

 private:
  JwtVerifier() = default;
  JwtStatus check_signature(const JwtParts& parts) const noexcept;

  JwtOptions options_;
  std::vector<std::unique_ptr<Key>> keys_;
  std::uint64_t generation_ = 0;  // tells this verifier's cached results from an older one's
};

}  // namespace portcullis::ratelimit
