#include "config/loader.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "access/access_list.h"
#include "bots/bot_stage.h"
#include "config/labels.h"
#include "ratelimit/limit_stage.h"
#include "schema/schema_stage.h"
#include "waf/engine/waf_stage.h"

namespace portcullis::config {

const std::string_view kEmbeddedDefault = R"(listen: [127.0.0.1:8080]
demo_upstream: 127.0.0.1:8081
upstreams:
  - name: demo
    endpoints: [127.0.0.1:8081]
routes:
  - upstream: demo
)";

namespace {
// Defined at the end: the metric label slots and identities of a compiled snapshot, and the
// hash of its text.
void assign_labels(Snapshot& snap);

// Everything a compile step needs to say where a problem is.
// The OpenAPI document of a schema stage; null for any other stage or none.
std::shared_ptr<const schema::OpenApi> openapi_of(const Stage* stage) {
  const auto* schema = dynamic_cast<const schema::SchemaStage*>(stage);
  return schema ? schema->config().api : nullptr;
}

class Loader {
 public:
  Loader(std::string source, const Overrides& overrides)
      : source_(std::move(source)), overrides_(overrides) {}

  Result<std::shared_ptr<const Snapshot>> load(std::string_view yaml);

 private:
  Error error_at(const YAML::Node& node, std::string key, std::string message) const {
    Error e{std::move(message), source_, 0, std::move(key)};
    if (node.IsDefined() && node.Mark().line >= 0) e.line = node.Mark().line + 1;
    return e;
  }
  Status check_keys(const YAML::Node& map, const std::string& where,
                    std::initializer_list<std::string_view> allowed) const;
  Result<std::string> scalar(const YAML::Node& node, const std::string& key) const;
  Result<std::vector<std::string>> string_list(const YAML::Node& node,
                                               const std::string& key) const;
  Result<SocketAddress> address(const YAML::Node& node, const std::string& key) const;
  Result<Listener> listener(const YAML::Node& node, const std::string& key) const;
  Result<std::shared_ptr<const TlsServerContext>> tls(const YAML::Node& node,
                                                      const std::string& key) const;
  Status compile_limits(const YAML::Node& node, Limits& limits) const;
  Status compile_timeouts(const YAML::Node& node, Timeouts& timeouts) const;
  Status compile_http2(const YAML::Node& node, Http2& http2) const;
  Status compile_policies(const YAML::Node& node);
  Result<std::unique_ptr<Stage>> compile_waf(const YAML::Node& w, const std::string& key);
  Result<std::unique_ptr<Stage>> compile_schema(const YAML::Node& n, const std::string& key);
  Result<std::unique_ptr<Stage>> compile_bots(const YAML::Node& n, const std::string& key);
  // `api`: the policy's OpenAPI document, for `operation` keys (null: the policy has none).
  Result<std::unique_ptr<Stage>> compile_ratelimit(const YAML::Node& n, const std::string& key,
                                                   std::shared_ptr<const schema::OpenApi> api);
  Status compile_jwt(const YAML::Node& n, const std::string& key,
                     ratelimit::LimitStageConfig& config) const;
  Status compile_limiter(const YAML::Node& node);
  Status compile_redis(const YAML::Node& node);
  Status check_bot_limits(const std::vector<std::unique_ptr<Stage>>& stages, const YAML::Node& p,
                          const std::string& where) const;
  Status compile_bot_reputation(const YAML::Node& node);
  Result<std::vector<std::string>> phrase_file(const std::string& dir, const char* name) const;
  std::string resolve_path(const std::string& path) const;
  // Whether the default policy gets the bots stage without a `bots` key: with --bots on, or
  // with --tls-cert unless --bots off (quick start: fingerprints forwarded).
  bool quick_bots_on() const {
    return overrides_.bots == "on" || (overrides_.bots.empty() && !overrides_.tls_cert.empty());
  }
  Status compile_upstreams(const YAML::Node& node, Snapshot& snap) const;
  Status compile_routes(const YAML::Node& node, Snapshot& snap) const;
  Status apply_upstream_override(Snapshot& snap) const;

  std::string source_;
  std::vector<std::string> waf_warnings_;
  const Overrides& overrides_;
  std::map<std::string, std::shared_ptr<const Pipeline>, std::less<>> policies_;
  std::size_t reputation_capacity_ = 65536;
  std::uint32_t reputation_window_s_ = 10;
  std::shared_ptr<bots::Reputation> reputation_;
  std::size_t limiter_capacity_ = 1 << 18;
  std::shared_ptr<ratelimit::BucketTable> buckets_;
  std::optional<ratelimit::RedisOptions> redis_;
  std::shared_ptr<ratelimit::RedisStore> redis_store_;
  std::vector<Cidr> trusted_proxies_;
};

Result<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error{"expected [IPv6]:port, got '" + std::string(text) + "'"};
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error{"expected host:port, got '" + std::string(text) + "'"};
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || ptr != port.data() + port.size() || value > 65535) {
    return Error{"invalid port in '" + std::string(text) + "'"};
  }
  return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

// Numeric addresses pass as they are; names are resolved now (control plane, may block).
Result<SocketAddress> resolve(std::string_view text) {
  auto hp = split_host_port(text);
  if (!hp) return hp.error();
  auto& [host, port] = hp.value();
  if (parse_ip(host)) return SocketAddress{host, port};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res); rc != 0 || res == nullptr) {
    return Error{"cannot resolve '" + host + "': " + gai_strerror(rc)};
  }
  char buf[INET6_ADDRSTRLEN] = {};
  const void* src =
      res->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr);
  inet_ntop(res->ai_family, src, buf, sizeof buf);
  freeaddrinfo(res);
  return SocketAddress{buf, port};
}

}  // namespace

std::string SocketAddress::to_string() const {
  return ip.find(':') != std::string::npos ? "[" + ip + "]:" + std::to_string(port)
                                           : ip + ":" + std::to_string(port);
}

const Route* Snapshot::match(std::string_view host, std::string_view path) const noexcept {
  for (const Route& route : routes) {
    if (route.host && !route.host->matches(host)) continue;
    if (path.substr(0, route.path_prefix.size()) != route.path_prefix) continue;
    return &route;
  }
  return nullptr;
}

bool Snapshot::is_trusted(const std::array<std::uint8_t, 16>& addr) const noexcept {
  for (const Cidr& c : trusted_proxies) {
    if (c.contains(addr)) return true;
  }
  return false;
}

Result<Duration> parse_duration(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (digits == 0 || ec != std::errc() || n > 1'000'000'000) {
    return Error{"invalid duration '" + std::string(text) + "' (expected e.g. 250ms, 10s, 5m)"};
  }
  std::string_view unit = text.substr(digits);
  std::uint64_t ms_per_unit = 0;
  if (unit == "ms") ms_per_unit = 1;
  if (unit == "s" || unit.empty()) ms_per_unit = 1000;
  if (unit == "m") ms_per_unit = 60'000;
  if (unit == "h") ms_per_unit = 3'600'000;
  if (ms_per_unit == 0) {
    return Error{"invalid duration unit in '" + std::string(text) + "' (ms, s, m or h)"};
  }
  // At most 10^9 s (about 31 years): a longer one would not fit the nanoseconds of a Duration.
  if (n > 1'000'000'000'000 / ms_per_unit) {
    return Error{"duration '" + std::string(text) + "' is too long"};
  }
  return Duration(std::chrono::milliseconds(n * ms_per_unit));
}

Result<std::uint64_t> parse_size(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (digits == 0 || ec != std::errc()) {
    return Error{"invalid size '" + std::string(text) + "' (expected e.g. 1024, 16KiB, 10MiB)"};
  }
  std::string_view unit = text.substr(digits);
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  if (unit == "KiB" || unit == "KB" || unit == "k" || unit == "K") shift = 10;
  if (unit == "MiB" || unit == "MB" || unit == "m" || unit == "M") shift = 20;
  if (unit == "GiB" || unit == "GB" || unit == "g" || unit == "G") shift = 30;
  if (shift < 0)
    return Error{"invalid size unit in '" + std::string(text) + "' (B, KiB, MiB, GiB)"};
  if (n > (std::uint64_t{1} << (62 - shift)))
    return Error{"size too large: '" + std::string(text) + "'"};
  return n << shift;
}

Status Loader::check_keys(const YAML::Node& map, const std::string& where,
                          std::initializer_list<std::string_view> allowed) const {
  if (!map.IsMap()) return error_at(map, where, "expected a mapping");
  for (const auto& kv : map) {
    std::string key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return error_at(kv.first, where.empty() ? key : where + "." + key, "unknown key");
    }
  }
  return Ok{};
}

Result<std::string> Loader::scalar(const YAML::Node& node, const std::string& key) const {
  if (!node.IsScalar()) return error_at(node, key, "expected a single value");
  const std::string& text = node.Scalar();
  if (text.find("${") == std::string::npos) return text;
  // ${NAME} and ${NAME:-default} take their value from the environment (secrets, addresses).
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find("${", i);
    if (open == std::string::npos) {
      out.append(text, i);
      break;
    }
    out.append(text, i, open - i);
    std::size_t close = text.find('}', open);
    if (close == std::string::npos) return error_at(node, key, "unclosed '${'");
    std::string_view inner(text.data() + open + 2, close - open - 2);
    std::string_view name = inner, fallback;
    bool has_fallback = false;
    if (std::size_t dash = inner.find(":-"); dash != std::string_view::npos) {
      name = inner.substr(0, dash);
      fallback = inner.substr(dash + 2);
      has_fallback = true;
    }
    bool valid = !name.empty();
    for (char c : name) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid) return error_at(node, key, "invalid variable '${" + std::string(inner) + "}'");
    const char* value = std::getenv(std::string(name).c_str());
    if (value != nullptr) {
      out += value;
    } else if (has_fallback) {
      out += fallback;
    } else {
      return error_at(node, key, "environment variable " + std::string(name) + " is not set");
    }
    i = close + 1;
  }
  return out;
}

Result<std::vector<std::string>> Loader::string_list(const YAML::Node& node,
                                                     const std::string& key) const {
  if (!node.IsSequence()) return error_at(node, key, "expected a list");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    auto s = scalar(node[i], key + "[" + std::to_string(i) + "]");
    if (!s) return s.error();
    out.push_back(std::move(s.value()));
  }
  return out;
}

Result<SocketAddress> Loader::address(const YAML::Node& node, const std::string& key) const {
  auto text = scalar(node, key);
  if (!text) return text.error();
  auto addr = resolve(text.value());
  if (!addr) return error_at(node, key, addr.error().message);
  return addr;
}

Result<Listener> Loader::listener(const YAML::Node& node, const std::string& key) const {
  if (node.IsScalar()) {
    auto addr = address(node, key);
    if (!addr) return addr.error();
    return Listener{std::move(addr.value()), nullptr};
  }
  if (auto st = check_keys(node, key, {"address", "tls"}); !st) return st.error();
  if (!node["address"]) return error_at(node, key + ".address", "required");
  auto addr = address(node["address"], key + ".address");
  if (!addr) return addr.error();
  Listener out{std::move(addr.value()), nullptr};
  if (node["tls"]) {
    auto ctx = tls(node["tls"], key + ".tls");
    if (!ctx) return ctx.error();
    out.tls = std::move(ctx.value());
  }
  return out;
}

Result<std::shared_ptr<const TlsServerContext>> Loader::tls(const YAML::Node& node,
                                                            const std::string& key) const {
  if (auto st = check_keys(node, key,
                           {"certificates", "min_version", "ciphers", "ciphersuites", "groups",
                            "client_ca", "client_cert"});
      !st) {
    return st.error();
  }
  TlsSettings settings;
  const YAML::Node certs = node["certificates"];
  if (!certs || !certs.IsSequence() || certs.size() == 0) {
    return error_at(certs ? certs : node, key + ".certificates",
                    "expected a non-empty list of {cert, key}");
  }
  for (std::size_t i = 0; i < certs.size(); ++i) {
    std::string where = key + ".certificates[" + std::to_string(i) + "]";
    if (auto st = check_keys(certs[i], where, {"cert", "key", "server_names"}); !st) {
      return st.error();
    }
    TlsCertificate c;
    if (!certs[i]["cert"] || !certs[i]["key"]) {
      return error_at(certs[i], where, "needs both 'cert' and 'key'");
    }
    auto cert = scalar(certs[i]["cert"], where + ".cert");
    if (!cert) return cert.error();
    auto pkey = scalar(certs[i]["key"], where + ".key");
    if (!pkey) return pkey.error();
    c.cert_file = cert.value();
    c.key_file = pkey.value();
    if (certs[i]["server_names"]) {
      auto names = string_list(certs[i]["server_names"], where + ".server_names");
      if (!names) return names.error();
      c.server_names = std::move(names.value());
    }
    settings.certificates.push_back(std::move(c));
  }
  auto text = [&](const char* name, std::string& out) -> Status {
    if (!node[name]) return Ok{};
    auto v = scalar(node[name], key + "." + name);
    if (!v) return v.error();
    out = v.value();
    return Ok{};
  };
  std::string client_cert;
  for (auto st : {text("min_version", settings.min_version), text("ciphers", settings.ciphers),
                  text("ciphersuites", settings.ciphersuites), text("groups", settings.groups),
                  text("client_ca", settings.client_ca), text("client_cert", client_cert)}) {
    if (!st) return st.error();
  }
  if (!client_cert.empty()) {
    if (client_cert != "require" && client_cert != "optional") {
      return error_at(node["client_cert"], key + ".client_cert",
                      "expected 'require' or 'optional'");
    }
    if (settings.client_ca.empty()) {
      return error_at(node["client_cert"], key + ".client_cert", "needs client_ca");
    }
    settings.client_cert_optional = client_cert == "optional";
  }
  auto ctx = TlsServerContext::build(settings);
  if (!ctx) {
    // Point at the key the problem belongs to where the builder said which.
    const Error& e = ctx.error();
    YAML::Node at = node;
    std::string at_key = key;
    if (e.key == "cert" || e.key == "key") {
      at = certs;
      at_key = key + ".certificates";
    } else if (!e.key.empty() && node[e.key]) {
      at = node[e.key];
      at_key = key + "." + e.key;
    }
    return error_at(at, at_key, e.message);
  }
  return ctx;
}

Status Loader::compile_limits(const YAML::Node& node, Limits& limits) const {
  if (auto st = check_keys(
          node, "limits",
          {"header_bytes", "header_count", "uri_bytes", "body_bytes", "response_header_bytes"});
      !st) {
    return st;
  }
  auto size = [&](const char* name, auto& out, std::uint64_t min) -> Status {
    YAML::Node n = node[name];
    if (!n) return Ok{};
    std::string key = std::string("limits.") + name;
    auto text = scalar(n, key);
    if (!text) return text.error();
    auto v = parse_size(text.value());
    if (!v) return error_at(n, key, v.error().message);
    if (v.value() < min) return error_at(n, key, "must be at least " + std::to_string(min));
    out = static_cast<std::remove_reference_t<decltype(out)>>(v.value());
    return Ok{};
  };
  for (auto st : {size("header_bytes", limits.header_bytes, 256),
                  size("header_count", limits.header_count, 1),
                  size("uri_bytes", limits.uri_bytes, 16), size("body_bytes", limits.body_bytes, 0),
                  size("response_header_bytes", limits.response_header_bytes, 256)}) {
    if (!st) return st;
  }
  return Ok{};
}

Status Loader::compile_http2(const YAML::Node& node, Http2& h) const {
  if (auto st = check_keys(node, "http2",
                           {"max_concurrent_streams", "initial_stream_window", "connection_window",
                            "max_continuations", "reset_burst", "reset_rate",
                            "max_empty_data_frames", "max_settings_entries"});
      !st) {
    return st;
  }
  auto number = [&](const char* name, auto& out, std::uint64_t min, std::uint64_t max) -> Status {
    YAML::Node n = node[name];
    if (!n) return Ok{};
    std::string key = std::string("http2.") + name;
    auto text = scalar(n, key);
    if (!text) return text.error();
    auto v = parse_size(text.value());
    if (!v || v.value() < min || v.value() > max) {
      return error_at(
          n, key, "expected a number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    out = static_cast<std::remove_reference_t<decltype(out)>>(v.value());
    return Ok{};
  };
  constexpr std::uint64_t kMaxWindow = (1u << 31) - 1;
  for (auto st : {number("max_concurrent_streams", h.max_concurrent_streams, 1, 100000),
                  number("initial_stream_window", h.initial_stream_window, 65535, kMaxWindow),
                  number("connection_window", h.connection_window, 65535, kMaxWindow),
                  number("max_continuations", h.max_continuations, 1, 1000),
                  number("reset_burst", h.reset_burst, 1, 1000000),
                  number("reset_rate", h.reset_rate, 1, 1000000),
                  number("max_empty_data_frames", h.max_empty_data_frames, 1, 1000000),
                  number("max_settings_entries", h.max_settings_entries, 6, 1000)}) {
    if (!st) return st;
  }
  return Ok{};
}

Status Loader::compile_timeouts(const YAML::Node& node, Timeouts& t) const {
  if (auto st = check_keys(node, "timeouts",
                           {"header", "idle", "body", "upstream_connect", "upstream_response",
                            "tunnel_idle", "drain"});
      !st) {
    return st;
  }
  std::pair<const char*, Duration*> fields[] = {{"header", &t.header},
                                                {"idle", &t.idle},
                                                {"body", &t.body},
                                                {"upstream_connect", &t.upstream_connect},
                                                {"upstream_response", &t.upstream_response},
                                                {"tunnel_idle", &t.tunnel_idle},
                                                {"drain", &t.drain}};
  for (auto [name, out] : fields) {
    YAML::Node n = node[name];
    if (!n) continue;
    std::string key = std::string("timeouts.") + name;
    auto text = scalar(n, key);
    if (!text) return text.error();
    auto d = parse_duration(text.value());
    if (!d) return error_at(n, key, d.error().message);
    if (d.value() <= Duration::zero() && std::string_view(name) != "drain") {
      return error_at(n, key, "must be greater than zero");
    }
    *out = d.value();
  }
  return Ok{};
}

Status Loader::compile_policies(const YAML::Node& node) {
  Mode override_mode = overrides_.mode == "detect" ? Mode::kDetect : Mode::kBlock;
  auto make = [&](std::string name, Mode mode, std::vector<std::unique_ptr<Stage>> stages,
                  BodyInspection body) {
    if (!overrides_.mode.empty()) mode = override_mode;
    policies_[name] = std::make_shared<const Pipeline>(name, mode, std::move(stages), body);
  };
  if (node) {
    if (!node.IsSequence()) return error_at(node, "policies", "expected a list");
    for (std::size_t i = 0; i < node.size(); ++i) {
      const YAML::Node p = node[i];
      std::string where = "policies[" + std::to_string(i) + "]";
      if (auto st = check_keys(
              p, where,
              {"name", "mode", "access", "bots", "ratelimit", "schema", "waf", "body_inspection"});
          !st) {
        return st;
      }
      if (!p["name"]) return error_at(p, where + ".name", "required");
      auto name = scalar(p["name"], where + ".name");
      if (!name) return name.error();
      if (policies_.count(name.value())) {
        return error_at(p["name"], where + ".name", "duplicate policy name '" + name.value() + "'");
      }
      Mode mode = Mode::kBlock;
      if (p["mode"]) {
        auto m = scalar(p["mode"], where + ".mode");
        if (!m) return m.error();
        if (m.value() == "detect") {
          mode = Mode::kDetect;
        } else if (m.value() != "block") {
          return error_at(p["mode"], where + ".mode", "expected 'block' or 'detect'");
        }
      }
      std::vector<std::unique_ptr<Stage>> stages;
      if (const YAML::Node a = p["access"]) {
        std::string akey = where + ".access";
        if (auto st = check_keys(a, akey, {"methods", "hosts"}); !st) return st;
        std::vector<std::string> methods;
        std::vector<HostPattern> hosts;
        if (a["methods"]) {
          auto list = string_list(a["methods"], akey + ".methods");
          if (!list) return list.error();
          methods = std::move(list.value());
        }
        if (a["hosts"]) {
          auto list = string_list(a["hosts"], akey + ".hosts");
          if (!list) return list.error();
          for (const auto& h : list.value()) hosts.push_back(HostPattern::parse(h));
        }
        stages.push_back(
            std::make_unique<access::AccessList>(std::move(methods), std::move(hosts)));
      }
      const bool quick_bots = name.value() == "default" && !p["bots"] && quick_bots_on();
      if ((p["bots"] && overrides_.bots != "off") || quick_bots) {
        auto bots = compile_bots(quick_bots ? YAML::Node() : p["bots"], where + ".bots");
        if (!bots) return bots.error();
        stages.push_back(std::move(bots.value()));
      }
      // The schema is compiled first: `operation` limit keys route with its document.
      const bool quick_schema = !overrides_.openapi.empty() && name.value() == "default";
      std::unique_ptr<Stage> schema_stage;
      if (p["schema"] || quick_schema) {
        auto schema = compile_schema(quick_schema ? YAML::Node() : p["schema"], where + ".schema");
        if (!schema) return schema.error();
        schema_stage = std::move(schema.value());
      }
      const bool quick_limits = name.value() == "default" && !overrides_.limits.empty();
      if (p["ratelimit"] || quick_limits) {
        auto limits = compile_ratelimit(quick_limits ? YAML::Node() : p["ratelimit"],
                                        where + ".ratelimit", openapi_of(schema_stage.get()));
        if (!limits) return limits.error();
        stages.push_back(std::move(limits.value()));
      }
      if (auto st = check_bot_limits(stages, p, where); !st) return st;
      if (schema_stage) stages.push_back(std::move(schema_stage));
      if (p["waf"] || !overrides_.rules.empty()) {
        auto waf = compile_waf(p["waf"], where + ".waf");
        if (!waf) return waf.error();
        stages.push_back(std::move(waf.value()));
      }
      BodyInspection body;
      if (const YAML::Node b = p["body_inspection"]) {
        std::string bkey = where + ".body_inspection";
        if (auto st = check_keys(b, bkey, {"limit", "over_limit"}); !st) return st;
        if (b["limit"]) {
          auto text = scalar(b["limit"], bkey + ".limit");
          if (!text) return text.error();
          auto v = parse_size(text.value());
          if (!v || v.value() < 1 || v.value() > (64u << 20)) {
            return error_at(b["limit"], bkey + ".limit", "expected a size from 1B to 64MiB");
          }
          body.limit = v.value();
        }
        if (b["over_limit"]) {
          auto text = scalar(b["over_limit"], bkey + ".over_limit");
          if (!text) return text.error();
          if (text.value() == "inspect_prefix") {
            body.reject_over_limit = false;
          } else if (text.value() != "reject") {
            return error_at(b["over_limit"], bkey + ".over_limit",
                            "expected 'reject' or 'inspect_prefix'");
          }
        }
      }
      make(name.value(), mode, std::move(stages), body);
    }
  }
  if (!policies_.count("default")) {
    std::vector<std::unique_ptr<Stage>> stages;
    if (quick_bots_on()) {
      auto bots = compile_bots(YAML::Node(), "--bots");
      if (!bots) return bots.error();
      stages.push_back(std::move(bots.value()));
    }
    std::unique_ptr<Stage> schema_stage;
    if (!overrides_.openapi.empty()) {
      auto schema = compile_schema(YAML::Node(), "--openapi");
      if (!schema) return schema.error();
      schema_stage = std::move(schema.value());
    }
    if (!overrides_.limits.empty()) {
      auto limits = compile_ratelimit(YAML::Node(), "--limit", openapi_of(schema_stage.get()));
      if (!limits) return limits.error();
      stages.push_back(std::move(limits.value()));
    }
    if (schema_stage) stages.push_back(std::move(schema_stage));
    if (!overrides_.rules.empty()) {
      auto waf = compile_waf(YAML::Node(), "--rules");
      if (!waf) return waf.error();
      stages.push_back(std::move(waf.value()));
    }
    make("default", Mode::kBlock, std::move(stages), {});
  }
  return Ok{};
}

namespace {

// Where Debian's modsecurity-crs package keeps the CRS data files the bots stage reads.
constexpr std::string_view kCrsDataDir = "/usr/share/modsecurity-crs/rules";

// One object for the process, kept across reloads while `same(old)` says it still fits: the state
// DESIGN.md says outlives a snapshot (fingerprint reputation, limiter buckets). A template per
// use, so that each kind has its own.
template <typename T, typename Same, typename Make>
std::shared_ptr<T> kept_across_reloads(Same same, Make make) {
  static std::mutex mutex;
  static std::weak_ptr<T> last;
  std::lock_guard lock(mutex);
  auto kept = last.lock();
  if (!kept || !same(*kept)) {
    kept = make();
    last = kept;
  }
  return kept;
}

std::shared_ptr<bots::Reputation> shared_reputation(std::size_t capacity, std::uint32_t window_s) {
  return kept_across_reloads<bots::Reputation>(
      [&](const bots::Reputation& r) {
        return r.capacity() == std::bit_ceil(std::max<std::size_t>(capacity, 2)) &&
               r.window_s() == window_s;
      },
      [&] { return std::make_shared<bots::Reputation>(capacity, window_s); });
}

std::shared_ptr<ratelimit::BucketTable> shared_buckets(std::size_t capacity) {
  return kept_across_reloads<ratelimit::BucketTable>(
      [&](const ratelimit::BucketTable& t) {
        return t.capacity() == ratelimit::BucketTable::capacity_for(capacity);
      },
      [&] { return std::make_shared<ratelimit::BucketTable>(capacity); });
}

std::shared_ptr<ratelimit::RedisStore> shared_redis(const ratelimit::RedisOptions& options) {
  return kept_across_reloads<ratelimit::RedisStore>(
      [&](const ratelimit::RedisStore& r) { return r.options() == options; },
      [&] { return std::make_shared<ratelimit::RedisStore>(options); });
}

}  // namespace

Status Loader::compile_bot_reputation(const YAML::Node& node) {
  if (auto st = check_keys(node, "bot_reputation", {"capacity", "window"}); !st) return st;
  if (node["capacity"]) {
    auto text = scalar(node["capacity"], "bot_reputation.capacity");
    if (!text) return text.error();
    char* end = nullptr;
    long long v = std::strtoll(text.value().c_str(), &end, 10);
    if (text.value().empty() || *end != '\0' || v < 1 || v > (1ll << 24)) {
      return error_at(node["capacity"], "bot_reputation.capacity",
                      "expected a number of fingerprints from 1 to 16777216");
    }
    reputation_capacity_ = static_cast<std::size_t>(v);
  }
  if (node["window"]) {
    auto text = scalar(node["window"], "bot_reputation.window");
    if (!text) return text.error();
    auto d = parse_duration(text.value());
    if (!d || d.value() < std::chrono::seconds(1) || d.value() > std::chrono::hours(1)) {
      return error_at(node["window"], "bot_reputation.window", "expected a duration from 1s to 1h");
    }
    reputation_window_s_ = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(d.value()).count());
  }
  return Ok{};
}

namespace {

// "100/s", "6000/min", "10/m", "1000/h" → requests and the period in nanoseconds.
Result<std::pair<std::uint64_t, std::int64_t>> parse_rate(std::string_view text) {
  std::size_t slash = text.find('/');
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + std::min(slash, text.size()), n);
  if (slash == std::string_view::npos || ec != std::errc() || end != text.data() + slash ||
      n == 0 || n > 1'000'000'000) {
    return Error{"expected a rate N/UNIT (N from 1, UNIT s, m or min, h), e.g. 100/s"};
  }
  std::string_view unit = text.substr(slash + 1);
  std::int64_t period = 0;
  if (unit == "s" || unit == "sec" || unit == "second")
    period = 1'000'000'000;
  else if (unit == "m" || unit == "min" || unit == "minute")
    period = 60'000'000'000;
  else if (unit == "h" || unit == "hour")
    period = 3'600'000'000'000;
  else
    return Error{"unknown rate unit '" + std::string(unit) + "' (expected s, m or min, h)"};
  return std::pair{n, period};
}

}  // namespace

Status Loader::compile_redis(const YAML::Node& node) {
  ratelimit::RedisOptions options;
  if (node) {
    if (auto st =
            check_keys(node, "redis",
                       {"address", "prefix", "timeout", "on_unavailable", "username", "password"});
        !st)
      return st;
    for (auto [key, field] :
         {std::pair{"username", &options.username}, std::pair{"password", &options.password}}) {
      if (!node[key]) continue;
      auto v = scalar(node[key], std::string("redis.") + key);
      if (!v) return v.error();
      if (v.value().empty() || v.value().size() > 512) {
        return error_at(node[key], std::string("redis.") + key, "expected 1 to 512 characters");
      }
      *field = v.value();
    }
    if (!options.username.empty() && options.password.empty()) {
      return error_at(node["username"], "redis.username", "a username needs a password");
    }
    if (node["address"]) {
      auto addr = address(node["address"], "redis.address");
      if (!addr) return addr.error();
      options.host = addr.value().ip;
      options.port = addr.value().port;
    }
    if (node["prefix"]) {
      auto v = scalar(node["prefix"], "redis.prefix");
      if (!v) return v.error();
      if (v.value().empty() || v.value().size() > 64) {
        return error_at(node["prefix"], "redis.prefix", "expected 1 to 64 characters");
      }
      options.prefix = v.value();
    }
    if (node["timeout"]) {
      auto text = scalar(node["timeout"], "redis.timeout");
      if (!text) return text.error();
      auto d = parse_duration(text.value());
      if (!d || d.value() < std::chrono::milliseconds(10) || d.value() > std::chrono::seconds(10)) {
        return error_at(node["timeout"], "redis.timeout", "expected a duration from 10ms to 10s");
      }
      options.timeout_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d.value()).count();
    }
    if (node["on_unavailable"]) {
      auto v = scalar(node["on_unavailable"], "redis.on_unavailable");
      if (!v) return v.error();
      if (v.value() == "open") {
        options.on_unavailable = ratelimit::RedisOptions::Unavailable::kOpen;
      } else if (v.value() == "closed") {
        options.on_unavailable = ratelimit::RedisOptions::Unavailable::kClosed;
      } else if (v.value() != "local") {
        return error_at(node["on_unavailable"], "redis.on_unavailable",
                        "expected 'local', 'open' or 'closed'");
      }
    }
  }
  if (!overrides_.redis.empty()) {
    auto hp = split_host_port(overrides_.redis);
    if (!hp)
      return Error{"--redis " + overrides_.redis + ": " + hp.error().message, "", 0, "--redis"};
    options.host = hp.value().first;
    options.port = hp.value().second;
  }
  redis_ = options;
  return Ok{};
}

Status Loader::compile_limiter(const YAML::Node& node) {
  if (auto st = check_keys(node, "limiter", {"capacity"}); !st) return st;
  if (node["capacity"]) {
    auto text = scalar(node["capacity"], "limiter.capacity");
    if (!text) return text.error();
    char* end = nullptr;
    long long v = std::strtoll(text.value().c_str(), &end, 10);
    if (text.value().empty() || *end != '\0' || v < 4 || v > (1ll << 26)) {
      return error_at(node["capacity"], "limiter.capacity",
                      "expected a number of keys from 4 to 67108864");
    }
    limiter_capacity_ = static_cast<std::size_t>(v);
  }
  return Ok{};
}

Status Loader::compile_jwt(const YAML::Node& j, const std::string& key,
                           ratelimit::LimitStageConfig& config) const {
  if (auto st = check_keys(j, key,
                           {"jwks", "public_key", "secret_file", "algorithms", "issuer", "audience",
                            "leeway", "invalid"});
      !st)
    return st;
  ratelimit::JwtOptions options;
  auto file_key = [&](const char* name, std::string& out) -> Status {
    if (!j[name]) return Ok{};
    auto v = scalar(j[name], key + "." + name);
    if (!v) return v.error();
    out = resolve_path(v.value());
    return Ok{};
  };
  if (auto st = file_key("jwks", options.jwks_file); !st) return st;
  if (auto st = file_key("public_key", options.public_key_file); !st) return st;
  std::string secret_file;
  if (auto st = file_key("secret_file", secret_file); !st) return st;
  if (!secret_file.empty()) {
    std::ifstream in(secret_file, std::ios::binary);
    if (!in) return error_at(j["secret_file"], key + ".secret_file", "cannot read the file");
    std::getline(in, options.secret);
    while (!options.secret.empty() &&
           (options.secret.back() == '\r' || options.secret.back() == ' ')) {
      options.secret.pop_back();
    }
    if (options.secret.size() < 32) {
      return error_at(j["secret_file"], key + ".secret_file",
                      "the secret (the file's first line) needs at least 32 characters");
    }
  }
  if (options.jwks_file.empty() && options.public_key_file.empty() && secret_file.empty()) {
    return error_at(j, key, "expected jwks, public_key or secret_file to check tokens with");
  }
  if (j["algorithms"]) {
    auto list = string_list(j["algorithms"], key + ".algorithms");
    if (!list) return list.error();
    options.algorithms = list.value();
  }
  for (auto [name, out] : {std::pair<const char*, std::string*>{"issuer", &options.issuer},
                           {"audience", &options.audience}}) {
    if (!j[name]) continue;
    auto v = scalar(j[name], key + "." + name);
    if (!v) return v.error();
    *out = v.value();
  }
  if (j["leeway"]) {
    auto text = scalar(j["leeway"], key + ".leeway");
    if (!text) return text.error();
    auto d = parse_duration(text.value());
    if (!d || d.value() > std::chrono::hours(1)) {
      return error_at(j["leeway"], key + ".leeway", "expected a duration up to 1h");
    }
    options.leeway_s = std::chrono::duration_cast<std::chrono::seconds>(d.value()).count();
  }
  if (j["invalid"]) {
    auto v = scalar(j["invalid"], key + ".invalid");
    if (!v) return v.error();
    if (v.value() != "reject" && v.value() != "ignore") {
      return error_at(j["invalid"], key + ".invalid", "expected 'reject' or 'ignore'");
    }
    config.reject_invalid_jwt = v.value() == "reject";
  }
  auto verifier = ratelimit::JwtVerifier::make(options);
  if (!verifier) return error_at(j, key, verifier.error().message);
  config.jwt = std::move(verifier.value());
  return Ok{};
}

Result<std::unique_ptr<Stage>> Loader::compile_ratelimit(
    const YAML::Node& n, const std::string& key, std::shared_ptr<const schema::OpenApi> api) {
  ratelimit::LimitStageConfig config;
  config.trusted_proxies = trusted_proxies_;
  auto make_limit = [&](const YAML::Node& l, const std::string& lkey,
                        std::size_t index) -> Result<ratelimit::Limit> {
    if (auto st = check_keys(l, lkey, {"name", "rate", "burst", "key", "bot_classes", "global"});
        !st)
      return st.error();
    ratelimit::Limit limit;
    limit.name = "limit" + std::to_string(index);
    if (l["name"]) {
      auto v = scalar(l["name"], lkey + ".name");
      if (!v) return v.error();
      bool token = !v.value().empty() && v.value().size() <= 40;
      for (char c : v.value())
        token &= std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      if (!token)
        return error_at(l["name"], lkey + ".name",
                        "expected 1 to 40 letters, digits, '-', '_' or '.'");
      limit.name = v.value();
    }
    if (!l["rate"]) return error_at(l, lkey + ".rate", "required");
    auto rate_text = scalar(l["rate"], lkey + ".rate");
    if (!rate_text) return rate_text.error();
    auto rate = parse_rate(rate_text.value());
    if (!rate) return error_at(l["rate"], lkey + ".rate", rate.error().message);
    limit.requests = rate.value().first;
    limit.period_ns = rate.value().second;
    limit.burst = static_cast<std::uint32_t>(std::min<std::uint64_t>(limit.requests, 1'000'000));
    if (l["burst"]) {
      auto text = scalar(l["burst"], lkey + ".burst");
      if (!text) return text.error();
      char* end = nullptr;
      long long v = std::strtoll(text.value().c_str(), &end, 10);
      if (text.value().empty() || *end != '\0' || v < 1 || v > 1'000'000) {
        return error_at(l["burst"], lkey + ".burst", "expected a number from 1 to 1000000");
      }
      limit.burst = static_cast<std::uint32_t>(v);
    }
    std::vector<std::string> parts = {"ip"};
    if (l["key"]) {
      if (l["key"].IsScalar()) {
        auto one = scalar(l["key"], lkey + ".key");
        if (!one) return one.error();
        parts = {one.value()};
      } else {
        auto list = string_list(l["key"], lkey + ".key");
        if (!list) return list.error();
        parts = list.value();
      }
    }
    if (parts.empty()) return error_at(l["key"], lkey + ".key", "expected at least one key part");
    for (const std::string& part : parts) {
      auto kp = ratelimit::KeyPart::parse(part);
      if (!kp) return error_at(l["key"], lkey + ".key", kp.error().message);
      limit.key.push_back(kp.value());
    }
    if (l["global"]) {
      auto v = scalar(l["global"], lkey + ".global");
      if (!v) return v.error();
      if (v.value() != "true" && v.value() != "false") {
        return error_at(l["global"], lkey + ".global", "expected true or false");
      }
      limit.global = v.value() == "true";
      if (limit.global && !redis_) {
        return error_at(l["global"], lkey + ".global",
                        "a global limit needs a top-level 'redis' (or --redis)");
      }
    }
    if (l["bot_classes"]) {
      auto list = string_list(l["bot_classes"], lkey + ".bot_classes");
      if (!list) return list.error();
      for (const std::string& c : list.value()) {
        bool known = false;
        for (std::size_t i = 0; i < bots::kBotClasses; ++i) {
          known |= c == bots::to_string(static_cast<bots::BotClass>(i));
        }
        if (!known) {
          return error_at(
              l["bot_classes"], lkey + ".bot_classes",
              "unknown class '" + c + "' (expected human, verified_bot, automation, malicious)");
        }
      }
      limit.bot_classes = list.value();
    }
    return limit;
  };
  if (n && !n.IsNull()) {
    if (auto st =
            check_keys(n, key, {"limits", "bot_score_cost", "feedback", "jwt", "response_fields"});
        !st)
      return st.error();
    if (n["response_fields"]) {
      auto v = scalar(n["response_fields"], key + ".response_fields");
      if (!v) return v.error();
      if (v.value() != "true" && v.value() != "false") {
        return error_at(n["response_fields"], key + ".response_fields", "expected true or false");
      }
      config.response_fields = v.value() == "true";
    }
    if (n["jwt"]) {
      if (auto st = compile_jwt(n["jwt"], key + ".jwt", config); !st) return st.error();
    }
    if (const YAML::Node f = n["feedback"]) {
      const std::string fkey = key + ".feedback";
      if (auto st = check_keys(f, fkey, {"anomaly_cost", "error_cost"}); !st) return st.error();
      auto number = [&](const char* name, double hi, double& out) -> Status {
        if (!f[name]) return Ok{};
        auto text = scalar(f[name], fkey + "." + name);
        if (!text) return text.error();
        char* end = nullptr;
        double v = std::strtod(text.value().c_str(), &end);
        if (text.value().empty() || *end != '\0' || !(v >= 0 && v <= hi)) {
          return error_at(f[name], fkey + "." + name,
                          "expected a number from 0 to " + std::to_string(static_cast<int>(hi)));
        }
        out = v;
        return Ok{};
      };
      double error_cost = config.error_cost;
      if (auto st = number("anomaly_cost", 100, config.anomaly_cost); !st) return st.error();
      if (auto st = number("error_cost", 1000, error_cost); !st) return st.error();
      config.error_cost = static_cast<std::uint32_t>(error_cost);
    }
    if (!n["limits"] || !n["limits"].IsSequence() || n["limits"].size() == 0) {
      return error_at(n["limits"] ? n["limits"] : n, key + ".limits", "expected a list of limits");
    }
    if (n["limits"].size() > 16) return error_at(n["limits"], key + ".limits", "at most 16 limits");
    for (std::size_t i = 0; i < n["limits"].size(); ++i) {
      auto l = make_limit(n["limits"][i], key + ".limits[" + std::to_string(i) + "]", i);
      if (!l) return l.error();
      for (const auto& other : config.limits) {
        if (other.name == l.value().name) {
          return error_at(n["limits"][i], key + ".limits[" + std::to_string(i) + "].name",
                          "duplicate limit name '" + other.name + "'");
        }
      }
      config.limits.push_back(std::move(l.value()));
    }
    if (n["bot_score_cost"]) {
      auto text = scalar(n["bot_score_cost"], key + ".bot_score_cost");
      if (!text) return text.error();
      char* end = nullptr;
      double v = std::strtod(text.value().c_str(), &end);
      if (text.value().empty() || *end != '\0' || !(v >= 0 && v <= 100)) {
        return error_at(n["bot_score_cost"], key + ".bot_score_cost",
                        "expected a number from 0 to 100");
      }
      config.bot_score_cost = v;
    }
  } else {
    // --limit RATE/UNIT[,burst=N][,key=K]: each flag one limit of the default policy.
    for (std::size_t i = 0; i < overrides_.limits.size(); ++i) {
      const std::string& spec = overrides_.limits[i];
      YAML::Node l(YAML::NodeType::Map);
      std::size_t start = 0;
      bool first = true;
      std::vector<std::string> keys;
      while (start <= spec.size()) {
        std::size_t comma = spec.find(',', start);
        std::string item =
            spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
        if (first) {
          l["rate"] = item;
          first = false;
        } else if (item.rfind("burst=", 0) == 0) {
          l["burst"] = item.substr(6);
        } else if (item.rfind("key=", 0) == 0) {
          keys.push_back(item.substr(4));
        } else if (item.rfind("name=", 0) == 0) {
          l["name"] = item.substr(5);
        } else if (item == "global") {
          l["global"] = "true";
        } else {
          return Error{"--limit " + spec + ": unknown part '" + item +
                           "' (expected RATE/UNIT[,burst=N][,key=K][,name=NAME][,global])",
                       "", 0, "--limit"};
        }
      }
      for (const std::string& k : keys) l["key"].push_back(k);
      auto limit = make_limit(l, "--limit " + spec, i);
      if (!limit) {
        Error e = limit.error();
        e.key = "--limit " + spec;
        e.line = 0;
        e.file.clear();
        return e;
      }
      config.limits.push_back(std::move(limit.value()));
    }
  }
  for (const auto& limit : config.limits) {
    for (const auto& part : limit.key) {
      if (part.kind != ratelimit::KeyPart::Kind::kOperation || api) continue;
      return error_at(n && n["limits"] ? n["limits"] : YAML::Node(), key + ".limits",
                      "limit '" + limit.name + "': key 'operation' needs this policy's schema");
    }
  }
  if (api) {
    config.operation_of = [api](const Exchange& ex) -> std::string_view {
      schema::RouteMatch m = api->route(ex.method, ex.path);
      if (m.result != schema::RouteMatch::Result::kFound) return {};
      return m.operation->label;
    };
  }
  if (!buckets_) buckets_ = shared_buckets(limiter_capacity_);
  config.table = buckets_;
  const bool any_global = std::any_of(config.limits.begin(), config.limits.end(),
                                      [](const ratelimit::Limit& l) { return l.global; });
  if (any_global) {
    if (!redis_store_) redis_store_ = shared_redis(*redis_);
    config.redis = redis_store_;
  }
  return std::unique_ptr<Stage>(std::make_unique<ratelimit::LimitStage>(std::move(config)));
}

Status Loader::check_bot_limits(const std::vector<std::unique_ptr<Stage>>& stages,
                                const YAML::Node& p, const std::string& where) const {
  const bots::BotStage* bot_stage = nullptr;
  const ratelimit::LimitStage* limit_stage = nullptr;
  for (const auto& s : stages) {
    if (auto* b = dynamic_cast<const bots::BotStage*>(s.get())) bot_stage = b;
    if (auto* l = dynamic_cast<const ratelimit::LimitStage*>(s.get())) limit_stage = l;
  }
  if (bot_stage == nullptr) return Ok{};
  for (std::size_t c = 0; c < bots::kBotClasses; ++c) {
    if (bot_stage->config().actions[c] != bots::BotAction::kLimit) continue;
    const std::string cls(bots::to_string(static_cast<bots::BotClass>(c)));
    bool selected = false;
    if (limit_stage != nullptr) {
      for (const auto& l : limit_stage->config().limits) {
        selected |=
            std::find(l.bot_classes.begin(), l.bot_classes.end(), cls) != l.bot_classes.end();
      }
    }
    if (!selected) {
      const YAML::Node at = p["bots"] && p["bots"]["actions"] ? p["bots"]["actions"][cls] : p;
      return error_at(
          at, where + ".bots.actions." + cls,
          "'limit' needs a limit of this policy's ratelimit with bot_classes: [" + cls + "]");
    }
  }
  return Ok{};
}

// The phrases of a CRS .data file: one per line; '#' starts a comment line.
Result<std::vector<std::string>> Loader::phrase_file(const std::string& dir,
                                                     const char* name) const {
  std::string path = dir + "/" + name;
  std::ifstream in(path);
  if (!in) return Error{"cannot read " + path, source_};
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    out.push_back(line);
  }
  return out;
}

Result<std::unique_ptr<Stage>> Loader::compile_bots(const YAML::Node& n, const std::string& key) {
  bots::BotStageConfig config;
  config.forward_headers = true;
  std::string crs_dir = std::filesystem::is_directory(std::string(kCrsDataDir))
                            ? std::string(kCrsDataDir)
                            : std::string();
  auto list_key = [&](const YAML::Node& node, const std::string& k,
                      std::vector<std::string>& out) -> Status {
    if (!node) return Ok{};
    auto list = string_list(node, k);
    if (!list) return list.error();
    out.insert(out.end(), list.value().begin(), list.value().end());
    return Ok{};
  };
  std::optional<bots::ChallengeConfig> challenge;
  if (n && !n.IsNull()) {
    if (auto st = check_keys(n, key,
                             {"actions", "forward_headers", "user_agents", "crawlers",
                              "fingerprints", "automation_score", "reputation", "challenge"});
        !st) {
      return st.error();
    }
    if (const YAML::Node a = n["actions"]) {
      const std::string akey = key + ".actions";
      if (auto st = check_keys(a, akey, {"human", "verified_bot", "automation", "malicious"}); !st)
        return st.error();
      for (std::size_t c = 0; c < bots::kBotClasses; ++c) {
        const std::string cls(bots::to_string(static_cast<bots::BotClass>(c)));
        if (!a[cls]) continue;
        auto v = scalar(a[cls], akey + "." + cls);
        if (!v) return v.error();
        bool known = false;
        for (auto action :
             {bots::BotAction::kAllow, bots::BotAction::kTag, bots::BotAction::kChallenge,
              bots::BotAction::kBlock, bots::BotAction::kLimit}) {
          if (v.value() == bots::to_string(action)) {
            config.actions[c] = action;
            known = true;
          }
        }
        if (!known) {
          return error_at(a[cls], akey + "." + cls,
                          "expected 'allow', 'tag', 'limit', 'challenge' or 'block'");
        }
      }
    }
    if (n["forward_headers"]) {
      auto v = scalar(n["forward_headers"], key + ".forward_headers");
      if (!v) return v.error();
      if (v.value() != "true" && v.value() != "false") {
        return error_at(n["forward_headers"], key + ".forward_headers", "expected true or false");
      }
      config.forward_headers = v.value() == "true";
    }
    if (const YAML::Node u = n["user_agents"]) {
      const std::string ukey = key + ".user_agents";
      if (auto st = check_keys(u, ukey, {"crs_data", "scanners", "crawlers", "libraries"}); !st)
        return st.error();
      if (u["crs_data"]) {
        auto v = scalar(u["crs_data"], ukey + ".crs_data");
        if (!v) return v.error();
        crs_dir = v.value() == "off" ? std::string() : resolve_path(v.value());
        if (!crs_dir.empty() && !std::filesystem::is_directory(crs_dir)) {
          return error_at(u["crs_data"], ukey + ".crs_data", "no such folder: " + crs_dir);
        }
      }
      auto& c = config.classifier;
      if (auto st = list_key(u["scanners"], ukey + ".scanners", c.scanner_agents); !st)
        return st.error();
      if (auto st = list_key(u["crawlers"], ukey + ".crawlers", c.crawler_agents); !st)
        return st.error();
      if (auto st = list_key(u["libraries"], ukey + ".libraries", c.library_agents); !st)
        return st.error();
    }
    if (const YAML::Node list = n["crawlers"]) {
      if (!list.IsSequence()) return error_at(list, key + ".crawlers", "expected a list");
      for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string ckey = key + ".crawlers[" + std::to_string(i) + "]";
        const YAML::Node c = list[i];
        if (auto st = check_keys(c, ckey, {"name", "user_agents", "ranges"}); !st)
          return st.error();
        bots::VerifiedCrawler crawler;
        auto name = c["name"] ? scalar(c["name"], ckey + ".name")
                              : Result<std::string>(error_at(c, ckey + ".name", "required"));
        if (!name) return name.error();
        crawler.name = name.value();
        if (!c["user_agents"]) return error_at(c, ckey + ".user_agents", "required");
        if (auto st = list_key(c["user_agents"], ckey + ".user_agents", crawler.user_agents); !st)
          return st.error();
        if (!c["ranges"]) return error_at(c, ckey + ".ranges", "required");
        auto ranges = string_list(c["ranges"], ckey + ".ranges");
        if (!ranges) return ranges.error();
        for (std::size_t r = 0; r < ranges->size(); ++r) {
          auto cidr = Cidr::parse((*ranges)[r]);
          if (!cidr) {
            return error_at(c["ranges"][r], ckey + ".ranges[" + std::to_string(r) + "]",
                            cidr.error().message);
          }
          crawler.ranges.push_back(cidr.value());
        }
        config.classifier.crawlers.push_back(std::move(crawler));
      }
    }
    if (const YAML::Node f = n["fingerprints"]) {
      const std::string fkey = key + ".fingerprints";
      if (auto st = check_keys(f, fkey, {"allow", "deny"}); !st) return st.error();
      if (auto st = list_key(f["allow"], fkey + ".allow", config.classifier.allow_fingerprints);
          !st)
        return st.error();
      if (auto st = list_key(f["deny"], fkey + ".deny", config.classifier.deny_fingerprints); !st)
        return st.error();
    }
    auto number = [&](const YAML::Node& node, const std::string& k, double lo, double hi,
                      double& out) -> Status {
      if (!node) return Ok{};
      auto text = scalar(node, k);
      if (!text) return text.error();
      char* end = nullptr;
      double v = std::strtod(text.value().c_str(), &end);
      if (text.value().empty() || *end != '\0' || !(v >= lo && v <= hi)) {
        std::ostringstream msg;
        msg << "expected a number from " << lo << " to " << hi;
        return error_at(node, k, msg.str());
      }
      out = v;
      return Ok{};
    };
    double automation = config.classifier.automation_score;
    if (auto st = number(n["automation_score"], key + ".automation_score", 1, 100, automation); !st)
      return st.error();
    config.classifier.automation_score = static_cast<int>(automation);
    if (const YAML::Node r = n["reputation"]) {
      const std::string rkey = key + ".reputation";
      if (auto st = check_keys(r, rkey, {"max_request_rate", "max_error_ratio", "min_requests"});
          !st)
        return st.error();
      auto& c = config.classifier;
      if (auto st =
              number(r["max_request_rate"], rkey + ".max_request_rate", 0, 1e9, c.max_request_rate);
          !st)
        return st.error();
      if (auto st =
              number(r["max_error_ratio"], rkey + ".max_error_ratio", 0.01, 1, c.max_error_ratio);
          !st)
        return st.error();
      if (auto st = number(r["min_requests"], rkey + ".min_requests", 1, 1e9, c.min_requests); !st)
        return st.error();
    }
    if (const YAML::Node ch = n["challenge"]) {
      const std::string ckey = key + ".challenge";
      if (auto st = check_keys(ch, ckey,
                               {"secrets", "secret_file", "difficulty", "ttl", "cookie", "status"});
          !st)
        return st.error();
      bots::ChallengeConfig cc;
      if (auto st = list_key(ch["secrets"], ckey + ".secrets", cc.secrets); !st) return st.error();
      if (ch["secret_file"]) {
        auto file = scalar(ch["secret_file"], ckey + ".secret_file");
        if (!file) return file.error();
        std::ifstream in(resolve_path(file.value()));
        std::string line;
        if (!in) return error_at(ch["secret_file"], ckey + ".secret_file", "cannot read the file");
        // One secret per line, the signing one first.
        while (std::getline(in, line)) {
          while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
          if (!line.empty()) cc.secrets.push_back(line);
        }
      }
      for (const std::string& secret : cc.secrets) {
        if (secret.size() < 16) {
          return error_at(ch, ckey + ".secrets", "every secret needs at least 16 characters");
        }
      }
      double difficulty = cc.difficulty;
      if (auto st = number(ch["difficulty"], ckey + ".difficulty", 1, 32, difficulty); !st)
        return st.error();
      cc.difficulty = static_cast<unsigned>(difficulty);
      if (ch["ttl"]) {
        auto text = scalar(ch["ttl"], ckey + ".ttl");
        if (!text) return text.error();
        auto d = parse_duration(text.value());
        if (!d || d.value() < std::chrono::seconds(10) || d.value() > std::chrono::hours(24 * 30)) {
          return error_at(ch["ttl"], ckey + ".ttl", "expected a duration from 10s to 30 days");
        }
        cc.ttl_s = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(d.value()).count());
      }
      if (ch["cookie"]) {
        auto v = scalar(ch["cookie"], ckey + ".cookie");
        if (!v) return v.error();
        bool token = !v.value().empty();
        for (char c : v.value())
          token &= std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        if (!token)
          return error_at(ch["cookie"], ckey + ".cookie",
                          "expected a cookie name (letters, digits, _ and -)");
        cc.cookie = v.value();
      }
      double status = config.challenge_status;
      if (auto st = number(ch["status"], ckey + ".status", 200, 403, status); !st)
        return st.error();
      config.challenge_status = static_cast<std::uint16_t>(status);
      if (config.challenge_status != 200 && config.challenge_status != 401 &&
          config.challenge_status != 403) {
        return error_at(ch["status"], ckey + ".status", "expected 200, 401 or 403");
      }
      challenge = std::move(cc);
    }
  }
  bool challenges = false;
  for (auto a : config.actions) challenges |= a == bots::BotAction::kChallenge;
  if (challenges) {
    if (!challenge) challenge.emplace();
    if (challenge->secrets.empty()) {
      // No secret configured: one for this process, so passes end with it and are not shared
      // between replicas (docs/bots.md says to configure one for that).
      unsigned char random[32];
      if (RAND_bytes(random, sizeof random) != 1)
        return Error{"no randomness for a challenge secret", source_, 0, key};
      std::string secret;
      for (unsigned char b : random) {
        static constexpr char kHex[] = "0123456789abcdef";
        secret += kHex[b >> 4];
        secret += kHex[b & 0xf];
      }
      static const std::string process_secret = secret;
      challenge->secrets.push_back(process_secret);
    }
    config.challenge = std::move(challenge);
  }
  if (!crs_dir.empty()) {
    auto& c = config.classifier;
    for (auto [file, out] : {std::pair{"scanners-user-agents.data", &c.scanner_agents},
                             {"crawlers-user-agents.data", &c.crawler_agents},
                             {"scripting-user-agents.data", &c.library_agents}}) {
      auto phrases = phrase_file(crs_dir, file);
      if (!phrases)
        return Error{phrases.error().message, source_, 0, key + ".user_agents.crs_data"};
      out->insert(out->end(), phrases.value().begin(), phrases.value().end());
    }
  }
  if (!reputation_) reputation_ = shared_reputation(reputation_capacity_, reputation_window_s_);
  config.reputation = reputation_;
  return std::unique_ptr<Stage>(std::make_unique<bots::BotStage>(std::move(config)));
}

// A path in the config is relative to the config file's folder.
std::string Loader::resolve_path(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || source_.empty() || !std::filesystem::is_regular_file(source_)) return path;
  return (std::filesystem::path(source_).parent_path() / p).lexically_normal().string();
}

Result<std::unique_ptr<Stage>> Loader::compile_schema(const YAML::Node& n, const std::string& key) {
  schema::SchemaStageConfig config;
  schema::OpenApiOptions api_options;
  std::string file = overrides_.openapi;
  if (n && !n.IsNull()) {
    if (auto st = check_keys(n, key,
                             {"openapi", "unknown_paths", "additional_properties", "formats",
                              "max_body", "max_violations", "allow_content_types", "mode"});
        !st) {
      return st.error();
    }
    if (!n["openapi"]) return error_at(n, key + ".openapi", "required: the OpenAPI document");
    auto f = scalar(n["openapi"], key + ".openapi");
    if (!f) return f.error();
    file = resolve_path(f.value());
    auto choice = [&](const char* name, std::initializer_list<const char*> allowed,
                      std::string& out) -> Status {
      if (!n[name]) return Ok{};
      auto v = scalar(n[name], key + "." + name);
      if (!v) return v.error();
      std::string list;
      for (const char* a : allowed) {
        if (v.value() == a) {
          out = v.value();
          return Ok{};
        }
        list += list.empty() ? std::string("'") + a + "'" : std::string(", '") + a + "'";
      }
      return error_at(n[name], key + "." + name, "expected one of " + list);
    };
    std::string unknown = "reject", additional = "strict", formats = "assert", mode = "block";
    if (auto st = choice("unknown_paths", {"reject", "forbid", "pass"}, unknown); !st) {
      return st.error();
    }
    if (auto st = choice("additional_properties", {"strict", "as_written"}, additional); !st) {
      return st.error();
    }
    if (auto st = choice("formats", {"assert", "ignore"}, formats); !st) return st.error();
    if (auto st = choice("mode", {"block", "detect"}, mode); !st) return st.error();
    config.unknown_path = unknown == "reject"   ? schema::SchemaStageConfig::UnknownPath::kNotFound
                          : unknown == "forbid" ? schema::SchemaStageConfig::UnknownPath::kForbidden
                                                : schema::SchemaStageConfig::UnknownPath::kPass;
    api_options.strict_additional_properties = additional == "strict";
    api_options.assert_formats = formats == "assert";
    config.detect = mode == "detect";
    if (n["max_body"]) {
      auto text = scalar(n["max_body"], key + ".max_body");
      if (!text) return text.error();
      auto v = parse_size(text.value());
      if (!v || v.value() < 1 || v.value() > (64u << 20)) {
        return error_at(n["max_body"], key + ".max_body", "expected a size from 1B to 64MiB");
      }
      config.max_body = v.value();
    }
    if (n["max_violations"]) {
      auto text = scalar(n["max_violations"], key + ".max_violations");
      if (!text) return text.error();
      char* end = nullptr;
      long v = std::strtol(text.value().c_str(), &end, 10);
      if (text.value().empty() || *end != '\0' || v < 1 || v > 100) {
        return error_at(n["max_violations"], key + ".max_violations",
                        "expected a number from 1 to 100");
      }
      config.max_violations = static_cast<std::size_t>(v);
    }
    if (n["allow_content_types"]) {
      auto list = string_list(n["allow_content_types"], key + ".allow_content_types");
      if (!list) return list.error();
      for (std::string t : list.value()) {
        for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        config.allow_content_types.push_back(std::move(t));
      }
    }
  }
  auto api = schema::OpenApi::load(file, api_options);
  if (!api) {
    Error e = api.error();
    if (e.key.empty()) e.key = key + ".openapi";
    return e;
  }
  config.api = std::move(api.value());
  return std::unique_ptr<Stage>(std::make_unique<schema::SchemaStage>(std::move(config)));
}

Result<std::unique_ptr<Stage>> Loader::compile_waf(const YAML::Node& w, const std::string& key) {
  waf::WafConfig config;
  if (w && !w.IsNull()) {
    if (auto st = check_keys(
            w, key,
            {"rules", "inline", "paranoia", "inbound_threshold", "outbound_threshold", "mask"});
        !st) {
      return st.error();
    }
    if (w["rules"]) {
      std::vector<std::string> files;
      if (w["rules"].IsScalar()) {
        auto one = scalar(w["rules"], key + ".rules");
        if (!one) return one.error();
        files.push_back(one.value());
      } else {
        auto list = string_list(w["rules"], key + ".rules");
        if (!list) return list.error();
        files = std::move(list.value());
      }
      for (const std::string& f : files) config.rule_files.push_back(resolve_path(f));
    }
    if (w["inline"]) {
      auto text = scalar(w["inline"], key + ".inline");
      if (!text) return text.error();
      config.inline_rules = text.value();
      config.inline_origin = source_ + ":" + key + ".inline";
    }
    auto int_key = [&](const char* name, int lo, int hi, int& out) -> Status {
      if (!w[name]) return Ok{};
      auto text = scalar(w[name], key + "." + name);
      if (!text) return text.error();
      char* end = nullptr;
      long v = std::strtol(text.value().c_str(), &end, 10);
      if (text.value().empty() || *end != '\0' || v < lo || v > hi) {
        return error_at(
            w[name], key + "." + name,
            "expected a number from " + std::to_string(lo) + " to " + std::to_string(hi));
      }
      out = static_cast<int>(v);
      return Ok{};
    };
    if (auto st = int_key("paranoia", 1, 4, config.paranoia); !st) return st.error();
    if (auto st = int_key("inbound_threshold", 1, 100000, config.inbound_threshold); !st) {
      return st.error();
    }
    if (auto st = int_key("outbound_threshold", 1, 100000, config.outbound_threshold); !st) {
      return st.error();
    }
    if (w["mask"]) {
      auto list = string_list(w["mask"], key + ".mask");
      if (!list) return list.error();
      config.mask = std::move(list.value());
    }
  }
  if (!overrides_.rules.empty()) config.rule_files = overrides_.rules;
  if (overrides_.paranoia > 0) config.paranoia = overrides_.paranoia;
  if (config.rule_files.empty() && config.inline_rules.empty()) {
    return error_at(w, key + ".rules", "a WAF needs rule files or inline rules");
  }
  auto stage = waf::make_waf_stage(config);
  if (!stage) {
    Error e = stage.error();
    if (e.file.empty()) {
      e.file = source_;
      e.key = key;
    }
    return e;
  }
  for (const std::string& w2 : stage.value()->rules().warnings) waf_warnings_.push_back(w2);
  return std::unique_ptr<Stage>(std::move(stage.value()));
}

Status Loader::compile_upstreams(const YAML::Node& node, Snapshot& snap) const {
  if (!node.IsSequence() || node.size() == 0) {
    return error_at(node, "upstreams", "expected a non-empty list");
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node u = node[i];
    std::string where = "upstreams[" + std::to_string(i) + "]";
    if (auto st = check_keys(u, where,
                             {"name", "endpoints", "max_idle", "protocol", "tls", "concurrency"});
        !st) {
      return st;
    }
    Upstream up;
    if (!u["name"]) return error_at(u, where + ".name", "required");
    auto name = scalar(u["name"], where + ".name");
    if (!name) return name.error();
    up.name = name.value();
    for (const auto& other : snap.upstreams) {
      if (other.name == up.name) {
        return error_at(u["name"], where + ".name", "duplicate upstream name '" + up.name + "'");
      }
    }
    const YAML::Node eps = u["endpoints"];
    if (!eps || !eps.IsSequence() || eps.size() == 0) {
      return error_at(eps ? eps : u, where + ".endpoints",
                      "expected a non-empty list of host:port");
    }
    for (std::size_t j = 0; j < eps.size(); ++j) {
      auto addr = address(eps[j], where + ".endpoints[" + std::to_string(j) + "]");
      if (!addr) return addr.error();
      up.endpoints.push_back(std::move(addr.value()));
    }
    if (u["protocol"]) {
      auto text = scalar(u["protocol"], where + ".protocol");
      if (!text) return text.error();
      if (text.value() == "h2c") {
        up.protocol = UpstreamProtocol::kH2c;
      } else if (text.value() == "h2") {
        up.protocol = UpstreamProtocol::kH2;
      } else if (text.value() != "http1") {
        return error_at(u["protocol"], where + ".protocol", "expected 'http1', 'h2c' or 'h2'");
      }
    }
    if (const YAML::Node t = u["tls"]) {
      std::string tkey = where + ".tls";
      if (up.protocol == UpstreamProtocol::kH2c) {
        return error_at(t, tkey, "h2c is cleartext: use 'protocol: h2' for HTTP/2 over TLS");
      }
      if (auto st = check_keys(t, tkey, {"ca", "cert", "key", "server_name", "verify"}); !st) {
        return st;
      }
      TlsClientSettings settings;
      if (up.protocol == UpstreamProtocol::kHttp1) settings.alpn = {"http/1.1"};
      std::string verify = "true";
      for (auto [name, out] : {std::pair<const char*, std::string*>{"ca", &settings.ca},
                               {"cert", &settings.cert_file},
                               {"key", &settings.key_file},
                               {"server_name", &up.server_name},
                               {"verify", &verify}}) {
        if (!t[name]) continue;
        auto v = scalar(t[name], tkey + "." + name);
        if (!v) return v.error();
        *out = v.value();
      }
      if (verify != "true" && verify != "false") {
        return error_at(t["verify"], tkey + ".verify", "expected true or false");
      }
      settings.verify = verify == "true";
      up.identity =
          "tls " + settings.ca + "|" + settings.cert_file + "|" + settings.key_file + "|" + verify;
      auto ctx = TlsClientContext::build(settings);
      if (!ctx) {
        const Error& e = ctx.error();
        return error_at(t[e.key].IsDefined() ? t[e.key] : t,
                        tkey + (e.key.empty() ? "" : "." + e.key), e.message);
      }
      up.tls = ctx.value();
    }
    if (up.protocol == UpstreamProtocol::kH2 && !up.tls) {
      up.identity = "tls system";
      auto ctx = TlsClientContext::build({});
      if (!ctx) return error_at(u, where + ".tls", ctx.error().message);
      up.tls = ctx.value();
    }
    if (const YAML::Node c = u["concurrency"]) {
      const std::string ckey = where + ".concurrency";
      if (auto st =
              check_keys(c, ckey, {"initial", "min", "max", "tolerance", "backoff", "retry_after"});
          !st) {
        return st;
      }
      ratelimit::ConcurrencyOptions options;
      auto number = [&](const char* name, double lo, double hi, double& out) -> Status {
        if (!c[name]) return Ok{};
        auto text = scalar(c[name], ckey + "." + name);
        if (!text) return text.error();
        char* end = nullptr;
        double v = std::strtod(text.value().c_str(), &end);
        if (text.value().empty() || *end != '\0' || !(v >= lo && v <= hi)) {
          std::ostringstream range;
          range << "expected a number from " << lo << " to " << hi;
          return error_at(c[name], ckey + "." + name, range.str());
        }
        out = v;
        return Ok{};
      };
      if (auto st = number("min", 1, 100000, options.min); !st) return st;
      if (auto st = number("max", 1, 100000, options.max); !st) return st;
      options.initial = std::clamp(options.initial, options.min, options.max);
      if (auto st = number("initial", options.min, options.max, options.initial); !st) return st;
      if (auto st = number("tolerance", 1, 10, options.tolerance); !st) return st;
      if (auto st = number("backoff", 0.5, 1, options.backoff); !st) return st;
      if (options.min > options.max) {
        return error_at(c, ckey + ".min", "min is larger than max");
      }
      if (c["retry_after"]) {
        auto text = scalar(c["retry_after"], ckey + ".retry_after");
        if (!text) return text.error();
        auto d = parse_duration(text.value());
        if (!d || d.value() < std::chrono::seconds(1) || d.value() > std::chrono::hours(1)) {
          return error_at(c["retry_after"], ckey + ".retry_after",
                          "expected a duration from 1s to 1h");
        }
        options.retry_after_s = static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::seconds>(d.value()).count());
      }
      up.concurrency = options;
    }
    if (u["max_idle"]) {
      auto text = scalar(u["max_idle"], where + ".max_idle");
      if (!text) return text.error();
      auto v = parse_size(text.value());
      if (!v || v.value() > 100000) {
        return error_at(u["max_idle"], where + ".max_idle", "expected an integer 0..100000");
      }
      up.max_idle = v.value();
    }
    snap.upstreams.push_back(std::move(up));
  }
  return Ok{};
}

Status Loader::compile_routes(const YAML::Node& node, Snapshot& snap) const {
  if (!node.IsSequence() || node.size() == 0) {
    return error_at(node, "routes", "expected a non-empty list");
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node r = node[i];
    std::string where = "routes[" + std::to_string(i) + "]";
    if (auto st = check_keys(r, where, {"name", "host", "path_prefix", "upstream", "policy"});
        !st) {
      return st;
    }
    Route route;
    route.id = where;
    if (r["name"]) {
      auto name = scalar(r["name"], where + ".name");
      if (!name) return name.error();
      route.id = name.value();
    }
    if (r["host"]) {
      auto host = scalar(r["host"], where + ".host");
      if (!host) return host.error();
      route.host = HostPattern::parse(host.value());
    }
    if (r["path_prefix"]) {
      auto prefix = scalar(r["path_prefix"], where + ".path_prefix");
      if (!prefix) return prefix.error();
      if (prefix.value().empty() || prefix.value().front() != '/') {
        return error_at(r["path_prefix"], where + ".path_prefix", "must start with '/'");
      }
      route.path_prefix = prefix.value();
    }
    if (!r["upstream"]) return error_at(r, where + ".upstream", "required");
    auto upstream = scalar(r["upstream"], where + ".upstream");
    if (!upstream) return upstream.error();
    auto it = std::find_if(snap.upstreams.begin(), snap.upstreams.end(),
                           [&](const Upstream& u) { return u.name == upstream.value(); });
    if (it == snap.upstreams.end()) {
      return error_at(r["upstream"], where + ".upstream",
                      "no upstream named '" + upstream.value() + "'");
    }
    route.upstream = static_cast<std::size_t>(it - snap.upstreams.begin());
    std::string policy = "default";
    if (r["policy"]) {
      auto p = scalar(r["policy"], where + ".policy");
      if (!p) return p.error();
      policy = p.value();
    }
    auto pit = policies_.find(policy);
    if (pit == policies_.end()) {
      return error_at(r["policy"], where + ".policy", "no policy named '" + policy + "'");
    }
    route.pipeline = pit->second;
    snap.routes.push_back(std::move(route));
  }
  return Ok{};
}

Status Loader::apply_upstream_override(Snapshot& snap) const {
  Upstream up;
  up.name = "upstream";
  for (const std::string& url : overrides_.upstream) {
    std::string_view rest = url;
    UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
    bool tls = false;
    if (rest.substr(0, 5) == "h2://") {
      rest.remove_prefix(5);
      protocol = UpstreamProtocol::kH2;
      tls = true;
    } else if (rest.substr(0, 8) == "https://") {
      rest.remove_prefix(8);
      tls = true;
    } else if (rest.substr(0, 7) == "http://") {
      rest.remove_prefix(7);
    } else if (rest.substr(0, 6) == "h2c://") {
      rest.remove_prefix(6);
      protocol = UpstreamProtocol::kH2c;
    }
    if (!up.endpoints.empty() && (protocol != up.protocol || tls != (up.tls != nullptr))) {
      return Error{"--upstream: every upstream URL must use the same scheme", "", 0, "--upstream"};
    }
    up.protocol = protocol;
    if (tls && !up.tls) {
      up.identity = "tls system";
      TlsClientSettings settings;
      if (protocol == UpstreamProtocol::kHttp1) settings.alpn = {"http/1.1"};
      auto ctx = TlsClientContext::build(settings);
      if (!ctx) return Error{ctx.error().message, "", 0, "--upstream"};
      up.tls = ctx.value();
    }
    if (tls) {
      // The certificate is checked against the name given, not the address it resolves to.
      auto hp = split_host_port(rest);
      if (hp && !parse_ip(hp.value().first)) up.server_name = hp.value().first;
    }
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    if (rest.find('/') != std::string_view::npos) {
      return Error{"--upstream " + url + ": a path is not supported, give http://host:port", "", 0,
                   "--upstream"};
    }
    auto addr = resolve(rest);
    if (!addr) return Error{"--upstream " + url + ": " + addr.error().message, "", 0, "--upstream"};
    up.endpoints.push_back(std::move(addr.value()));
  }
  snap.upstreams.clear();
  snap.upstreams.push_back(std::move(up));
  snap.routes.clear();
  Route route;
  route.id = "upstream";
  route.pipeline = policies_.at("default");
  snap.routes.push_back(std::move(route));
  snap.demo_upstream.reset();
  return Ok{};
}

Result<std::shared_ptr<const Snapshot>> Loader::load(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Error{e.msg, source_, e.mark.line >= 0 ? e.mark.line + 1 : 0, ""};
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (auto st = check_keys(root, "",
                           {"workers", "listen", "demo_upstream", "admin", "logging",
                            "trusted_proxies", "limits", "http2", "timeouts", "upstreams", "routes",
                            "policies", "bot_reputation", "limiter", "redis"});
      !st) {
    return st.error();
  }
  auto snap = std::make_shared<Snapshot>();
  snap->source = source_;
  if (root["workers"]) {
    auto text = scalar(root["workers"], "workers");
    if (!text) return text.error();
    int n = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || ptr != text->data() + text->size() || n < 1 || n > 1024) {
      return error_at(root["workers"], "workers", "expected an integer 1..1024");
    }
    snap->workers = n;
  }
  if (root["listen"]) {
    const YAML::Node l = root["listen"];
    if (!l.IsSequence() || l.size() == 0) return error_at(l, "listen", "expected a non-empty list");
    for (std::size_t i = 0; i < l.size(); ++i) {
      auto lis = listener(l[i], "listen[" + std::to_string(i) + "]");
      if (!lis) return lis.error();
      snap->listen.push_back(std::move(lis.value()));
    }
  } else {
    snap->listen.push_back(Listener{SocketAddress{"127.0.0.1", 8080}, nullptr});
  }
  if (root["demo_upstream"]) {
    auto addr = address(root["demo_upstream"], "demo_upstream");
    if (!addr) return addr.error();
    snap->demo_upstream = std::move(addr.value());
  }
  if (const YAML::Node a = root["admin"]) {
    if (auto st = check_keys(a, "admin", {"address", "token"}); !st) return st.error();
    if (a["address"]) {
      auto text = scalar(a["address"], "admin.address");
      if (!text) return text.error();
      if (text.value() == "off") {
        snap->admin.reset();
      } else {
        auto addr = address(a["address"], "admin.address");
        if (!addr) return addr.error();
        snap->admin = std::move(addr.value());
      }
    }
    if (a["token"]) {
      auto token = scalar(a["token"], "admin.token");
      if (!token) return token.error();
      snap->admin_token = token.value();
    }
  }
  if (const YAML::Node l = root["logging"]) {
    if (auto st = check_keys(l, "logging", {"events", "access"}); !st) return st.error();
    for (auto [name, out] : {std::pair<const char*, std::string*>{"events", &snap->events_log},
                             {"access", &snap->access_log}}) {
      if (!l[name]) continue;
      auto v = scalar(l[name], std::string("logging.") + name);
      if (!v) return v.error();
      if (v.value().empty()) return error_at(l[name], std::string("logging.") + name, "empty");
      *out = v.value();
    }
  }
  if (!overrides_.admin.empty()) {
    if (overrides_.admin == "off") {
      snap->admin.reset();
    } else {
      auto addr = resolve(overrides_.admin);
      if (!addr)
        return Error{"--admin " + overrides_.admin + ": " + addr.error().message, "", 0, "--admin"};
      snap->admin = std::move(addr.value());
    }
  }
  if (!overrides_.events.empty()) snap->events_log = overrides_.events;
  if (!overrides_.access_log.empty()) snap->access_log = overrides_.access_log;
  if (root["trusted_proxies"]) {
    auto list = string_list(root["trusted_proxies"], "trusted_proxies");
    if (!list) return list.error();
    for (std::size_t i = 0; i < list->size(); ++i) {
      auto cidr = Cidr::parse((*list)[i]);
      if (!cidr) {
        return error_at(root["trusted_proxies"][i], "trusted_proxies[" + std::to_string(i) + "]",
                        cidr.error().message);
      }
      snap->trusted_proxies.push_back(cidr.value());
    }
  }
  if (root["limits"]) {
    if (auto st = compile_limits(root["limits"], snap->limits); !st) return st.error();
  }
  if (root["http2"]) {
    if (auto st = compile_http2(root["http2"], snap->http2); !st) return st.error();
  }
  if (root["timeouts"]) {
    if (auto st = compile_timeouts(root["timeouts"], snap->timeouts); !st) return st.error();
  }
  // The flag wins over the file.
  if (!overrides_.drain_timeout.empty()) {
    auto d = parse_duration(overrides_.drain_timeout);
    if (!d || d.value() > std::chrono::hours(1)) {
      return Error{"--drain-timeout " + overrides_.drain_timeout +
                       ": expected a duration up to 1h (e.g. 10s)",
                   "", 0, "--drain-timeout"};
    }
    snap->timeouts.drain = d.value();
  }
  trusted_proxies_ = snap->trusted_proxies;
  if (root["limiter"]) {
    if (auto st = compile_limiter(root["limiter"]); !st) return st.error();
  }
  if (root["bot_reputation"]) {
    if (auto st = compile_bot_reputation(root["bot_reputation"]); !st) return st.error();
  }
  if (root["redis"] || !overrides_.redis.empty()) {
    if (auto st = compile_redis(root["redis"]); !st) return st.error();
  }
  if (auto st = compile_policies(root["policies"]); !st) return st.error();
  snap->waf_warnings = waf_warnings_;

  if (!overrides_.upstream.empty()) {
    if (auto st = apply_upstream_override(*snap); !st) return st.error();
  } else {
    if (!root["upstreams"]) return error_at(root, "upstreams", "required (or give --upstream)");
    if (auto st = compile_upstreams(root["upstreams"], *snap); !st) return st.error();
    if (!root["routes"]) return error_at(root, "routes", "required");
    if (auto st = compile_routes(root["routes"], *snap); !st) return st.error();
  }
  if (!overrides_.listen.empty()) {
    snap->listen.clear();
    for (const std::string& text : overrides_.listen) {
      auto addr = resolve(text);
      if (!addr) return Error{"--listen " + text + ": " + addr.error().message, "", 0, "--listen"};
      snap->listen.push_back(Listener{std::move(addr.value()), nullptr});
    }
  }
  if (!overrides_.tls_cert.empty() || !overrides_.tls_key.empty()) {
    if (overrides_.tls_cert.empty() || overrides_.tls_key.empty()) {
      return Error{"--tls-cert and --tls-key go together", "", 0, "--tls-cert"};
    }
    TlsSettings settings;
    settings.certificates.push_back({overrides_.tls_cert, overrides_.tls_key, {}});
    auto ctx = TlsServerContext::build(settings);
    if (!ctx) return Error{ctx.error().message, "", 0, "--tls-cert"};
    for (Listener& l : snap->listen) l.tls = ctx.value();
  }
  if (overrides_.workers > 0) snap->workers = overrides_.workers;
  assign_labels(*snap);
  snap->hash = content_hash(yaml);
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

namespace {

void assign_labels(Snapshot& snap) {
  for (Listener& l : snap.listen) l.slot = label_slot(LabelKind::kListener, l.address.to_string());
  for (Route& r : snap.routes) r.slot = label_slot(LabelKind::kRoute, r.id);
  for (Upstream& u : snap.upstreams) {
    u.slot = label_slot(LabelKind::kUpstream, u.name);
    std::string id = std::to_string(static_cast<int>(u.protocol)) + "|" + u.server_name + "|";
    for (const SocketAddress& ep : u.endpoints) id += ep.to_string() + ",";
    u.identity = id + "|" + u.identity;  // the TLS settings, set while compiling
  }
}

}  // namespace

std::string content_hash(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

Result<std::shared_ptr<const Snapshot>> load_string(std::string_view yaml, std::string source,
                                                    const Overrides& overrides) {
  if (!overrides.mode.empty() && overrides.mode != "block" && overrides.mode != "detect") {
    return Error{"--mode must be 'block' or 'detect'", "", 0, "--mode"};
  }
  Loader loader(std::move(source), overrides);
  try {
    return loader.load(yaml);
  } catch (const YAML::Exception& e) {
    return Error{e.msg, "", e.mark.line >= 0 ? e.mark.line + 1 : 0, ""};
  }
}

Result<std::shared_ptr<const Snapshot>> load_file(const std::string& path,
                                                  const Overrides& overrides) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot open file: " + std::string(std::strerror(errno)), path};
  std::stringstream text;
  text << in.rdbuf();
  return load_string(text.str(), path, overrides);
}

}  // namespace portcullis::config
