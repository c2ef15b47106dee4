// t:md5 — replaces the value with its MD5 digest: 16 raw bytes, not hex (chain t:hexEncode for
// hex). Returns the digest, also for the empty value.
//
//   SecRule ARGS:k "@streq acbd18db4cc2f85cedef654fccc4a4d8" "id:1014,deny,t:md5,t:hexEncode"
#include <openssl/evp.h>

#include "waf/transformations/all.h"

namespace portcullis::waf::transformations {

bool md5(std::string_view in, std::pmr::string& out) noexcept {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  out.clear();
  // A FIPS-only OpenSSL refuses MD5; an empty value then matches no digest a rule could hold.
  if (EVP_Digest(in.data(), in.size(), digest, &size, EVP_md5(), nullptr) != 1) {
    return !in.empty();
  }
  out.assign(reinterpret_cast<const char*>(digest), size);
  return out != in;
}

}  // namespace portcullis::waf::transformations
