// The header fingerprint: a short, stable id of how a client's HTTP stack writes a request head,
// of this project's own design, the same for HTTP/1.x and HTTP/2:
//
//   h2l12e7_3f9c0a1b22d4
//   'h', the protocol ('1' HTTP/1.x, '2' HTTP/2), the case of the header names ('l' no capital
//   letter in any name, 't' every name starts with a capital, 'm' otherwise), the number of
//   names hashed (2 digits, at most 99), the traits below as 2 hex digits, '_', and the first
//   12 hex digits of a 64-bit hash of the names, as sent, in wire order (each name's bytes in
//   8-byte little-endian words, the last zero-padded, then its length, each word folded in by
//   h = (h ^ w) * 0x9e3779b97f4a7c15, h ^= h >> 29, from h = 0x243f6a8885a308d3).
//
// Names that come and go with the request rather than the client (cookie, referer,
// authorization, content-length, content-type) are left out of the count and the hash, so a
// client keeps its id from its first request to its logged-in POSTs; cookie and referer
// presence are traits instead. Pseudo-headers are left out: the HTTP/2 fingerprint has them.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/exchange.h"

namespace portcullis::bots {

// Presence of the headers every mainstream browser sends (bits of HeaderFingerprint::traits).
enum HeaderTrait : std::uint8_t {
  kTraitUserAgent = 1 << 0,
  kTraitAccept = 1 << 1,
  kTraitAcceptLanguage = 1 << 2,
  kTraitAcceptEncoding = 1 << 3,
  kTraitSecFetch = 1 << 4,     // any sec-fetch-* header (Fetch Metadata)
  kTraitClientHints = 1 << 5,  // sec-ch-ua (User-Agent Client Hints)
  kTraitCookie = 1 << 6,
  kTraitReferer = 1 << 7,
};

struct HeaderFingerprint {
  static constexpr std::size_t kSize = 20;
  std::array<char, kSize> text{};
  std::uint8_t traits = 0;  // HeaderTrait bits
  std::string_view view() const noexcept { return {text.data(), text.size()}; }
  bool has(HeaderTrait trait) const noexcept { return (traits & trait) != 0; }
};

// The fingerprint of `headers` (in wire order, as the session received them). Allocates
// nothing; safe for concurrent use.
HeaderFingerprint header_fingerprint(std::span<const HeaderField> headers, bool http2) noexcept;

}  // namespace portcullis::bots
