// The injection webhook through the real binary: `portcullis inject` answers AdmissionReviews
// over HTTPS (curl as the API server), and the container its patch adds, with a policy file in
// place of its ConfigMap, passes `portcullis --check` with exactly the arguments the patch
// gives it.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "inject/webhook.h"
#include "tests/integration/harness.h"
#include "tests/support/admission.h"

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
  const std::string decoded = patch_text(response);
  json patched = pod.patch(json::parse(decoded));
  const json& sidecar = patched["spec"]["initContainers"][0];
  ASSERT_EQ(sidecar["name"], "portcullis");

  // The patched Pod is a valid Pod by the Kubernetes API's own schemas.
  TempDir objects;
  const auto pod_file = objects.write("pod.json", patched.dump());
  ProcessResult valid =
      run_process({"node", PORTCULLIS_K8S_VALIDATOR, pod_file.string()}, std::chrono::seconds(30));
  ASSERT_TRUE(valid.exit.has_value());
  EXPECT_TRUE(valid.exit->exited && valid.exit->code == 0)
      << valid.out << valid.err
      << "(tests/k8s needs `npm ci --prefix tests/k8s`; ./dev test runs it)";
  EXPECT_NE(valid.out.find("ok Pod/shop-0"), std::string::npos) << valid.out;
  // And the check can fail: the same Pod with a port that is not a number is refused.
  json broken = patched;
  broken["spec"]["containers"][0]["ports"][0]["containerPort"] = "web";
  const auto broken_file = objects.write("broken.json", broken.dump());
  ProcessResult invalid = run_process({"node", PORTCULLIS_K8S_VALIDATOR, broken_file.string()},
                                      std::chrono::seconds(30));
  EXPECT_TRUE(invalid.exit && invalid.exit->exited && invalid.exit->code == 1) << invalid.out;

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

class InjectServerTest : public ::testing::Test {
 protected:
  std::string cert() const { return loopback_certificate().cert; }
  std::string key() const { return loopback_certificate().key; }
  std::string url(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(webhook_.port()) + std::string(path);
  }
  CurlResult post(const std::string& body) const {
    TempDir d;
    const auto file = d.write("review.json", body);
    return run_curl({"--cacert", cert(), "-H", "content-type: application/json", "--data-binary",
                     "@" + file.string(), url("/mutate")});
  }

  ProxyProcess webhook_;
};

TEST_F(InjectServerTest, AnswersReviewsOverHttps) {
  TempDir d;
  const auto options = d.write("inject.yaml",
                               "image: registry.example/portcullis:1.0\nport: 8443\n"
                               "native_sidecars: false\n");
  ASSERT_TRUE(webhook_.start({"inject", "--listen", "127.0.0.1:0", "--tls-cert", cert(),
                              "--tls-key", key(), "--config", options.string()}));
  const std::string review =
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-7",)"
      R"("kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":)"
      R"({"metadata":{"annotations":{"portcullis.io/inject":"true"}},"spec":{"containers":)"
      R"([{"name":"app","image":"x","ports":[{"containerPort":8080}]}]}}}})";
  CurlResult r = post(review);
  ASSERT_EQ(r.status, 200) << r;
  json response = json::parse(r.body)["response"];
  EXPECT_EQ(response["uid"], "u-7");
  EXPECT_EQ(response["allowed"], true);
  const std::string decoded = patch_text(response);
  EXPECT_NE(decoded.find("registry.example/portcullis:1.0"), std::string::npos) << decoded;
  EXPECT_NE(decoded.find("0.0.0.0:8443"), std::string::npos) << decoded;
  EXPECT_NE(decoded.find("/spec/containers/-"), std::string::npos) << "not a native sidecar";

  // A large pod (a 200 KiB annotation): its review arrives in many reads, and is answered.
  const std::string large =
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-8",)"
      R"("kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":)"
      R"({"metadata":{"annotations":{"portcullis.io/inject":"true","notes":")" +
      std::string(200 * 1024, 'n') +
      R"("}},"spec":{"containers":[{"name":"app","image":"x","ports":[{"containerPort":8080}]}]}}}})";
  CurlResult big = post(large);
  ASSERT_EQ(big.status, 200) << big.status << " " << big.body.substr(0, 300);
  EXPECT_EQ(json::parse(big.body)["response"]["uid"], "u-8");
  EXPECT_EQ(json::parse(big.body)["response"]["allowed"], true);

  CurlResult garbage = post("{not json");
  EXPECT_EQ(garbage.status, 400);
  EXPECT_EQ(json::parse(garbage.body)["response"]["allowed"], false);
  EXPECT_EQ(run_curl({"--cacert", cert(), url("/mutate")}).status, 405);
  EXPECT_EQ(run_curl({"--cacert", cert(), url("/healthz")}).body, "ok\n");
  EXPECT_EQ(run_curl({"--cacert", cert(), url("/other")}).status, 404);
  ASSERT_TRUE(webhook_.terminate(SIGTERM));
  auto exit = webhook_.wait_exit(std::chrono::seconds(5));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->exited && exit->code == 0);
}

TEST(InjectServerArgsTest, BadArgumentsAreNamed) {
  ProcessResult none = run_portcullis({"inject"}, std::chrono::seconds(10));
  EXPECT_TRUE(none.exit && none.exit->exited && none.exit->code == 1);
  EXPECT_NE(none.err.find("--tls-cert and --tls-key are required"), std::string::npos) << none.err;
  ProcessResult bad = run_portcullis({"inject", "--frobnicate"}, std::chrono::seconds(10));
  EXPECT_NE(bad.err.find("unknown argument '--frobnicate'"), std::string::npos) << bad.err;
  TempDir d;
  const auto options = d.write("inject.yaml", "colour: blue\n");
  ProcessResult key =
      run_portcullis({"inject", "--tls-cert", "c", "--tls-key", "k", "--config", options.string()},
                     std::chrono::seconds(10));
  EXPECT_NE(key.err.find("unknown key 'colour'"), std::string::npos) << key.err;
}

}  // namespace
}  // namespace portcullis::testing
