#include "bots/digest.h"

#include <openssl/evp.h>

#include <algorithm>

namespace portcullis::bots {
namespace {

std::string hex_digest(const EVP_MD* md, std::string_view text, std::size_t hex_chars) noexcept {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (md == nullptr || EVP_Digest(text.data(), text.size(), digest, &size, md, nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(std::min<std::size_t>(hex_chars, 2 * std::size_t{size}), '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    unsigned char byte = digest[i / 2];
    out[i] = kHex[i % 2 == 0 ? byte >> 4 : byte & 0x0f];
  }
  return out;
}

}  // namespace

std::string sha256_hex(std::string_view text, std::size_t hex_chars) noexcept {
  return hex_digest(EVP_sha256(), text, hex_chars);
}

std::string md5_hex(std::string_view text) noexcept { return hex_digest(EVP_md5(), text, 32); }

}  // namespace portcullis::bots
