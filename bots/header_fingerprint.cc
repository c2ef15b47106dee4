#include "bots/header_fingerprint.h"

namespace portcullis::bots {
namespace {

constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ull;

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Names whose presence says what this request carries rather than which stack sent it.
bool varies_per_request(std::string_view name) noexcept {
  return iequals(name, "cookie") || iequals(name, "referer") || iequals(name, "authorization") ||
         iequals(name, "content-length") || iequals(name, "content-type");
}

}  // namespace

HeaderFingerprint header_fingerprint(std::span<const HeaderField> headers, bool http2) noexcept {
  HeaderFingerprint fp;
  std::uint64_t hash = kFnvOffset;
  unsigned count = 0;
  bool any_upper = false;
  bool all_title = true;
  for (const HeaderField& h : headers) {
    std::string_view name = h.name;
    if (name.empty() || name[0] == ':') continue;
    if (iequals(name, "user-agent")) {
      fp.traits |= kTraitUserAgent;
    } else if (iequals(name, "accept")) {
      fp.traits |= kTraitAccept;
    } else if (iequals(name, "accept-language")) {
      fp.traits |= kTraitAcceptLanguage;
    } else if (iequals(name, "accept-encoding")) {
      fp.traits |= kTraitAcceptEncoding;
    } else if (starts_with_nocase(name, "sec-fetch-")) {
      fp.traits |= kTraitSecFetch;
    } else if (iequals(name, "sec-ch-ua")) {
      fp.traits |= kTraitClientHints;
    } else if (iequals(name, "cookie")) {
      fp.traits |= kTraitCookie;
    } else if (iequals(name, "referer")) {
      fp.traits |= kTraitReferer;
    }
    if (varies_per_request(name)) continue;
    ++count;
    bool word_start = true;
    for (char c : name) {
      const bool upper = c >= 'A' && c <= 'Z';
      const bool lower = c >= 'a' && c <= 'z';
      any_upper |= upper;
      if ((word_start && lower) || (!word_start && upper)) all_title = false;
      word_start = c == '-';
      hash = (hash ^ static_cast<unsigned char>(c)) * kFnvPrime;
    }
    hash = (hash ^ static_cast<unsigned char>(',')) * kFnvPrime;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  auto& t = fp.text;
  t[0] = 'h';
  t[1] = http2 ? '2' : '1';
  t[2] = !any_upper ? 'l' : all_title ? 't' : 'm';
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
