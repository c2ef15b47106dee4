#include "bots/header_fingerprint.h"

#include "core/word_hash.h"

namespace portcullis::bots {
namespace {

// Equality with a lowercase literal, ignoring ASCII case in `name`: the literal's letters match
// either case, its other bytes ('-') only themselves.
inline bool is(std::string_view name, std::string_view lower) noexcept {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char l = lower[i];
    const char c = name[i];
    if (c != l && !(l >= 'a' && l <= 'z' && (c | 0x20) == l)) return false;
  }
  return true;
}

// What a header name means to the fingerprint: a trait it sets, and whether it is hashed.
struct NameRole {
  std::uint8_t trait = 0;
  bool hashed = true;
};

// Names that come and go with the request (cookie, referer, authorization, content-length,
// content-type) are not hashed: they say what this request carries, not which stack sent it.
// Dispatching on the length first makes most names cost one comparison.
NameRole role_of(std::string_view name) noexcept {
  switch (name.size()) {
    case 6:
      if (is(name, "accept")) return {kTraitAccept, true};
      if (is(name, "cookie")) return {kTraitCookie, false};
      break;
    case 7:
      if (is(name, "referer")) return {kTraitReferer, false};
      break;
    case 9:
      if (is(name, "sec-ch-ua")) return {kTraitClientHints, true};
      break;
    case 10:
      if (is(name, "user-agent")) return {kTraitUserAgent, true};
      break;
    case 12:
      if (is(name, "content-type")) return {0, false};
      break;
    case 13:
      if (is(name, "authorization")) return {0, false};
      break;
    case 14:
      if (is(name, "content-length")) return {0, false};
      break;
    case 15:
      if (is(name, "accept-language")) return {kTraitAcceptLanguage, true};
      if (is(name, "accept-encoding")) return {kTraitAcceptEncoding, true};
      break;
    default:
      break;
  }
  if (name.size() > 10 && is(name.substr(0, 10), "sec-fetch-")) return {kTraitSecFetch, true};
  return {};
}

constexpr std::uint64_t kOnes = 0x0101010101010101ull;

// Whether any of the 8 bytes of `w` is an ASCII capital letter (SWAR: bytes 0x41..0x5a).
inline bool has_capital(std::uint64_t w) noexcept {
  const std::uint64_t ascii = ~w & (kOnes * 0x80);
  const std::uint64_t above = (w & (kOnes * 0x7f)) + kOnes * (0x80 - 'A');
  const std::uint64_t below = (w & (kOnes * 0x7f)) + kOnes * (0x80 - 'Z' - 1);
  return (above & ~below & ascii) != 0;
}

}  // namespace

HeaderFingerprint header_fingerprint(std::span<const HeaderField> headers, bool http2) noexcept {
  HeaderFingerprint fp;
  std::uint64_t hash = kWordHashSeed;
  unsigned count = 0;
  bool any_capital = false;
  bool all_start_capital = true;
  for (const HeaderField& h : headers) {
    std::string_view name = h.name;
    if (name.empty() || name[0] == ':') continue;
    const NameRole role = role_of(name);
    fp.traits |= role.trait;
    if (!role.hashed) continue;
    ++count;
    all_start_capital &= name[0] >= 'A' && name[0] <= 'Z';
    hash = hash_words(hash, name, [&](std::uint64_t w) { any_capital |= has_capital(w); });
  }
  static constexpr char kHex[] = "0123456789abcdef";
  auto& t = fp.text;
  t[0] = 'h';
  t[1] = http2 ? '2' : '1';
  t[2] = !any_capital ? 'l' : all_start_capital ? 't' : 'm';
  if (count > 99) count = 99;
  t[3] = static_cast<char>('0' + count / 10);
  t[4] = static_cast<char>('0' + count % 10);
  t[5] = kHex[fp.traits >> 4];
  t[6] = kHex[fp.traits & 0xf];
  t[7] = '_';
  for (int i = 0; i < 12; ++i) t[8 + i] = kHex[(hash >> (60 - 4 * i)) & 0xf];
  return fp;
}

}  // namespace portcullis::bots
