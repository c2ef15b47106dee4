#include "tests/support/jwt_signer.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <vector>

namespace portcullis::testing {

std::string base64url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (bytes.size() - i == 1) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

namespace {

std::string bn_bytes(const BIGNUM* bn, int size = 0) {
  int n = size > 0 ? size : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(n), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

const EVP_MD* md_of(std::string_view alg) {
  if (alg.ends_with("256")) return EVP_sha256();
  if (alg.ends_with("384")) return EVP_sha384();
  return EVP_sha512();
}

int ec_size(std::string_view alg) { return alg == "ES256" ? 32 : alg == "ES384" ? 48 : 66; }

}  // namespace

struct JwtSigner::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

JwtSigner::JwtSigner(std::string alg, std::string kid, std::string secret)
    : alg_(std::move(alg)),
      kid_(std::move(kid)),
      secret_(std::move(secret)),
      key_(std::make_unique<Key>()) {
  if (alg_.starts_with("RS") || alg_.starts_with("PS")) {
    key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else if (alg_.starts_with("ES")) {
    const char* curve = alg_ == "ES256" ? "P-256" : alg_ == "ES384" ? "P-384" : "P-521";
    key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else if (alg_ == "EdDSA") {
    key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else if (!alg_.starts_with("HS")) {
    throw std::invalid_argument("unknown alg " + alg_);
  }
  if (!alg_.starts_with("HS") && key_->pkey == nullptr) throw std::runtime_error("keygen failed");
}

JwtSigner::~JwtSigner() = default;
JwtSigner::JwtSigner(JwtSigner&&) noexcept = default;

std::string JwtSigner::sign(std::string_view payload, std::string_view alg) const {
  std::string header = R"({"alg":")" + std::string(alg.empty() ? alg_ : alg) + R"(","typ":"JWT")";
  if (!kid_.empty()) header += R"(,"kid":")" + kid_ + "\"";
  header += "}";
  std::string input = base64url(header) + "." + base64url(payload);
  std::string sig;
  if (alg_.starts_with("HS")) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md_of(alg_), secret_.data(), static_cast<int>(secret_.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    sig.assign(reinterpret_cast<char*>(mac), len);
  } else {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    EVP_DigestSignInit(ctx, &pctx, alg_ == "EdDSA" ? nullptr : md_of(alg_), nullptr, key_->pkey);
    if (alg_.starts_with("PS")) {
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    std::size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::vector<unsigned char> der(len);
    EVP_DigestSign(ctx, der.data(), &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    EVP_MD_CTX_free(ctx);
    der.resize(len);
    if (alg_.starts_with("ES")) {
      // DER to the r||s form of JWS.
      const unsigned char* p = der.data();
      ECDSA_SIG* es = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
      sig = bn_bytes(ECDSA_SIG_get0_r(es), ec_size(alg_)) +
            bn_bytes(ECDSA_SIG_get0_s(es), ec_size(alg_));
      ECDSA_SIG_free(es);
    } else {
      sig.assign(der.begin(), der.end());
    }
  }
  return input + "." + base64url(sig);
}

std::string JwtSigner::jwk() const {
  std::string kid = kid_.empty() ? "" : R"(,"kid":")" + kid_ + "\"";
  if (alg_.starts_with("HS"))
    return R"({"kty":"oct","k":")" + base64url(secret_) + "\"" + kid + "}";
  if (alg_.starts_with("RS") || alg_.starts_with("PS")) {
    BIGNUM* n = nullptr;
    BIGNUM* e = nullptr;
    EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_RSA_N, &n);
    EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_RSA_E, &e);
    std::string out = R"({"kty":"RSA","use":"sig","n":")" + base64url(bn_bytes(n)) + R"(","e":")" +
                      base64url(bn_bytes(e)) + "\"" + kid + "}";
    BN_free(n);
    BN_free(e);
    return out;
  }
  if (alg_ == "EdDSA") {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    EVP_PKEY_get_raw_public_key(key_->pkey, raw, &len);
    return R"({"kty":"OKP","crv":"Ed25519","x":")" +
           base64url(std::string_view(reinterpret_cast<char*>(raw), len)) + "\"" + kid + "}";
  }
  BIGNUM* x = nullptr;
  BIGNUM* y = nullptr;
  EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x);
  EVP_PKEY_get_bn_param(key_->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y);
  const char* crv = alg_ == "ES256" ? "P-256" : alg_ == "ES384" ? "P-384" : "P-521";
  std::string out = R"({"kty":"EC","crv":")" + std::string(crv) + R"(","x":")" +
                    base64url(bn_bytes(x, ec_size(alg_))) + R"(","y":")" +
                    base64url(bn_bytes(y, ec_size(alg_))) + "\"" + kid + "}";
  BN_free(x);
  BN_free(y);
  return out;
}

std::string JwtSigner::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key_->pkey);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

}  // namespace portcullis::testing
