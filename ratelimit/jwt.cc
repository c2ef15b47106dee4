#include "ratelimit/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace portcullis::ratelimit {
namespace {

constexpr std::string_view kAlgorithms[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                            "RS512", "PS256", "PS384", "PS512", "ES256",
                                            "ES384", "ES512", "EdDSA"};

// The 6-bit value of each base64url character; -1 for any other byte.
constexpr std::array<std::int8_t, 256> kBase64url = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return t;
}();

int base64url_value(char c) noexcept { return kBase64url[static_cast<unsigned char>(c)]; }

// Skips JSON whitespace from `i`.
std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  return i;
}

// The end of the string whose opening quote is at `i` (just past its closing quote), or npos.
std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// The end of the value starting at `i`, or npos. Nested values are skipped by counting
// brackets outside strings; no recursion, so no depth limit is needed.
std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
  if (i >= s.size()) return std::string_view::npos;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    std::size_t depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      ++i;
    }
    return std::string_view::npos;
  }
  std::size_t start = i;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r') {
    ++i;
  }
  return i == start ? std::string_view::npos : i;
}

bool member_number(std::string_view json, std::string_view name, std::int64_t& out) noexcept {
  std::string_view text;
  if (!json_member(json, name, text)) return false;
  // NumericDate may have a fraction; the whole seconds decide.
  text = text.substr(0, text.find('.'));
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Whether `aud` (a string, or an array of strings) names `audience`.
bool audience_matches(std::string_view json, std::string_view audience) noexcept {
  std::string_view aud;
  if (!json_member(json, "aud", aud)) return false;
  if (aud.empty() || aud.front() != '[') return aud == audience;
  for (std::size_t i = skip_ws(aud, 1); i < aud.size() && aud[i] == '"';) {
    std::size_t end = skip_string(aud, i);
    if (end == std::string_view::npos) return false;
    if (aud.substr(i + 1, end - i - 2) == audience) return true;
    i = skip_ws(aud, end);
    if (i < aud.size() && aud[i] == ',') i = skip_ws(aud, i + 1);
  }
  return false;
}

const EVP_MD* digest_of(std::string_view alg) noexcept {
  std::string_view bits = alg.substr(2);
  if (bits == "256") return EVP_sha256();
  if (bits == "384") return EVP_sha384();
  if (bits == "512") return EVP_sha512();
  return nullptr;
}

std::uint64_t next_generation() {
  static std::atomic<std::uint64_t> counter{0};
  return ++counter;
}

// The last tokens whose signatures this thread checked, by verifier generation.
struct CachedCheck {
  std::uint64_t generation = 0;
  std::string token;
  JwtStatus status = JwtStatus::kMalformed;
};
constexpr std::size_t kCacheSize = 16;
thread_local std::array<CachedCheck, kCacheSize> t_checked;
thread_local std::size_t t_next = 0;

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::string> base64url_bytes(const nlohmann::json& jwk, const char* member) {
  auto it = jwk.find(member);
  if (it == jwk.end() || !it->is_string()) return Error{std::string("missing '") + member + "'"};
  const std::string& text = it->get_ref<const std::string&>();
  std::string out(text.size(), '\0');
  long n = base64url_decode(text, out);
  if (n <= 0) return Error{std::string("'") + member + "' is not base64url"};
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

struct JwtVerifier::Key {
  enum class Type : std::uint8_t { kHmac, kRsa, kEc, kEd25519 } type = Type::kHmac;
  std::string kid;
  std::string alg;  // the JWK's "alg": only that one; empty: any the type allows
  std::string secret;
  EVP_PKEY* pkey = nullptr;
  std::size_t ec_size = 0;  // bytes of r and of s in an ES signature

  ~Key() { EVP_PKEY_free(pkey); }

  bool allows(std::string_view token_alg) const noexcept {
    if (!alg.empty() && alg != token_alg) return false;
    switch (type) {
      case Type::kHmac:
        return token_alg.substr(0, 2) == "HS";
      case Type::kRsa:
        return token_alg.substr(0, 2) == "RS" || token_alg.substr(0, 2) == "PS";
      case Type::kEc:
        return (token_alg == "ES256" && ec_size == 32) || (token_alg == "ES384" && ec_size == 48) ||
               (token_alg == "ES512" && ec_size == 66);
      case Type::kEd25519:
        return token_alg == "EdDSA";
    }
    return false;
  }
};

namespace {

Result<std::unique_ptr<JwtVerifier::Key>> key_from_pkey(EVP_PKEY* pkey) {
  auto key = std::make_unique<JwtVerifier::Key>();
  key->pkey = pkey;
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
      key->type = JwtVerifier::Key::Type::kRsa;
      if (EVP_PKEY_get_bits(pkey) < 2048) return Error{"RSA keys must have at least 2048 bits"};
      break;
    case EVP_PKEY_EC: {
      key->type = JwtVerifier::Key::Type::kEc;
      key->ec_size = static_cast<std::size_t>((EVP_PKEY_get_bits(pkey) + 7) / 8);
      if (key->ec_size != 32 && key->ec_size != 48 && key->ec_size != 66) {
        return Error{"EC keys must be on P-256, P-384 or P-521"};
      }
      break;
    }
    case EVP_PKEY_ED25519:
      key->type = JwtVerifier::Key::Type::kEd25519;
      break;
    default:
      return Error{"unsupported key type (expected RSA, EC or Ed25519)"};
  }
  return key;
}

Result<std::unique_ptr<JwtVerifier::Key>> key_from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return Error{"a key is not an object"};
  std::string kty = jwk.value("kty", "");
  std::unique_ptr<JwtVerifier::Key> key;
  if (kty == "oct") {
    auto k = base64url_bytes(jwk, "k");
    if (!k) return k.error();
    key = std::make_unique<JwtVerifier::Key>();
    key->secret = std::move(k.value());
  } else if (kty == "RSA" || kty == "EC" || kty == "OKP") {
    EVP_PKEY* pkey = nullptr;
    if (kty == "OKP") {
      if (jwk.value("crv", "") != "Ed25519") return Error{"OKP keys must be Ed25519"};
      auto x = base64url_bytes(jwk, "x");
      if (!x) return x.error();
      pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(x.value().data()),
                                         x.value().size());
    } else {
      OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
      BIGNUM* n = nullptr;
      BIGNUM* e = nullptr;
      std::string point;
      const char* type = kty == "RSA" ? "RSA" : "EC";
      bool ok = bld != nullptr;
      if (kty == "RSA") {
        auto nb = base64url_bytes(jwk, "n");
        if (!nb) {
          OSSL_PARAM_BLD_free(bld);
          return nb.error();
        }
        auto eb = base64url_bytes(jwk, "e");
        if (!eb) {
          OSSL_PARAM_BLD_free(bld);
          return eb.error();
        }
        n = BN_bin2bn(reinterpret_cast<const unsigned char*>(nb.value().data()),
                      static_cast<int>(nb.value().size()), nullptr);
        e = BN_bin2bn(reinterpret_cast<const unsigned char*>(eb.value().data()),
                      static_cast<int>(eb.value().size()), nullptr);
        ok = ok && n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
      } else {
        std::string crv = jwk.value("crv", "");
        const char* group = crv == "P-256"   ? "prime256v1"
                            : crv == "P-384" ? "secp384r1"
                            : crv == "P-521" ? "secp521r1"
                                             : nullptr;
        if (group == nullptr) {
          OSSL_PARAM_BLD_free(bld);
          return Error{"EC keys must be on P-256, P-384 or P-521"};
        }
        auto x = base64url_bytes(jwk, "x");
        auto y = base64url_bytes(jwk, "y");
        if (!x || !y) {
          OSSL_PARAM_BLD_free(bld);
          return x ? y.error() : x.error();
        }
        point = '\x04' + x.value() + y.value();
        ok = ok && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
             OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                              point.size());
      }
      OSSL_PARAM* params = ok ? OSSL_PARAM_BLD_to_param(bld) : nullptr;
      EVP_PKEY_CTX* ctx = params ? EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr) : nullptr;
      if (ctx && EVP_PKEY_fromdata_init(ctx) > 0) {
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
      }
      EVP_PKEY_CTX_free(ctx);
      OSSL_PARAM_free(params);
      OSSL_PARAM_BLD_free(bld);
      BN_free(n);
      BN_free(e);
    }
    if (pkey == nullptr) return Error{"the " + kty + " key's parameters are not a valid key"};
    auto made = key_from_pkey(pkey);
    if (!made) return made.error();
    key = std::move(made.value());
  } else {
    return Error{"unsupported kty '" + kty + "' (expected RSA, EC, OKP or oct)"};
  }
  key->kid = jwk.value("kid", "");
  key->alg = jwk.value("alg", "");
  return key;
}

}  // namespace

bool split_jwt(std::string_view token, JwtParts& parts) noexcept {
  std::size_t first = token.find('.');
  if (first == std::string_view::npos) return false;
  std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return false;
  parts.header = token.substr(0, first);
  parts.payload = token.substr(first + 1, second - first - 1);
  parts.signature = token.substr(second + 1);
  parts.signing_input = token.substr(0, second);
  return !parts.header.empty() && !parts.payload.empty();
}

std::string_view bearer_token(std::string_view authorization) noexcept {
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != kScheme[i]) return {};
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  return token;
}

long base64url_decode(std::string_view in, std::span<char> out) noexcept {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  if (in.size() % 4 == 1) return -1;
  std::size_t n = 0;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = base64url_value(c);
    if (v < 0) return -1;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == out.size()) return -1;
      out[n++] = static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return static_cast<long>(n);
}

bool json_member(std::string_view json, std::string_view name, std::string_view& value) noexcept {
  std::size_t i = skip_ws(json, 0);
  if (i >= json.size() || json[i] != '{') return false;
  i = skip_ws(json, i + 1);
  while (i < json.size() && json[i] == '"') {
    std::size_t key_end = skip_string(json, i);
    if (key_end == std::string_view::npos) return false;
    std::string_view key = json.substr(i + 1, key_end - i - 2);
    i = skip_ws(json, key_end);
    if (i >= json.size() || json[i] != ':') return false;
    i = skip_ws(json, i + 1);
    std::size_t end = skip_value(json, i);
    if (end == std::string_view::npos) return false;
    if (key == name) {
      value = json[i] == '"' ? json.substr(i + 1, end - i - 2) : json.substr(i, end - i);
      return true;
    }
    i = skip_ws(json, end);
    if (i < json.size() && json[i] == ',') i = skip_ws(json, i + 1);
  }
  return false;
}

namespace {

bool json_claim_at(std::string_view json, std::string_view path, std::string_view& value,
                   int depth) noexcept {
  if (json_member(json, path, value)) return true;
  if (depth >= 8) return false;
  for (std::size_t dot = path.find('.'); dot != std::string_view::npos;
       dot = path.find('.', dot + 1)) {
    std::string_view inner;
    if (!json_member(json, path.substr(0, dot), inner) || inner.empty() || inner[0] != '{') {
      continue;
    }
    if (json_claim_at(inner, path.substr(dot + 1), value, depth + 1)) return true;
  }
  return false;
}

}  // namespace

bool json_claim(std::string_view json, std::string_view path, std::string_view& value) noexcept {
  return json_claim_at(json, path, value, 0);
}

std::string_view to_string(JwtStatus status) noexcept {
  switch (status) {
    case JwtStatus::kValid:
      return "valid";
    case JwtStatus::kMalformed:
      return "malformed";
    case JwtStatus::kAlgorithm:
      return "algorithm not accepted";
    case JwtStatus::kUnknownKey:
      return "unknown key";
    case JwtStatus::kBadSignature:
      return "bad signature";
    case JwtStatus::kExpired:
      return "expired";
    case JwtStatus::kNotYetValid:
      return "not yet valid";
    case JwtStatus::kWrongIssuer:
      return "wrong issuer";
    case JwtStatus::kWrongAudience:
      return "wrong audience";
  }
  return "malformed";
}

Result<std::shared_ptr<const JwtVerifier>> JwtVerifier::make(const JwtOptions& options) {
  std::shared_ptr<JwtVerifier> v(new JwtVerifier());
  v->options_ = options;
  v->generation_ = next_generation();
  for (const std::string& alg : options.algorithms) {
    if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), alg) == std::end(kAlgorithms)) {
      return Error{"unknown algorithm '" + alg +
                   "' (expected HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 or "
                   "EdDSA)"};
    }
  }
  if (!options.secret.empty()) {
    auto key = std::make_unique<Key>();
    key->secret = options.secret;
    v->keys_.push_back(std::move(key));
  }
  if (!options.public_key_file.empty()) {
    auto text = read_file(options.public_key_file);
    if (!text) return text.error();
    BIO* bio = BIO_new_mem_buf(text.value().data(), static_cast<int>(text.value().size()));
    EVP_PKEY* pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    if (pkey == nullptr) return Error{options.public_key_file + ": not a PEM public key"};
    auto key = key_from_pkey(pkey);
    if (!key) return Error{options.public_key_file + ": " + key.error().message};
    v->keys_.push_back(std::move(key.value()));
  }
  if (!options.jwks_file.empty()) {
    auto text = read_file(options.jwks_file);
    if (!text) return text.error();
    nlohmann::json doc = nlohmann::json::parse(text.value(), nullptr, false);
    if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
      return Error{options.jwks_file + ": not a JWKS document (an object with a 'keys' array)"};
    }
    for (std::size_t i = 0; i < doc["keys"].size(); ++i) {
      const nlohmann::json& jwk = doc["keys"][i];
      // Encryption keys are not for checking signatures.
      if (jwk.is_object() && jwk.value("use", "sig") != "sig") continue;
      auto key = key_from_jwk(jwk);
      if (!key) {
        return Error{options.jwks_file + ": keys[" + std::to_string(i) +
                     "]: " + key.error().message};
      }
      v->keys_.push_back(std::move(key.value()));
    }
  }
  if (v->keys_.empty()) return Error{"no key to check signatures with"};
  return std::shared_ptr<const JwtVerifier>(std::move(v));
}

JwtVerifier::~JwtVerifier() = default;

JwtStatus JwtVerifier::check_signature(const JwtParts& parts) const noexcept {
  std::array<char, 512> header_buf;
  long header_len = base64url_decode(parts.header, header_buf);
  if (header_len <= 0) return JwtStatus::kMalformed;
  std::string_view header(header_buf.data(), static_cast<std::size_t>(header_len));
  std::string_view alg, kid;
  if (!json_member(header, "alg", alg)) return JwtStatus::kMalformed;
  json_member(header, "kid", kid);
  if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), alg) == std::end(kAlgorithms))
    return JwtStatus::kAlgorithm;
  if (!options_.algorithms.empty() &&
      std::find(options_.algorithms.begin(), options_.algorithms.end(), alg) ==
          options_.algorithms.end()) {
    return JwtStatus::kAlgorithm;
  }
  std::array<unsigned char, 1024> sig;
  long sig_len =
      base64url_decode(parts.signature, {reinterpret_cast<char*>(sig.data()), sig.size()});
  if (sig_len <= 0) return JwtStatus::kBadSignature;
  bool any_key = false;
  for (const auto& key : keys_) {
    if (!kid.empty() && !key->kid.empty() && key->kid != kid) continue;
    if (!key->allows(alg)) continue;
    any_key = true;
    const auto* data = reinterpret_cast<const unsigned char*>(parts.signing_input.data());
    if (key->type == Key::Type::kHmac) {
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_len = 0;
      if (HMAC(digest_of(alg), key->secret.data(), static_cast<int>(key->secret.size()), data,
               parts.signing_input.size(), mac, &mac_len) != nullptr &&
          mac_len == static_cast<unsigned int>(sig_len) &&
          CRYPTO_memcmp(mac, sig.data(), mac_len) == 0) {
        return JwtStatus::kValid;
      }
      continue;
    }
    // ES signatures are r||s; OpenSSL wants them DER-encoded (at most 139 bytes for P-521).
    std::array<unsigned char, 160> der;
    const unsigned char* signature = sig.data();
    std::size_t signature_len = static_cast<std::size_t>(sig_len);
    if (key->type == Key::Type::kEc) {
      if (signature_len != 2 * key->ec_size) continue;
      ECDSA_SIG* es = ECDSA_SIG_new();
      BIGNUM* r = BN_bin2bn(sig.data(), static_cast<int>(key->ec_size), nullptr);
      BIGNUM* s = BN_bin2bn(sig.data() + key->ec_size, static_cast<int>(key->ec_size), nullptr);
      if (es == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(es, r, s) != 1) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        continue;
      }
      unsigned char* out = der.data();
      int len = i2d_ECDSA_SIG(es, &out);
      ECDSA_SIG_free(es);
      if (len <= 0) continue;
      signature = der.data();
      signature_len = static_cast<std::size_t>(len);
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX* pctx = nullptr;
    const EVP_MD* md = key->type == Key::Type::kEd25519 ? nullptr : digest_of(alg);
    bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, &pctx, md, nullptr, key->pkey) == 1;
    if (ok && alg.substr(0, 2) == "PS") {
      ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    }
    ok = ok &&
         EVP_DigestVerify(ctx, signature, signature_len, data, parts.signing_input.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok) return JwtStatus::kValid;
  }
  return any_key ? JwtStatus::kBadSignature : JwtStatus::kUnknownKey;
}

JwtStatus JwtVerifier::verify(std::string_view token, std::string_view payload,
                              std::int64_t now_s) const noexcept {
  JwtStatus status = JwtStatus::kMalformed;
  bool cached = false;
  for (const CachedCheck& c : t_checked) {
    if (c.generation == generation_ && c.token == token) {
      status = c.status;
      cached = true;
      break;
    }
  }
  if (!cached) {
    // Only a token not checked before is split again: the remembered ones were split then.
    JwtParts parts;
    if (!split_jwt(token, parts)) return JwtStatus::kMalformed;
    status = check_signature(parts);
    CachedCheck& slot = t_checked[t_next++ % kCacheSize];
    slot.generation = generation_;
    try {
      slot.token.assign(token);
      slot.status = status;
    } catch (...) {
      slot.generation = 0;  // out of memory: just not remembered
    }
  }
  if (status != JwtStatus::kValid) return status;
  std::int64_t t = 0;
  if (member_number(payload, "exp", t) && now_s > t + options_.leeway_s) return JwtStatus::kExpired;
  if (member_number(payload, "nbf", t) && now_s + options_.leeway_s < t)
    return JwtStatus::kNotYetValid;
  if (!options_.issuer.empty()) {
    std::string_view iss;
    if (!json_member(payload, "iss", iss) || iss != options_.issuer) return JwtStatus::kWrongIssuer;
  }
  if (!options_.audience.empty() && !audience_matches(payload, options_.audience))
    return JwtStatus::kWrongAudience;
  return JwtStatus::kValid;
}

}  // namespace portcullis::ratelimit
