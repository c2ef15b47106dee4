// Transformations (SecLang `t:NAME`): pure functions that rewrite a value before an operator
// looks at it, with ModSecurity's exact semantics so that the OWASP CRS matches as it does on
// ModSecurity. Safe for concurrent use by multiple threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <string>
#include <string_view>

namespace portcullis::waf {

// Rewrites `in` into `out` (which the function clears first). Returns false when the value is
// unchanged; `out` is then unspecified and the caller keeps using `in`, so a chain of
// transformations copies only when something changes. Never throws; bytes are bytes (no
// encoding is assumed, as in ModSecurity).
using TransformFn = bool (*)(std::string_view in, std::pmr::string& out);

// A set of byte values.
struct ByteSet {
  std::array<std::uint64_t, 4> bits{};

  constexpr ByteSet& add(unsigned char c) noexcept {
    bits[c / 64] |= std::uint64_t{1} << (c % 64);
    return *this;
  }
  constexpr bool intersects(const ByteSet& other) const noexcept {
    return ((bits[0] & other.bits[0]) | (bits[1] & other.bits[1]) | (bits[2] & other.bits[2]) |
            (bits[3] & other.bits[3])) != 0;
  }
  constexpr bool has(unsigned char c) const noexcept { return (bits[c / 64] >> (c % 64) & 1) != 0; }
  // The bytes of `text`.
  static constexpr ByteSet of(std::string_view text) noexcept {
    ByteSet set;
    for (char c : text) set.add(static_cast<unsigned char>(c));
    return set;
  }
  static constexpr ByteSet range(unsigned char first, unsigned char last) noexcept {
    ByteSet set;
    for (unsigned c = first; c <= last; ++c) set.add(static_cast<unsigned char>(c));
    return set;
  }
  constexpr ByteSet operator|(const ByteSet& other) const noexcept {
    ByteSet set;
    for (std::size_t i = 0; i < 4; ++i) set.bits[i] = bits[i] | other.bits[i];
    return set;
  }
};

struct TransformationInfo {
  std::string_view name;  // as SecLang spells it: "urlDecodeUni"
  TransformFn fn;         // nullptr for "none", which resets the chain instead of transforming
  // The bytes that can make `fn` change a value: a value with none of them comes out as it went
  // in, so a chain skips the call (checked for every transformation in the registry's tests).
  ByteSet triggers;
  // `fn` changes values whatever their bytes (decoders and digests: base64Decode, length ...).
  bool always = false;

  // Whether `fn` can change a value made of the bytes `present`.
  constexpr bool may_change(const ByteSet& present) const noexcept {
    return always || present.intersects(triggers);
  }
};

// The transformation named `name` (case-insensitive, as ModSecurity accepts), or nullptr.
const TransformationInfo* find_transformation(std::string_view name) noexcept;

}  // namespace portcullis::waf
