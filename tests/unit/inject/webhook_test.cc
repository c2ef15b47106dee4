// The injection webhook's decision: AdmissionReviews in, JSON Patches out, applied to the pod
// they came with (nlohmann's RFC 6902 implementation) to check the pod that would run.
#include "inject/webhook.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/admission.h"

namespace portcullis::inject {
namespace {

using json = nlohmann::json;

json pod(json annotations, json spec = nullptr) {
  if (spec.is_null()) {
    spec = {{"containers",
             {{{"name", "app"},
               {"image", "shop:1.2"},
               {"ports", {{{"name", "http"}, {"containerPort", 8080}}}}}}}};
  }
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "shop-0"}, {"namespace", "shop"}, {"annotations", annotations}}},
          {"spec", spec}};
}

std::string review_of(const json& object, const std::string& operation = "CREATE") {
  return json{{"apiVersion", "admission.k8s.io/v1"},
              {"kind", "AdmissionReview"},
              {"request",
               {{"uid", "705ab4f5-6393-11e8-b7cc-42010a800002"},
                {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
                {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
                {"namespace", "shop"},
                {"operation", operation},
                {"object", object}}}}
      .dump();
}

// The response of the webhook, and the pod with its patch applied.
struct Reviewed {
  json response;
  json patched;
};
Reviewed run(const json& object, const InjectOptions& options = {}) {
  Answer a = review(review_of(object), options);
  EXPECT_EQ(a.status, 200);
  json doc = json::parse(a.body);
  EXPECT_EQ(doc["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(doc["kind"], "AdmissionReview");
  EXPECT_EQ(doc["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  Reviewed r{doc["response"], object};
  if (r.response.contains("patch")) {
    EXPECT_EQ(r.response["patchType"], "JSONPatch");
    r.patched = object.patch(json::parse(portcullis::testing::patch_text(r.response)));
  }
  return r;
}

const json* sidecar_of(const json& p) {
  for (const char* list : {"initContainers", "containers"}) {
    if (!p["spec"].contains(list)) continue;
    for (const json& c : p["spec"][list]) {
      if (c["name"] == "portcullis") return &c;
    }
  }
  return nullptr;
}

TEST(WebhookTest, InjectsANativeSidecarInFrontOfTheAppsPort) {
  Reviewed r = run(pod({{"portcullis.io/inject", "true"}, {"portcullis.io/policy", "strict"}}));
  EXPECT_EQ(r.response["allowed"], true);
  const json& spec = r.patched["spec"];
  ASSERT_EQ(spec["initContainers"].size(), 1u);
  const json& c = spec["initContainers"][0];
  EXPECT_EQ(c["name"], "portcullis");
  EXPECT_EQ(c["restartPolicy"], "Always") << "a native sidecar";
  EXPECT_EQ(c["args"], json({"-c", "/etc/portcullis/portcullis.yaml", "--listen", "0.0.0.0:15080",
                             "--upstream", "http://127.0.0.1:8080", "--admin", "0.0.0.0:15090"}));
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], 15090);
  EXPECT_EQ(c["startupProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], json({"ALL"}));
  EXPECT_EQ(c["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  EXPECT_EQ(c["resources"]["requests"]["cpu"], "100m");
  EXPECT_EQ(c["volumeMounts"][0]["mountPath"], "/etc/portcullis");
  EXPECT_EQ(spec["volumes"], json::parse(R"([{"name":"portcullis-config",
      "configMap":{"name":"portcullis-policy-strict"}}])"));
  EXPECT_EQ(r.patched["metadata"]["annotations"]["portcullis.io/status"], "injected");
  EXPECT_EQ(spec["containers"].size(), 1u) << "the app's containers are untouched";
}

TEST(WebhookTest, AnAlreadyInjectedPodIsLeftAsItIs) {
  Reviewed first = run(pod({{"portcullis.io/inject", "true"}}));
  Reviewed again = run(first.patched);
  EXPECT_EQ(again.response["allowed"], true);
  EXPECT_FALSE(again.response.contains("patch"));
  // A pod whose author added the sidecar by hand is not given a second one either.
  json manual = pod({{"portcullis.io/inject", "true"}});
  manual["spec"]["containers"].push_back({{"name", "portcullis"}, {"image", "x"}});
  EXPECT_FALSE(run(manual).response.contains("patch"));
}

TEST(WebhookTest, PodsThatDoNotAskAndOtherRequestsPass) {
  EXPECT_FALSE(run(pod({{"team", "shop"}})).response.contains("patch"));
  EXPECT_FALSE(run(pod({{"portcullis.io/inject", "false"}})).response.contains("patch"));
  Answer update = review(review_of(pod({{"portcullis.io/inject", "true"}}), "UPDATE"), {});
  EXPECT_EQ(json::parse(update.body)["response"]["allowed"], true);
  EXPECT_FALSE(json::parse(update.body)["response"].contains("patch"));
}

TEST(WebhookTest, PortsAndPoliciesFromAnnotations) {
  json spec = {{"containers",
                {{{"name", "app"},
                  {"image", "shop:1.2"},
                  {"ports",
                   {{{"name", "metrics"}, {"containerPort", 9100}},
                    {{"name", "web"}, {"containerPort", 3000}}}}}}},
               {"initContainers", {{{"name", "migrate"}, {"image", "shop-migrate:1"}}}},
               {"volumes", {{{"name", "data"}, {"emptyDir", json::object()}}}}};
  Reviewed r = run(pod({{"portcullis.io/inject", "true"},
                        {"portcullis.io/app-port", "web"},
                        {"portcullis.io/port", "8443"}},
                       spec));
  const json* c = sidecar_of(r.patched);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["args"][3], "0.0.0.0:8443");
  EXPECT_EQ((*c)["args"][5], "http://127.0.0.1:3000") << "the named port";
  EXPECT_EQ(r.patched["spec"]["initContainers"][0]["name"], "portcullis") << "before migrate";
  EXPECT_EQ(r.patched["spec"]["initContainers"][1]["name"], "migrate");
  EXPECT_EQ(r.patched["spec"]["volumes"].size(), 2u);
  EXPECT_EQ(r.patched["spec"]["volumes"][1]["configMap"]["name"], "portcullis-policy-default");

  InjectOptions old_cluster;
  old_cluster.native_sidecars = false;
  Reviewed legacy = run(pod({{"portcullis.io/inject", "true"}}), old_cluster);
  EXPECT_FALSE(legacy.patched["spec"].contains("initContainers"));
  ASSERT_EQ(legacy.patched["spec"]["containers"].size(), 2u);
  EXPECT_EQ(legacy.patched["spec"]["containers"][1]["name"], "portcullis");
  EXPECT_FALSE(legacy.patched["spec"]["containers"][1].contains("restartPolicy"));
}

TEST(WebhookTest, RequestsThatCannotBeMetAreRefusedWithAReason) {
  struct Row {
    json object;
    std::string message;
  };
  const Row rows[] = {
      {pod({{"portcullis.io/inject", "true"}, {"portcullis.io/app-port", "nope"}}),
       "'nope' is neither a port number nor the name of a container port"},
      {pod({{"portcullis.io/inject", "true"}, {"portcullis.io/port", "70000"}}),
       "portcullis.io/port '70000' is not a port number"},
      {pod({{"portcullis.io/inject", "true"}, {"portcullis.io/port", "8080"}}), "must differ"},
      {pod({{"portcullis.io/inject", "true"}, {"portcullis.io/policy", "Bad_Name"}}),
       "portcullis.io/policy 'Bad_Name' is not a valid name"},
      {pod({{"portcullis.io/inject", "true"}},
           {{"containers", {{{"name", "app"}, {"image", "x"}}}}}),
       "no application port"},
      {pod({{"portcullis.io/inject", "true"}},
           {{"containers",
             {{{"name", "app"},
               {"image", "x"},
               {"ports", {{{"containerPort", 8080}}, {{"containerPort", 15090}}}}}}}}),
       "port 15090 is taken by container 'app'"},
  };
  for (const Row& row : rows) {
    Reviewed r = run(row.object);
    EXPECT_EQ(r.response["allowed"], false) << row.message;
    EXPECT_EQ(r.response["status"]["code"], 400);
    const std::string message = r.response["status"]["message"];
    EXPECT_NE(message.find(row.message), std::string::npos) << message;
    EXPECT_EQ(message.rfind("portcullis sidecar injection: ", 0), 0u) << message;
  }
}

TEST(WebhookTest, MalformedReviewsGetWellFormedAnswers) {
  const char* inputs[] = {
      "",
      "not json",
      "[]",
      R"({"kind":"AdmissionReview"})",
      R"({"kind":"AdmissionReview","request":{}})",
      R"({"kind":"AdmissionReview","request":{"uid":7}})",
      R"({"kind":42,"request":{"uid":"u"}})",
      R"({"kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod","group":5},
          "operation":"CREATE","object":{}}})",
      R"({"kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},
          "operation":"CREATE","object":{"metadata":{"annotations":{"portcullis.io/inject":"true"}},
          "spec":{"containers":"app"}}}})",
      R"({"kind":"AdmissionReview","request":{"uid":"u","kind":{"kind":"Pod"},
          "operation":"CREATE","object":[1,2]}})",
  };
  for (const char* input : inputs) {
    Answer a = review(input, {});
    json doc = json::parse(a.body, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << input;
    EXPECT_EQ(doc["kind"], "AdmissionReview") << input;
    ASSERT_TRUE(doc["response"].is_object()) << input;
    EXPECT_TRUE(doc["response"]["allowed"].is_boolean()) << input;
    EXPECT_TRUE(doc["response"]["uid"].is_string()) << input;
    EXPECT_TRUE(a.status == 200 || a.status == 400) << input;
  }
  EXPECT_EQ(review("not json", {}).status, 400);
}

}  // namespace
}  // namespace portcullis::inject
