// Loading a configuration: YAML text → validated, compiled Snapshot. Control plane only.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/snapshot.h"
#include "core/result.h"

namespace portcullis::config {

// The configuration used when no file is given (docs/config.md "Embedded default").
extern const std::string_view kEmbeddedDefault;

// Overrides from the command line, applied after the file is read and before it compiles.
struct Overrides {
  std::vector<std::string> listen;    // replaces `listen` when not empty
  std::vector<std::string> upstream;  // http://host:port; replaces upstreams and routes
  int workers = 0;                    // 0 = keep
  std::string mode;                   // "", "block" or "detect": every policy's mode
  std::string tls_cert;               // with tls_key: every listener is TLS with this pair
  std::string tls_key;
  std::string admin;                // "" = keep; "off" or HOST:PORT
  std::string events;               // "" = keep; "-" (stdout), "stderr", "off" or a file
  std::string access_log;           // "" = keep; as `events`
  std::vector<std::string> rules;   // --rules: every policy runs the WAF with these rule files
  int paranoia = 0;                 // --paranoia: 1..4 for every WAF stage; 0 = keep
  std::string openapi;              // --openapi: the default policy validates against this API
  std::string bots;                 // --bots: "" (keep), "on" or "off" (docs/bots.md)
  std::vector<std::string> limits;  // --limit RATE/UNIT[,burst=N][,key=K]: the default policy's
  std::string redis;                // --redis HOST:PORT: where global limits keep their buckets
  std::string drain_timeout;        // --drain-timeout DURATION: timeouts.drain
};

// Parses and compiles `yaml`; `source` names it in errors. Errors carry the file, line and key.
Result<std::shared_ptr<const Snapshot>> load_string(std::string_view yaml, std::string source,
                                                    const Overrides& overrides = {});
Result<std::shared_ptr<const Snapshot>> load_file(const std::string& path,
                                                  const Overrides& overrides = {});

// First 16 hex digits of the SHA-256 of a config text (Snapshot::hash).
std::string content_hash(std::string_view text);

// "250ms", "10s", "5m", "1h", or a bare integer of seconds.
Result<Duration> parse_duration(std::string_view text);
// 1024, "512B", "16KiB", "10MiB", "1GiB" (KB/MB/GB and k/m/g are the same powers of 1024).
Result<std::uint64_t> parse_size(std::string_view text);

}  // namespace portcullis::config
