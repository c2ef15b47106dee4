// Fuzz target: the injection webhook (inject/webhook.h) on arbitrary POST /mutate bodies.
// Besides memory safety it checks that every answer is a well-formed AdmissionReview, and that
// a patch, when there is one, applies to the pod it came with.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "inject/webhook.h"

using json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  portcullis::inject::Answer a = portcullis::inject::review(body, {});
  json doc = json::parse(a.body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || doc["kind"] != "AdmissionReview" ||
      !doc["response"].is_object() || !doc["response"]["allowed"].is_boolean() ||
      !doc["response"]["uid"].is_string() || (a.status != 200 && a.status != 400)) {
    std::abort();
  }
  // The patch itself, applied to the object it was made for.
  json in = json::parse(body, nullptr, false);
  if (in.is_object() && in.contains("request") && in["request"].is_object() &&
      in["request"].contains("object")) {
    auto patch = portcullis::inject::patch_for(in["request"]["object"], {});
    if (patch && !patch.value().empty()) {
      try {
        (void)in["request"]["object"].patch(patch.value());
      } catch (const json::exception&) {
        std::abort();  // a patch that does not apply to its own pod
      }
    }
  }
  return 0;
}
