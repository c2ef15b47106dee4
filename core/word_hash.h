// The 64-bit hash of the stages' own ids (header fingerprints, reputation and limiter keys):
// text folded in 8-byte little-endian words, the last zero-padded, then its length, each word
// by h = (h ^ w) * 0x9e3779b97f4a7c15, h ^= h >> 29. Not cryptographic; fast and stable.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace portcullis {

inline constexpr std::uint64_t kWordHashSeed = 0x243f6a8885a308d3ull;

inline std::uint64_t mix_word(std::uint64_t h, std::uint64_t w) noexcept {
  h = (h ^ w) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

// The words of `text` folded into `h`. `on_word` sees each word (the header fingerprint looks
// for capital letters in them).
template <typename OnWord>
inline std::uint64_t hash_words(std::uint64_t h, std::string_view text, OnWord on_word) noexcept {
  const char* p = text.data();
  const std::size_t n = text.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    on_word(w);
    h = mix_word(h, w);
  }
  if (i < n) {
    // The short last word is read as the 8 bytes that end the text, shifted, rather than copied
    // byte by byte, which would stall the load that follows the copy.
    std::uint64_t w = 0;
    if (n >= 8) {
      std::memcpy(&w, p + n - 8, 8);
      w >>= 8 * (8 - (n - i));
    } else {
      for (std::size_t k = 0; k < n; ++k) {
        w |= std::uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
      }
    }
    on_word(w);
    h = mix_word(h, w);
  }
  return mix_word(h, n);
}

inline std::uint64_t hash_words(std::uint64_t h, std::string_view text) noexcept {
  return hash_words(h, text, [](std::uint64_t) {});
}

}  // namespace portcullis
