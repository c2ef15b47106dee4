#include "inject/webhook.h"

#include <openssl/evp.h>

#include <charconv>

#include "core/json_text.h"

namespace portcullis::inject {
namespace {

using json = nlohmann::json;

constexpr std::string_view kInject = "portcullis.io/inject";
constexpr std::string_view kAppPort = "portcullis.io/app-port";
constexpr std::string_view kPort = "portcullis.io/port";
constexpr std::string_view kPolicy = "portcullis.io/policy";
constexpr std::string_view kStatus = "portcullis.io/status";
constexpr std::string_view kContainer = "portcullis";
constexpr std::string_view kVolume = "portcullis-config";

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// An annotation's value when it is a string; empty otherwise.
std::string annotation(const json& pod, std::string_view name) {
  const json* meta = pod.contains("metadata") ? &pod["metadata"] : nullptr;
  if (meta == nullptr || !meta->is_object() || !meta->contains("annotations")) return {};
  const json& a = (*meta)["annotations"];
  if (!a.is_object()) return {};
  auto it = a.find(std::string(name));
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& list_of(const json& spec, const char* name) {
  static const json empty = json::array();
  auto it = spec.find(name);
  return it != spec.end() && it->is_array() ? *it : empty;
}

bool port_number(std::string_view text, std::uint16_t& out) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 65535) return false;
  out = static_cast<std::uint16_t>(v);
  return true;
}

// A DNS-1123 label: what a ConfigMap name part may be.
bool dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// Every container port of the pod's containers: (port, name, container).
template <typename Fn>
void each_port(const json& spec, Fn fn) {
  for (const char* list : {"containers", "initContainers"}) {
    for (const json& c : list_of(spec, list)) {
      if (!c.is_object() || !c.contains("ports") || !c["ports"].is_array()) continue;
      for (const json& p : c["ports"]) {
        if (!p.is_object() || !p.contains("containerPort") ||
            !p["containerPort"].is_number_integer()) {
          continue;
        }
        fn(p["containerPort"].get<long long>(), p.value("name", std::string()),
           c.value("name", std::string()));
      }
    }
  }
}

json answer(const std::string& uid, bool allowed, const std::string& message = {},
            const json* patch = nullptr) {
  json response = {{"uid", uid}, {"allowed", allowed}};
  if (!message.empty()) {
    response["status"] = {{"code", allowed ? 200 : 400}, {"message", message}};
  }
  if (patch != nullptr && !patch->empty()) {
    response["patchType"] = "JSONPatch";
    response["patch"] = base64(patch->dump());
  }
  return {
      {"apiVersion", "admission.k8s.io/v1"}, {"kind", "AdmissionReview"}, {"response", response}};
}

}  // namespace

Result<json> patch_for(const json& pod, const InjectOptions& options) {
  json patch = json::array();
  if (!pod.is_object()) return Error{"the object is not a Pod"};
  if (annotation(pod, kInject) != "true") return patch;
  if (annotation(pod, kStatus) == "injected") return patch;
  if (!pod.contains("spec") || !pod["spec"].is_object()) return Error{"the Pod has no spec"};
  const json& spec = pod["spec"];
  for (const char* list : {"containers", "initContainers"}) {
    for (const json& c : list_of(spec, list)) {
      if (c.is_object() && c.value("name", std::string()) == kContainer) return patch;
    }
  }
  for (const json& v : list_of(spec, "volumes")) {
    if (v.is_object() && v.value("name", std::string()) == kVolume) {
      return Error{"the Pod already has a volume named " + std::string(kVolume)};
    }
  }

  // The application's port.
  std::uint16_t app_port = 0;
  const std::string app = annotation(pod, kAppPort);
  if (app.empty()) {
    each_port(spec, [&](long long port, const std::string&, const std::string&) {
      if (app_port == 0 && port >= 1 && port <= 65535) app_port = static_cast<std::uint16_t>(port);
    });
    if (app_port == 0) {
      return Error{"no application port: set " + std::string(kAppPort) +
                   " (no container declares a port to default to)"};
    }
  } else if (!port_number(app, app_port)) {
    each_port(spec, [&](long long port, const std::string& name, const std::string&) {
      if (app_port == 0 && name == app && port >= 1 && port <= 65535) {
        app_port = static_cast<std::uint16_t>(port);
      }
    });
    if (app_port == 0) {
      return Error{std::string(kAppPort) + " '" + app +
                   "' is neither a port number nor the name of a container port"};
    }
  }

  std::uint16_t port = options.port;
  if (const std::string p = annotation(pod, kPort); !p.empty() && !port_number(p, port)) {
    return Error{std::string(kPort) + " '" + p + "' is not a port number (1 to 65535)"};
  }
  if (port == app_port || options.admin_port == app_port || port == options.admin_port) {
    return Error{"the sidecar's port " + std::to_string(port) + " (admin " +
                 std::to_string(options.admin_port) + ") and the application's port " +
                 std::to_string(app_port) + " must differ"};
  }
  std::string taken;
  each_port(spec, [&](long long p, const std::string&, const std::string& container) {
    if (taken.empty() && (p == port || p == options.admin_port)) {
      taken = "port " + std::to_string(p) + " is taken by container '" + container + "'";
    }
  });
  if (!taken.empty()) return Error{taken + "; choose another with " + std::string(kPort)};

  std::string policy = annotation(pod, kPolicy);
  if (policy.empty()) policy = options.default_policy;
  if (!dns_label(policy)) {
    return Error{std::string(kPolicy) + " '" + policy +
                 "' is not a valid name (lower-case letters, digits and '-', at most 63)"};
  }
  const std::string configmap = options.configmap_prefix + policy;
  if (configmap.size() > 253) return Error{"the ConfigMap name '" + configmap + "' is too long"};

  json resources = {
      {"requests", {{"cpu", options.cpu_request}, {"memory", options.memory_request}}}};
  if (!options.cpu_limit.empty() || !options.memory_limit.empty()) {
    json limits = json::object();
    if (!options.cpu_limit.empty()) limits["cpu"] = options.cpu_limit;
    if (!options.memory_limit.empty()) limits["memory"] = options.memory_limit;
    resources["limits"] = limits;
  }
  auto probe = [&](const char* path, int period, int failures) {
    return json{{"httpGet", {{"path", path}, {"port", options.admin_port}}},
                {"periodSeconds", period},
                {"failureThreshold", failures}};
  };
  json container = {
      {"name", kContainer},
      {"image", options.image},
      {"imagePullPolicy", options.image_pull_policy},
      {"args",
       {"-c", "/etc/portcullis/portcullis.yaml", "--listen", "0.0.0.0:" + std::to_string(port),
        "--upstream", "http://127.0.0.1:" + std::to_string(app_port), "--admin",
        "0.0.0.0:" + std::to_string(options.admin_port)}},
      {"ports",
       {{{"name", "portcullis"}, {"containerPort", port}, {"protocol", "TCP"}},
        {{"name", "portcullis-adm"}, {"containerPort", options.admin_port}, {"protocol", "TCP"}}}},
      {"startupProbe", probe("/readyz", 1, 30)},
      {"readinessProbe", probe("/readyz", 5, 3)},
      {"livenessProbe", probe("/healthz", 10, 3)},
      {"resources", resources},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", 65532},
        {"runAsGroup", 65532},
        {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false},
        {"capabilities", {{"drop", {"ALL"}}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"volumeMounts", {{{"name", kVolume}, {"mountPath", "/etc/portcullis"}, {"readOnly", true}}}},
  };
  if (options.native_sidecars) {
    container["restartPolicy"] = "Always";
    // First among the init containers: the proxy is up before the others run, and before the
    // application's containers start.
    if (spec.contains("initContainers") && spec["initContainers"].is_array()) {
      patch.push_back({{"op", "add"}, {"path", "/spec/initContainers/0"}, {"value", container}});
    } else {
      patch.push_back(
          {{"op", "add"}, {"path", "/spec/initContainers"}, {"value", json::array({container})}});
    }
  } else {
    patch.push_back({{"op", "add"}, {"path", "/spec/containers/-"}, {"value", container}});
  }
  const json volume = {{"name", kVolume}, {"configMap", {{"name", configmap}}}};
  if (spec.contains("volumes") && spec["volumes"].is_array()) {
    patch.push_back({{"op", "add"}, {"path", "/spec/volumes/-"}, {"value", volume}});
  } else {
    patch.push_back({{"op", "add"}, {"path", "/spec/volumes"}, {"value", json::array({volume})}});
  }
  // The inject annotation is there, so the annotations object is.
  std::string status_path = "/metadata/annotations/";
  append_pointer_token(status_path, kStatus);
  patch.push_back({{"op", "add"}, {"path", status_path}, {"value", "injected"}});
  return patch;
}

Answer review(std::string_view body, const InjectOptions& options) noexcept {
  std::string uid;
  try {
    json doc = json::parse(body, nullptr, false);
    if (doc.is_discarded()) {
      return {400, answer("", false, "the request body is not JSON").dump()};
    }
    if (!doc.is_object() || doc.value("kind", std::string()) != "AdmissionReview" ||
        !doc.contains("request") || !doc["request"].is_object()) {
      return {200, answer("", false, "not an AdmissionReview with a request").dump()};
    }
    const json& request = doc["request"];
    if (request.contains("uid") && request["uid"].is_string())
      uid = request["uid"].get<std::string>();
    if (uid.empty())
      return {200, answer("", false, "the AdmissionReview has no request.uid").dump()};
    // Only the creation of a Pod is ours to change; anything else passes untouched.
    const json kind = request.value("kind", json::object());
    const bool is_pod = kind.is_object() && kind.value("kind", std::string()) == "Pod" &&
                        kind.value("group", std::string()).empty();
    if (!is_pod || request.value("operation", std::string()) != "CREATE" ||
        !request.contains("object")) {
      return {200, answer(uid, true).dump()};
    }
    auto patch = patch_for(request["object"], options);
    if (!patch) {
      return {200,
              answer(uid, false, "portcullis sidecar injection: " + patch.error().message).dump()};
    }
    return {200, answer(uid, true, {}, &patch.value()).dump()};
  } catch (const std::exception& e) {
    // A type error deep in a hostile document: still an answer.
    return {200, answer(uid, false, std::string("malformed AdmissionReview: ") + e.what()).dump()};
  }
}

}  // namespace portcullis::inject
