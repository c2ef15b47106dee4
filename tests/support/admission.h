// The JSON Patch of an AdmissionReview response, decoded from its base64, for the webhook's
// tests (unit and integration).
#pragma once

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <string>

namespace portcullis::testing {

// The patch of `response` (an AdmissionReview's "response" object) as JSON text.
inline std::string patch_text(const nlohmann::json& response) {
  const std::string encoded = response.at("patch").get<std::string>();
  std::string out(encoded.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(encoded.data()),
                                static_cast<int>(encoded.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!out.empty() && out.back() == '\0') out.pop_back();  // the padding's zero bytes
  return out;
}

}  // namespace portcullis::testing
