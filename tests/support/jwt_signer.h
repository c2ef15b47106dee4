// Signs JWTs for tests with OpenSSL, and writes the matching public keys as a JWK or PEM: an
// independent issuer for what ratelimit/jwt.h checks.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace portcullis::testing {

std::string base64url(std::string_view bytes);

class JwtSigner {
 public:
  // A new key for `alg`: HS256/384/512 (with `secret`), RS*/PS* (RSA 2048), ES256/384/512 or
  // EdDSA (Ed25519).
  JwtSigner(std::string alg, std::string kid, std::string secret = {});
  ~JwtSigner();
  JwtSigner(JwtSigner&&) noexcept;

  // A compact JWS of `payload` (a JSON object), its header naming alg, typ and kid. `alg`
  // overrides the header's alg (the signature is still made with this key's own).
  std::string sign(std::string_view payload, std::string_view alg = {}) const;
  // The public key as a JWK object (JSON text), or the secret as an "oct" JWK.
  std::string jwk() const;
  std::string public_pem() const;
  const std::string& alg() const { return alg_; }

 private:
  std::string alg_, kid_, secret_;
  struct Key;
  std::unique_ptr<Key> key_;
};

}  // namespace portcullis::testing
