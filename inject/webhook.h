// The sidecar injection webhook's decision (docs/kubernetes.md "Sidecar injection"): for one
// admission.k8s.io/v1 AdmissionReview of a Pod, the JSON Patch that adds the portcullis sidecar,
// or why it cannot, or nothing when the pod did not ask. A pure function of its input: the
// HTTPS server that calls it lives in proxy/.
//
// A pod asks with the annotation `portcullis.io/inject: "true"`. Then:
// - `portcullis.io/app-port` names the application's port (a number, or the name of a container
//   port); the sidecar forwards to 127.0.0.1 on it. Default: the first container's first port.
// - `portcullis.io/port` is the sidecar's own port (the Service's targetPort); default 15080.
// - `portcullis.io/policy` picks the ConfigMap with the sidecar's portcullis.yaml:
//   PREFIX + policy (default "portcullis-policy-default").
// The sidecar is a native sidecar (an init container with restartPolicy Always, Kubernetes
// 1.29+) unless the options say the cluster has none; it gets probes on its admin port, a
// locked-down securityContext, resources, and the ConfigMap mounted read-only. The pod is marked
// `portcullis.io/status: injected`; a pod so marked, or with a container named portcullis, is
// left as it is, so the webhook is idempotent.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"

namespace portcullis::inject {

struct InjectOptions {
  std::string image = "portcullis:latest";
  std::string image_pull_policy = "IfNotPresent";
  std::uint16_t port = 15080;        // the sidecar's listener, unless the pod names another
  std::uint16_t admin_port = 15090;  // its admin listener: the probes
  std::string configmap_prefix = "portcullis-policy-";
  std::string default_policy = "default";
  bool native_sidecars = true;  // false: a regular container (clusters before 1.29)
  std::string cpu_request = "100m";
  std::string memory_request = "64Mi";
  std::string cpu_limit;  // empty: none
  std::string memory_limit = "256Mi";
};

// The patch for `pod` (a Pod object). An empty array when the pod did not ask or is already
// injected; an Error naming what is wrong with the pod's request (a bad annotation, a port
// taken) otherwise.
Result<nlohmann::json> patch_for(const nlohmann::json& pod, const InjectOptions& options);

// The HTTP answer to one POST /mutate body. Never throws: every input, however malformed, gets a
// well-formed AdmissionReview (200) or, when the body is not JSON at all, 400 with one.
struct Answer {
  int status = 200;
  std::string body;  // application/json
};
Answer review(std::string_view body, const InjectOptions& options) noexcept;

}  // namespace portcullis::inject
