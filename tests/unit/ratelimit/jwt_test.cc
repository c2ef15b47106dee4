// JWT checks for limit keys: the parsing helpers, every algorithm against keys from a JWKS or a
// PEM file, the claims that make a token invalid, and the ways a forged token is refused.
#include "ratelimit/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/support/jwt_signer.h"

namespace portcullis::ratelimit {
namespace {

using portcullis::testing::base64url;
using portcullis::testing::JwtSigner;

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() /
              ("portcullis-jwt-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path.string();
}

std::string jwks(std::initializer_list<const JwtSigner*> signers) {
  std::string out = R"({"keys":[)";
  bool first = true;
  for (const JwtSigner* s : signers) {
    if (!first) out += ",";
    out += s->jwk();
    first = false;
  }
  return out + "]}";
}

std::shared_ptr<const JwtVerifier> verifier_for(std::initializer_list<const JwtSigner*> signers,
                                                JwtOptions options = {}) {
  options.jwks_file = write_temp("jwks.json", jwks(signers));
  auto v = JwtVerifier::make(options);
  EXPECT_TRUE(v.ok()) << (v.ok() ? "" : v.error().message);
  return v.ok() ? v.value() : nullptr;
}

// Checks `token` as the stage does: its payload decoded first.
JwtStatus check(const JwtVerifier& v, const std::string& token, std::int64_t at = now_s()) {
  JwtParts parts;
  if (!split_jwt(token, parts)) return JwtStatus::kMalformed;
  std::string payload(parts.payload.size(), '\0');
  long n = base64url_decode(parts.payload, payload);
  if (n < 0) return JwtStatus::kMalformed;
  payload.resize(static_cast<std::size_t>(n));
  return v.verify(token, payload, at);
}

TEST(JwtTest, Base64urlDecodesWhatAnEncoderWrote) {
  std::mt19937 rng(7);
  for (int len = 0; len < 70; ++len) {
    std::string bytes(static_cast<std::size_t>(len), '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string out(bytes.size() + 2, '\0');
    long n = base64url_decode(base64url(bytes), out);
    ASSERT_EQ(n, len);
    EXPECT_EQ(out.substr(0, static_cast<std::size_t>(n)), bytes);
  }
  char out[8];
  EXPECT_EQ(base64url_decode("ab+/", out), -1);             // standard base64, not base64url
  EXPECT_EQ(base64url_decode("abcde", out), -1);            // an impossible length
  EXPECT_EQ(base64url_decode("aGVsbG8gd29ybGQ", out), -1);  // does not fit
  EXPECT_EQ(base64url_decode("aGk=", out), 2);              // padding accepted
}

TEST(JwtTest, JsonMemberFindsTopLevelMembersOnly) {
  const std::string json =
      R"( { "nested": {"sub": "inner", "a": [1, {"sub": 2}]}, "esc": "a\"b", "sub" : "alice",)"
      R"( "n": 42, "t": true, "arr": ["x", "y"] } )";
  std::string_view v;
  ASSERT_TRUE(json_member(json, "sub", v));
  EXPECT_EQ(v, "alice");
  ASSERT_TRUE(json_member(json, "n", v));
  EXPECT_EQ(v, "42");
  ASSERT_TRUE(json_member(json, "t", v));
  EXPECT_EQ(v, "true");
  ASSERT_TRUE(json_member(json, "esc", v));
  EXPECT_EQ(v, R"(a\"b)");
  ASSERT_TRUE(json_member(json, "arr", v));
  EXPECT_EQ(v, R"(["x", "y"])");
  EXPECT_FALSE(json_member(json, "a", v));  // only inside "nested"
  EXPECT_FALSE(json_member(R"(["sub", "x"])", "sub", v));
  EXPECT_FALSE(json_member(R"({"sub": "unterminated)", "sub", v));
  EXPECT_FALSE(json_member(R"({"x": {"sub": 1}, )", "sub", v));
  EXPECT_FALSE(json_member("", "sub", v));
}

TEST(JwtTest, JsonClaimFollowsDottedPathsIntoObjects) {
  const std::string json =
      R"({"org": {"id": "acme", "team": {"name": "red"}}, "https://example.com/tenant": "t1",)"
      R"( "a.b": "dotted name", "a": {"b": "nested"}, "roles": ["x"], "s": "org.id"})";
  std::string_view v;
  ASSERT_TRUE(json_claim(json, "org.id", v));
  EXPECT_EQ(v, "acme");
  ASSERT_TRUE(json_claim(json, "org.team.name", v));
  EXPECT_EQ(v, "red");
  ASSERT_TRUE(json_claim(json, "org.team", v));
  EXPECT_EQ(v, R"({"name": "red"})");
  ASSERT_TRUE(json_claim(json, "https://example.com/tenant", v)) << "a name with dots";
  EXPECT_EQ(v, "t1");
  ASSERT_TRUE(json_claim(json, "a.b", v));
  EXPECT_EQ(v, "dotted name") << "the member named so comes first";
  EXPECT_FALSE(json_claim(json, "org.missing", v));
  EXPECT_FALSE(json_claim(json, "roles.0", v)) << "arrays are values, not paths";
  EXPECT_FALSE(json_claim(json, "s.x", v)) << "a string is not an object";
  EXPECT_FALSE(json_claim(json, "org.", v));
  std::string deep = "1";
  for (int i = 0; i < 12; ++i) deep = R"({"k": )" + deep + "}";
  EXPECT_FALSE(json_claim(deep, "k.k.k.k.k.k.k.k.k.k.k.k", v)) << "deeper than 8";
  EXPECT_TRUE(json_claim(deep, "k.k.k.k.k.k.k.k.k", v));
}

TEST(JwtTest, BearerTokenTakesTheTokenOfTheBearerScheme) {
  EXPECT_EQ(bearer_token("Bearer abc.def.ghi"), "abc.def.ghi");
  EXPECT_EQ(bearer_token("bearer   abc.def.ghi  "), "abc.def.ghi");
  EXPECT_EQ(bearer_token("Basic dXNlcjpwYXNz"), "");
  EXPECT_EQ(bearer_token("Bearer"), "");
  JwtParts parts;
  EXPECT_TRUE(split_jwt("eyJh.eyJz.c2ln", parts));
  EXPECT_EQ(parts.signing_input, "eyJh.eyJz");
  EXPECT_FALSE(split_jwt("eyJh.eyJz", parts));
  EXPECT_FALSE(split_jwt("eyJh.eyJz.c2ln.extra", parts));
  EXPECT_FALSE(split_jwt(".eyJz.c2ln", parts));
}

class JwtAlgorithmTest : public ::testing::TestWithParam<const char*> {};

TEST_P(JwtAlgorithmTest, VerifiesItsOwnTokensAndRefusesAlteredOnes) {
  const std::string alg = GetParam();
  JwtSigner signer(alg, "k1", "a shared secret of at least 32 chars for HMAC");
  JwtSigner other(alg, "k1", "another secret, also of at least 32 characters");
  auto v = verifier_for({&signer});
  ASSERT_TRUE(v);
  const std::string token =
      signer.sign(R"({"sub":"alice","exp":)" + std::to_string(now_s() + 600) + "}");
  EXPECT_EQ(check(*v, token), JwtStatus::kValid);

  // The payload changed after signing.
  JwtParts parts;
  ASSERT_TRUE(split_jwt(token, parts));
  std::string forged = std::string(parts.header) + "." + base64url(R"({"sub":"mallory"})") + "." +
                       std::string(parts.signature);
  EXPECT_EQ(check(*v, forged), JwtStatus::kBadSignature);
  // Signed by another key with the same kid.
  EXPECT_EQ(check(*v, other.sign(R"({"sub":"alice"})")), JwtStatus::kBadSignature);
  // Not base64url.
  std::string spaced = token;
  spaced[3] = ' ';
  EXPECT_EQ(check(*v, spaced), JwtStatus::kMalformed);
  spaced = token;
  spaced.back() = '+';
  EXPECT_EQ(check(*v, spaced), JwtStatus::kBadSignature);
  // A signature cut short.
  std::string cut = token.substr(0, token.size() - 4);
  EXPECT_NE(check(*v, cut), JwtStatus::kValid);
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtAlgorithmTest,
                         ::testing::Values("HS256", "HS384", "HS512", "RS256", "RS512", "PS256",
                                           "PS384", "ES256", "ES384", "ES512", "EdDSA"));

TEST(JwtTest, ATokenMustUseAnAlgorithmItsKeyIsFor) {
  JwtSigner rsa("RS256", "rsa");
  auto v = verifier_for({&rsa});
  ASSERT_TRUE(v);
  // The classic confusion: HS256 "signed" with the RSA public key as the HMAC secret.
  JwtSigner confused("HS256", "rsa", rsa.public_pem());
  EXPECT_EQ(check(*v, confused.sign(R"({"sub":"mallory"})")), JwtStatus::kUnknownKey);
  // alg none, with and without a signature.
  const std::string none_header = base64url(R"({"alg":"none","typ":"JWT"})");
  EXPECT_EQ(check(*v, none_header + "." + base64url(R"({"sub":"x"})") + ".c2ln"),
            JwtStatus::kAlgorithm);
  EXPECT_EQ(check(*v, none_header + "." + base64url(R"({"sub":"x"})") + "."),
            JwtStatus::kAlgorithm);
  // An accepted-algorithms list narrower than the keys.
  JwtOptions only_es;
  only_es.algorithms = {"ES256"};
  auto narrow = verifier_for({&rsa}, only_es);
  EXPECT_EQ(check(*narrow, rsa.sign(R"({"sub":"alice"})")), JwtStatus::kAlgorithm);
  // A JWK's own alg binds it.
  std::string jwk = rsa.jwk();
  jwk.insert(1, R"("alg":"PS256",)");
  JwtOptions options;
  options.jwks_file = write_temp("alg.json", R"({"keys":[)" + jwk + "]}");
  auto bound = JwtVerifier::make(options);
  ASSERT_TRUE(bound.ok());
  EXPECT_EQ(check(*bound.value(), rsa.sign(R"({"sub":"alice"})")), JwtStatus::kUnknownKey);
}

TEST(JwtTest, TheKidPicksTheKey) {
  JwtSigner a("ES256", "a");
  JwtSigner b("ES256", "b");
  auto v = verifier_for({&a, &b});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->key_count(), 2u);
  EXPECT_EQ(check(*v, a.sign(R"({"sub":"1"})")), JwtStatus::kValid);
  EXPECT_EQ(check(*v, b.sign(R"({"sub":"1"})")), JwtStatus::kValid);
  JwtSigner c("ES256", "c");
  EXPECT_EQ(check(*v, c.sign(R"({"sub":"1"})")), JwtStatus::kUnknownKey);
}

TEST(JwtTest, ExpiryNotBeforeIssuerAndAudience) {
  JwtSigner s("HS256", "", "a shared secret of at least 32 chars for HMAC");
  JwtOptions options;
  options.issuer = "https://issuer.example";
  options.audience = "orders";
  options.leeway_s = 30;
  auto v = verifier_for({&s}, options);
  ASSERT_TRUE(v);
  const std::int64_t t = 1'900'000'000;
  auto token = [&](const std::string& claims) {
    return s.sign(R"({"iss":"https://issuer.example","aud":["billing","orders"])" + claims + "}");
  };
  EXPECT_EQ(check(*v, token(R"(,"exp":1900000100)"), t), JwtStatus::kValid);
  EXPECT_EQ(check(*v, token(R"(,"exp":1899999980)"), t), JwtStatus::kValid);  // within leeway
  EXPECT_EQ(check(*v, token(R"(,"exp":1899999960)"), t), JwtStatus::kExpired);
  EXPECT_EQ(check(*v, token(R"(,"exp":1899999960.5)"), t), JwtStatus::kExpired);
  EXPECT_EQ(check(*v, token(R"(,"nbf":1900000100)"), t), JwtStatus::kNotYetValid);
  EXPECT_EQ(check(*v, token(R"(,"nbf":1900000020)"), t), JwtStatus::kValid);
  EXPECT_EQ(check(*v, s.sign(R"({"iss":"https://other.example","aud":"orders"})"), t),
            JwtStatus::kWrongIssuer);
  EXPECT_EQ(check(*v, s.sign(R"({"iss":"https://issuer.example","aud":"orders"})"), t),
            JwtStatus::kValid);
  EXPECT_EQ(check(*v, s.sign(R"({"iss":"https://issuer.example","aud":"billing"})"), t),
            JwtStatus::kWrongAudience);
  EXPECT_EQ(check(*v, s.sign(R"({"iss":"https://issuer.example"})"), t), JwtStatus::kWrongAudience);
}

TEST(JwtTest, APemPublicKeyChecksTokens) {
  for (const char* alg : {"RS256", "ES384", "EdDSA"}) {
    JwtSigner s(alg, "");
    JwtOptions options;
    options.public_key_file = write_temp(std::string(alg) + ".pem", s.public_pem());
    auto v = JwtVerifier::make(options);
    ASSERT_TRUE(v.ok()) << alg << ": " << v.error().message;
    EXPECT_EQ(check(*v.value(), s.sign(R"({"sub":"alice"})")), JwtStatus::kValid) << alg;
  }
}

TEST(JwtTest, ACachedResultBelongsToItsVerifier) {
  JwtSigner a("RS256", "k");
  JwtSigner b("RS256", "k");
  auto va = verifier_for({&a});
  auto vb = verifier_for({&b});
  const std::string token = a.sign(R"({"sub":"alice"})");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(check(*va, token), JwtStatus::kValid);
    EXPECT_EQ(check(*vb, token), JwtStatus::kBadSignature);
  }
}

TEST(JwtTest, BadKeyMaterialIsNamed) {
  auto fails = [](const std::string& jwks_text) {
    JwtOptions options;
    options.jwks_file = write_temp("bad.json", jwks_text);
    auto v = JwtVerifier::make(options);
    return v.ok() ? std::string("accepted") : v.error().message;
  };
  EXPECT_NE(fails("not json").find("not a JWKS document"), std::string::npos);
  EXPECT_NE(fails(R"({"keys":[{"kty":"XYZ"}]})").find("keys[0]: unsupported kty 'XYZ'"),
            std::string::npos);
  EXPECT_NE(fails(R"({"keys":[{"kty":"RSA","n":"AQAB"}]})").find("missing 'e'"), std::string::npos);
  EXPECT_NE(fails(R"({"keys":[{"kty":"EC","crv":"P-256","x":"AQAB","y":"AQAB"}]})")
                .find("not a valid key"),
            std::string::npos);
  EXPECT_NE(fails(R"({"keys":[]})").find("no key"), std::string::npos);
  EVP_PKEY* small = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(1024));
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, small);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  JwtOptions options;
  options.public_key_file = write_temp("small.pem", std::string(data, static_cast<size_t>(len)));
  BIO_free(bio);
  EVP_PKEY_free(small);
  auto v = JwtVerifier::make(options);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("at least 2048 bits"), std::string::npos);
  options.public_key_file = "/nonexistent/key.pem";
  EXPECT_FALSE(JwtVerifier::make(options).ok());
  JwtOptions algs;
  algs.secret = "a shared secret of at least 32 chars for HMAC";
  algs.algorithms = {"HS257"};
  auto bad_alg = JwtVerifier::make(algs);
  ASSERT_FALSE(bad_alg.ok());
  EXPECT_NE(bad_alg.error().message.find("unknown algorithm 'HS257'"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::ratelimit
