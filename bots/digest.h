// Hex digests for the fingerprints (JA3's MD5, JA4's truncated SHA-256), through OpenSSL EVP.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace portcullis::bots {

// The first `hex_chars` (at most 64) lowercase hex digits of the SHA-256 of `text`; empty if
// OpenSSL fails. Safe for concurrent use.
std::string sha256_hex(std::string_view text, std::size_t hex_chars = 64) noexcept;

// The 32 lowercase hex digits of the MD5 of `text`; empty if OpenSSL fails (as it does when only
// a FIPS provider is loaded, which has no MD5). Safe for concurrent use.
std::string md5_hex(std::string_view text) noexcept;

}  // namespace portcullis::bots
