// The injection webhook's sidecar runs: the container the patch adds, with a policy file in
// place of its ConfigMap, passes `portcullis --check` with exactly the arguments the patch gives
// it.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <chrono>
#include <string>
#include <vector>

#include "inject/webhook.h"
#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using json = nlohmann::json;

TEST(InjectTest, TheInjectedSidecarsConfigurationChecksClean) {
  const json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", "shop-0"},
        {"annotations", {{"portcullis.io/inject", "true"}, {"portcullis.io/app-port", "web"}}}}},
      {"spec",
       {{"containers",
         {{{"name", "app"},
           {"image", "shop:1.2"},
           {"ports", {{{"name", "web"}, {"containerPort", 3000}}}}}}}}}};
  const json review = {{"apiVersion", "admission.k8s.io/v1"},
                       {"kind", "AdmissionReview"},
                       {"request",
                        {{"uid", "u-1"},
                         {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                         {"operation", "CREATE"},
                         {"object", pod}}}};
  inject::Answer a = inject::review(review.dump(), {});
  json response = json::parse(a.body)["response"];
  ASSERT_EQ(response["allowed"], true) << a.body;
  std::string encoded = response["patch"];
  std::string decoded(encoded.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(encoded.data()),
                          static_cast<int>(encoded.size()));
  decoded.resize(static_cast<std::size_t>(n));
  while (!decoded.empty() && decoded.back() == '\0') decoded.pop_back();
  json patched = pod.patch(json::parse(decoded));
  const json& sidecar = patched["spec"]["initContainers"][0];
  ASSERT_EQ(sidecar["name"], "portcullis");

  // The ConfigMap's portcullis.yaml: a policy; the listener and upstream come from the args.
  TempDir dir;
  const auto policy = dir.write("portcullis.yaml",
                                "policies:\n  - name: default\n    mode: block\n"
                                "    ratelimit: {limits: [{rate: 100/s, burst: 200}]}\n");
  std::vector<std::string> args = {"--check"};
  for (const json& arg : sidecar["args"]) {
    std::string s = arg;
    args.push_back(s == "/etc/portcullis/portcullis.yaml" ? policy.string() : s);
  }
  ProcessResult r = run_portcullis(args, std::chrono::seconds(10));
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_TRUE(r.exit->exited && r.exit->code == 0) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("is valid"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace portcullis::testing
