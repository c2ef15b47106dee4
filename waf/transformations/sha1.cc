// t:sha1 — replaces the value with its SHA-1 digest: 20 raw bytes, not hex (chain t:hexEncode
// for hex). Returns the digest, also for the empty value.
//
//   SecRule ARGS:k "@streq 0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33" "id:1013,t:sha1,t:hexEncode"
#include <openssl/evp.h>

#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool sha1(std::string_view in, std::pmr::string& out) noexcept {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  out.clear();
  // Only a broken OpenSSL fails here; an empty value then matches no digest a rule could hold.
  if (EVP_Digest(in.data(), in.size(), digest, &size, EVP_sha1(), nullptr) != 1) {
    return !in.empty();
  }
  out.assign(reinterpret_cast<const char*>(digest), size);
  return out != in;
}

}  // namespace portcullis::waf::transformations
