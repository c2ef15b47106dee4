// Snapshot: one compiled, immutable configuration. Workers load the current snapshot once per
// request and keep it to the end of that request; a reload publishes a new one by swapping a
// pointer, so a snapshot is never changed after it is built. Safe for concurrent use by
// multiple threads.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/tls.h"
#include "core/clock.h"
#include "core/host_pattern.h"
#include "core/ip.h"
#include "core/pipeline.h"
#include "ratelimit/concurrency_limit.h"

namespace portcullis::config {

// host:port where host is a numeric IPv4/IPv6 address (names are resolved when loading).
struct SocketAddress {
  std::string ip;
  std::uint16_t port = 0;
  std::string to_string() const;  // "1.2.3.4:80", "[::1]:80"
};

// A data-plane listener: plain (HTTP/1.1) or TLS.
struct Listener {
  SocketAddress address;
  std::shared_ptr<const TlsServerContext> tls;  // null: plain
  std::uint16_t slot = 0;                       // metric label slot (config/labels.h)
};

struct Limits {
  std::size_t header_bytes = 32 * 1024;
  std::size_t header_count = 100;
  std::size_t uri_bytes = 8 * 1024;
  std::uint64_t body_bytes = 10ull * 1024 * 1024;  // 0 = no limit
  std::size_t response_header_bytes = 64 * 1024;
};

struct Timeouts {
  Duration header = std::chrono::seconds(10);
  Duration idle = std::chrono::seconds(60);
  Duration body = std::chrono::seconds(30);
  Duration upstream_connect = std::chrono::seconds(5);
  Duration upstream_response = std::chrono::seconds(60);
  Duration tunnel_idle = std::chrono::minutes(5);
  Duration drain = std::chrono::seconds(10);
};

// HTTP/2 server settings and flood protections (docs/config.md "http2").
struct Http2 {
  std::uint32_t max_concurrent_streams = 128;
  std::uint32_t initial_stream_window = 256 * 1024;
  std::uint32_t connection_window = 1024 * 1024;
  std::size_t max_continuations = 8;       // CONTINUATION frames per header block
  std::uint64_t reset_burst = 1000;        // RST_STREAM token bucket (CVE-2023-44487)
  std::uint64_t reset_rate = 33;           // refill per second
  std::size_t max_empty_data_frames = 64;  // per connection, without END_STREAM
  std::size_t max_settings_entries = 32;   // per SETTINGS frame
};

enum class UpstreamProtocol : std::uint8_t {
  kHttp1,  // HTTP/1.1 keep-alive pool
  kH2c,    // one multiplexed cleartext HTTP/2 connection per worker (gRPC)
  kH2,     // the same over TLS (ALPN h2), verified against `tls`
};

struct Upstream {
  std::string name;
  UpstreamProtocol protocol = UpstreamProtocol::kHttp1;
  std::vector<SocketAddress> endpoints;
  std::shared_ptr<const TlsClientContext> tls;  // set for kH2
  std::string server_name;  // SNI and the name the certificate must carry; empty: the IP
  std::size_t max_idle = 64;
  // Adaptive concurrency limit (ratelimit/concurrency_limit.h); nullopt: none.
  std::optional<ratelimit::ConcurrencyOptions> concurrency;
  std::uint16_t slot = 0;  // metric label slot (config/labels.h)
  // Equal for two upstreams (of two snapshots) whose connections are interchangeable: same
  // protocol, endpoints and TLS settings. A reload keeps the idle connections of those.
  std::string identity;
};

struct Route {
  std::string id;                   // "routes[N]" or the route's name
  std::optional<HostPattern> host;  // nullopt: any host
  std::string path_prefix = "/";
  std::size_t upstream = 0;                  // index into Snapshot::upstreams
  std::shared_ptr<const Pipeline> pipeline;  // the route's policy, compiled
  std::uint16_t slot = 0;                    // metric label slot (config/labels.h)
};

struct Snapshot {
  std::string source;  // file name, or "<embedded default>" / "<command line>"
  std::string hash;    // first 16 hex digits of the SHA-256 of the config text
  // What the WAF rules asked for that the engine accepts without effect, one line each
  // ("FILE:LINE: what"): printed at load and counted in portcullis_waf_load_warnings.
  std::vector<std::string> waf_warnings;
  int workers = 0;  // 0 = number of cores
  std::vector<Listener> listen;
  std::optional<SocketAddress> demo_upstream;
  // Admin listener (docs/admin-api.md); nullopt: off. The token, when set, is required as
  // "Authorization: Bearer TOKEN" by the endpoints that change things.
  std::optional<SocketAddress> admin = SocketAddress{"127.0.0.1", 9901};
  std::string admin_token;
  // Security event log and access log targets: "-" (stdout), "stderr", "off" or a file.
  std::string events_log = "-";
  std::string access_log = "off";
  std::vector<Cidr> trusted_proxies;
  Limits limits;
  Timeouts timeouts;
  Http2 http2;
  std::vector<Upstream> upstreams;
  std::vector<Route> routes;

  // First route matching `host` (without port) and `path`, or nullptr.
  const Route* match(std::string_view host, std::string_view path) const noexcept;
  bool is_trusted(const std::array<std::uint8_t, 16>& addr) const noexcept;
};

}  // namespace portcullis::config
