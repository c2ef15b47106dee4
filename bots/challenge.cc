#include "bots/challenge.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <cstring>

#include "core/csp.h"
#include "core/html_text.h"

namespace portcullis::bots {
namespace {

// The page's script: our own SHA-256 (the Web Crypto API exists only in secure contexts, and a
// synchronous hash is faster for this loop), a search in slices that keep the page responsive,
// and the cookie. It reads the puzzle from the page's data attributes, so its text, and so its
// CSP hash, never change.
constexpr std::string_view kScript = R"JS((function(){
var d=document.documentElement.dataset,P=d.puzzle,Z=+d.difficulty;
var K=[0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
var W=new Int32Array(64);
function sha(s){
var n=s.length,m=((n+8)>>6)+1<<4,w=new Int32Array(m),i,t;
for(i=0;i<n;i++)w[i>>2]|=(s.charCodeAt(i)&255)<<(24-(i&3)*8);
w[n>>2]|=128<<(24-(n&3)*8);w[m-1]=n*8;
var H=[0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
for(var j=0;j<m;j+=16){
for(t=0;t<16;t++)W[t]=w[j+t];
for(t=16;t<64;t++){var x=W[t-15],y=W[t-2];
W[t]=(W[t-16]+((x>>>7|x<<25)^(x>>>18|x<<14)^(x>>>3))+W[t-7]+((y>>>17|y<<15)^(y>>>19|y<<13)^(y>>>10)))|0;}
var a=H[0],b=H[1],c=H[2],e=H[3],f=H[4],g=H[5],h=H[6],k=H[7];
for(t=0;t<64;t++){
var t1=(k+((f>>>6|f<<26)^(f>>>11|f<<21)^(f>>>25|f<<7))+((f&g)^(~f&h))+K[t]+W[t])|0;
var t2=(((a>>>2|a<<30)^(a>>>13|a<<19)^(a>>>22|a<<10))+((a&b)^(a&c)^(b&c)))|0;
k=h;h=g;g=f;f=(e+t1)|0;e=c;c=b;b=a;a=(t1+t2)|0;}
H[0]=H[0]+a|0;H[1]=H[1]+b|0;H[2]=H[2]+c|0;H[3]=H[3]+e|0;
H[4]=H[4]+f|0;H[5]=H[5]+g|0;H[6]=H[6]+h|0;H[7]=H[7]+k|0;}
return H;}
function ok(H){for(var i=0,z=Z;z>0;i++,z-=32){var v=H[i]>>>0;
if(z>=32){if(v!==0)return false;}else if(v>>>(32-z)!==0)return false;}return true;}
var N=0;
function run(){for(var end=N+4000;N<end;N++){if(ok(sha(P+"."+N))){
document.cookie=d.cookie+"="+P+"."+N+"; path=/; max-age="+d.ttl+"; samesite=lax"+
(location.protocol==="https:"?"; secure":"");location.reload();return;}}setTimeout(run,0);}
run();})();)JS";

bool sha256(std::string_view a, std::string_view b, unsigned char (&out)[32]) noexcept {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) return false;
  unsigned int len = 0;
  bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, a.data(), a.size()) == 1 &&
            EVP_DigestUpdate(ctx, b.data(), b.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32;
  EVP_MD_CTX_free(ctx);
  return ok;
}

bool leading_zero_bits(const unsigned char (&digest)[32], unsigned bits) noexcept {
  for (unsigned i = 0; bits > 0; ++i) {
    if (bits >= 8) {
      if (digest[i] != 0) return false;
      bits -= 8;
    } else {
      return (digest[i] >> (8 - bits)) == 0;
    }
  }
  return true;
}

bool all_digits(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

template <typename T>
bool to_number(std::string_view s, T& out) noexcept {
  if (!all_digits(s)) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::string_view to_string(PassStatus status) noexcept {
  switch (status) {
    case PassStatus::kMissing:
      return "missing";
    case PassStatus::kValid:
      return "valid";
    case PassStatus::kExpired:
      return "expired";
    case PassStatus::kInvalid:
      return "invalid";
    case PassStatus::kUnsolved:
      return "unsolved";
  }
  return "invalid";
}

Challenge::Challenge(ChallengeConfig config)
    : config_(std::move(config)), script_hash_(csp_hash(kScript)) {}

std::string_view Challenge::script() noexcept { return kScript; }

bool Challenge::mac(std::string_view secret, std::string_view expiry, std::string_view difficulty,
                    std::string_view client_ip, std::string_view binding,
                    char (&out)[32]) const noexcept {
  // Fields are joined with a separator none of them can hold before the free-form binding.
  std::array<char, 1024> message;
  std::size_t n = 0;
  for (std::string_view part : {std::string_view("v1"), expiry, difficulty, client_ip, binding}) {
    std::size_t take = std::min(part.size(), message.size() - n - 1);
    if (take > 0) std::memcpy(message.data() + n, part.data(), take);
    n += take;
    message[n++] = '|';
    if (n >= message.size() - 1) break;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), n, digest, &len) == nullptr ||
      len < 16) {
    return false;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return true;
}

std::string Challenge::puzzle(std::string_view client_ip, std::string_view binding,
                              std::uint64_t now_s) const {
  std::string expiry = std::to_string(now_s + config_.ttl_s);
  std::string difficulty = std::to_string(config_.difficulty);
  char m[32];
  if (config_.secrets.empty() ||
      !mac(config_.secrets.front(), expiry, difficulty, client_ip, binding, m)) {
    return {};
  }
  return "v1." + expiry + "." + difficulty + "." + std::string(m, sizeof m);
}

std::string_view Challenge::page(Exchange& ex, std::string_view binding,
                                 std::uint64_t now_s) const {
  std::string html;
  html.reserve(kScript.size() + 1024);
  html += "<!doctype html><html lang=\"en\" data-puzzle=\"";
  append_html(html, puzzle(ex.client_ip, binding, now_s));
  html += "\" data-difficulty=\"" + std::to_string(config_.difficulty);
  html += "\" data-ttl=\"" + std::to_string(config_.ttl_s);
  html += "\" data-cookie=\"";
  append_html(html, config_.cookie);
  html +=
      "\"><head><meta charset=\"utf-8\"><meta http-equiv=\"Content-Security-Policy\" "
      "content=\"default-src 'none'; script-src ";
  html += script_hash_;
  html +=
      "\"><meta name=\"robots\" content=\"noindex\"><title>One moment</title></head><body>"
      "<p>Checking your browser before you continue; this takes a second.</p>"
      "<noscript><p>This page needs JavaScript to let you through.</p></noscript><script>";
  html += kScript;
  html += "</script></body></html>\n";
  return ex.keep(html);
}

PassStatus Challenge::check(const Exchange& ex, std::string_view binding,
                            std::uint64_t now_s) const noexcept {
  std::string_view pass;
  bool found = false;
  const std::string_view name = config_.cookie;
  for (const HeaderField& h : ex.headers) {
    if (!iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      std::size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      if (pair.size() > name.size() && pair.substr(0, name.size()) == name &&
          pair[name.size()] == '=') {
        pass = pair.substr(name.size() + 1);
        found = true;
      }
    }
  }
  if (!found) return PassStatus::kMissing;
  return check_pass(pass, ex.client_ip, binding, now_s);
}

PassStatus Challenge::check_pass(std::string_view pass, std::string_view client_ip,
                                 std::string_view binding, std::uint64_t now_s) const noexcept {
  std::string_view parts[5];
  std::string_view rest = pass;
  for (int i = 0; i < 5; ++i) {
    std::size_t dot = i < 4 ? rest.find('.') : std::string_view::npos;
    if (i < 4 && dot == std::string_view::npos) return PassStatus::kInvalid;
    parts[i] = rest.substr(0, dot);
    if (i < 4) rest = rest.substr(dot + 1);
  }
  std::uint64_t expiry = 0;
  unsigned difficulty = 0;
  std::uint64_t nonce = 0;
  if (parts[0] != "v1" || !to_number(parts[1], expiry) || !to_number(parts[2], difficulty) ||
      parts[3].size() != 32 || parts[4].size() > 16 || !to_number(parts[4], nonce)) {
    return PassStatus::kInvalid;
  }
  bool signed_by_us = false;
  for (const std::string& secret : config_.secrets) {
    char m[32];
    if (mac(secret, parts[1], parts[2], client_ip, binding, m) &&
        CRYPTO_memcmp(m, parts[3].data(), sizeof m) == 0) {
      signed_by_us = true;
      break;
    }
  }
  if (!signed_by_us) return PassStatus::kInvalid;
  if (expiry <= now_s) return PassStatus::kExpired;
  if (difficulty < config_.difficulty) return PassStatus::kUnsolved;
  unsigned char digest[32];
  std::string_view puzzle = pass.substr(0, pass.size() - parts[4].size());  // ends with '.'
  if (!sha256(puzzle, parts[4], digest) || !leading_zero_bits(digest, difficulty)) {
    return PassStatus::kUnsolved;
  }
  return PassStatus::kValid;
}

std::int64_t Challenge::solve(std::string_view puzzle, unsigned difficulty, std::int64_t limit) {
  std::string prefix = std::string(puzzle) + ".";
  unsigned char digest[32];
  for (std::int64_t n = 0; n < limit; ++n) {
    std::string nonce = std::to_string(n);
    if (sha256(prefix, nonce, digest) && leading_zero_bits(digest, difficulty)) return n;
  }
  return -1;
}

}  // namespace portcullis::bots
