#include "bots/ja4.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "bots/digest.h"

namespace portcullis::bots {
namespace {

constexpr std::uint16_t kExtServerName = 0x0000;
constexpr std::uint16_t kExtAlpn = 0x0010;
constexpr std::string_view kEmptyHash = "000000000000";
constexpr char kHex[] = "0123456789abcdef";

std::string_view version_code(std::uint16_t version) {
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0002:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

std::uint16_t ja4_version(const ClientHello& hello) {
  bool found = false;
  std::uint16_t highest = 0;
  for (std::uint16_t v : hello.supported_versions) {
    if (is_grease(v)) continue;
    if (!found || v > highest) highest = v;
    found = true;
  }
  // A supported_versions holding only GREASE says nothing, so the hello's own version counts.
  return found ? highest : hello.legacy_version;
}

void append_count(std::string& out, std::size_t n) {
  n = std::min<std::size_t>(n, 99);
  out += static_cast<char>('0' + n / 10);
  out += static_cast<char>('0' + n % 10);
}

bool is_alphanumeric(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

void append_alpn(std::string& out, std::string_view first) {
  if (first.empty()) {
    out += "00";
    return;
  }
  auto head = static_cast<unsigned char>(first.front());
  auto tail = static_cast<unsigned char>(first.back());
  if (is_alphanumeric(head) && is_alphanumeric(tail)) {
    out += static_cast<char>(head);
    out += static_cast<char>(tail);
  } else {
    // The JA4.md rule since 2026-01: first and last digit of the name in hex. Older reference
    // outputs print "99" here; see tests/unit/bots/ja4_test.cc.
    out += kHex[head >> 4];
    out += kHex[tail & 0x0f];
  }
}

void append_hex_list(std::string& out, const std::vector<std::uint16_t>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    std::uint16_t v = values[i];
    out += kHex[v >> 12];
    out += kHex[(v >> 8) & 0x0f];
    out += kHex[(v >> 4) & 0x0f];
    out += kHex[v & 0x0f];
  }
}

}  // namespace

Ja4 ja4_fingerprint(const ClientHello& hello) noexcept {
  if (!hello.ok()) return {};
  std::vector<std::uint16_t> ciphers;
  ciphers.reserve(hello.cipher_suites.size());
  for (std::uint16_t c : hello.cipher_suites) {
    if (!is_grease(c)) ciphers.push_back(c);
  }
  std::sort(ciphers.begin(), ciphers.end());

  std::vector<std::uint16_t> extensions;
  extensions.reserve(hello.extensions.size());
  std::size_t extension_count = 0;
  bool has_server_name = false;
  for (const Extension& e : hello.extensions) {
    if (is_grease(e.type)) continue;
    ++extension_count;
    if (e.type == kExtServerName) has_server_name = true;
    if (e.type != kExtServerName && e.type != kExtAlpn) extensions.push_back(e.type);
  }
  std::sort(extensions.begin(), extensions.end());

  std::vector<std::uint16_t> signatures;
  signatures.reserve(hello.signature_algorithms.size());
  for (std::uint16_t s : hello.signature_algorithms) {
    if (!is_grease(s)) signatures.push_back(s);
  }

  std::string a = "t";
  a += version_code(ja4_version(hello));
  a += has_server_name ? 'd' : 'i';
  append_count(a, ciphers.size());
  append_count(a, extension_count);
  append_alpn(a, hello.alpn.front());

  std::string b;
  append_hex_list(b, ciphers);
  std::string c;
  append_hex_list(c, extensions);
  if (!signatures.empty()) {
    c += '_';
    append_hex_list(c, signatures);
  }

  std::string b_hash = ciphers.empty() ? std::string(kEmptyHash) : sha256_hex(b, 12);
  std::string c_hash = extensions.empty() ? std::string(kEmptyHash) : sha256_hex(c, 12);
  if (b_hash.empty() || c_hash.empty()) return {};

  Ja4 out;
  out.fingerprint = a + '_' + b_hash + '_' + c_hash;
  out.raw.reserve(a.size() + b.size() + c.size() + 2);
  out.raw += a;
  out.raw += '_';
  out.raw += b;
  out.raw += '_';
  out.raw += c;
  return out;
}

}  // namespace portcullis::bots
