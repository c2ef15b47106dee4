// portcullis: the WAAP reverse proxy. See `portcullis --help` and docs/config.md.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "config/loader.h"
#include "core/memory.h"
#include "proxy/inject_server.h"
#include "proxy/server.h"

#ifndef PORTCULLIS_VERSION
#define PORTCULLIS_VERSION "0.0.0-dev"
#endif

namespace {

constexpr std::string_view kUsage = R"(Usage: portcullis [options]

A WAAP reverse proxy: HTTP/1.1 and HTTP/2 in front of your service, with a request
pipeline of inspection stages. Without -c it runs an embedded default config: listen on
127.0.0.1:8080 in front of a built-in demo upstream on 127.0.0.1:8081.

Options:
  -c, --config FILE       load the YAML config FILE (docs/config.md)
      --check             validate and compile the config, print the result, exit 0 or 1
      --listen HOST:PORT  listen here (repeatable; replaces the config's listeners)
      --upstream URL      forward everything to http://HOST:PORT, https://, h2c:// or h2://
                          (repeatable: round-robin);
                          replaces the config's upstreams and routes and the demo upstream
      --tls-cert FILE     with --tls-key: every listener speaks TLS with this certificate
      --tls-key FILE      (PEM chain and key; ALPN h2 and http/1.1)
      --workers N         worker threads (default: the config's, else the number of cores)
      --mode MODE         block (enforce verdicts) or detect (log them, forward the request)
      --rules FILES       run the WAF with these SecLang rule files or globs, in order
                          (repeatable: a CRS setup file first, then 'rules/*.conf')
      --paranoia N        CRS paranoia level 1..4 for the WAF
      --openapi FILE      validate requests of the default policy against this OpenAPI 3.0/3.1
                          document (unknown paths 404, strict additionalProperties)
      --limit SPEC        rate-limit the default policy: RATE/UNIT[,burst=N][,key=K][,name=N]
                          [,global] (global: shared with other replicas through --redis)
                          (repeatable), e.g. 100/s,burst=200,key=ip; K: ip, ip/N,
                          header:NAME, route, ja4, fingerprint, bot_class
      --redis HOST:PORT   the Redis that global limits keep their buckets in
      --drain-timeout D   how long in-flight requests may finish after SIGTERM (timeouts.drain)
      --bots on|off       on: the default policy classifies bots and forwards fingerprints
                          (the default with --tls-cert); off: no policy runs the bots stage
      --admin ADDR        admin listener HOST:PORT (default 127.0.0.1:9901), or off; it serves
                          the security dashboard at /
      --events FILE       security event log: a file, - for standard output (default), off
      --access-log FILE   access log (JSON lines): a file, - for standard output, off (default)
  -h, --help              print this help and exit
  -V, --version           print the version and exit

Examples:
  portcullis                                          # embedded default with the demo upstream
  portcullis --listen 127.0.0.1:8080 --upstream http://127.0.0.1:9000
  portcullis --check -c portcullis.yaml
  portcullis inject --listen 0.0.0.0:8443 --tls-cert tls.crt --tls-key tls.key [--config FILE]
                                                      # the sidecar injection webhook
)";

int usage_error(const std::string& message) {
  std::fprintf(stderr, "portcullis: %s\nTry 'portcullis --help'.\n", message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace portcullis;
  if (argc > 1 && std::string_view(argv[1]) == "inject") {
    return proxy::run_inject(argc - 2, argv + 2);
  }
  std::string config_file;
  bool check = false;
  config::Overrides overrides;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return 0;
    } else if (arg == "-V" || arg == "--version") {
      std::printf("portcullis %s\n", PORTCULLIS_VERSION);
      return 0;
    } else if (arg == "-c" || arg == "--config") {
      if (!value(config_file)) return usage_error("-c needs a file");
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "--listen") {
      if (!value(v)) return usage_error("--listen needs HOST:PORT");
      overrides.listen.push_back(v);
    } else if (arg == "--upstream") {
      if (!value(v)) return usage_error("--upstream needs a URL");
      overrides.upstream.push_back(v);
    } else if (arg == "--tls-cert") {
      if (!value(overrides.tls_cert)) return usage_error("--tls-cert needs a file");
    } else if (arg == "--tls-key") {
      if (!value(overrides.tls_key)) return usage_error("--tls-key needs a file");
    } else if (arg == "--workers") {
      if (!value(v)) return usage_error("--workers needs a number");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 1024) return usage_error("--workers must be 1..1024");
      overrides.workers = static_cast<int>(n);
    } else if (arg == "--mode") {
      if (!value(overrides.mode)) return usage_error("--mode needs block or detect");
    } else if (arg == "--rules") {
      if (!value(v)) return usage_error("--rules needs a file or a glob");
      overrides.rules.push_back(v);
    } else if (arg == "--limit") {
      std::string spec;
      if (!value(spec)) return usage_error("--limit needs RATE/UNIT[,burst=N][,key=K]");
      overrides.limits.push_back(spec);
    } else if (arg == "--drain-timeout") {
      if (!value(overrides.drain_timeout)) return usage_error("--drain-timeout needs a duration");
    } else if (arg == "--redis") {
      if (!value(overrides.redis)) return usage_error("--redis needs HOST:PORT");
    } else if (arg == "--bots") {
      if (!value(overrides.bots) || (overrides.bots != "on" && overrides.bots != "off")) {
        return usage_error("--bots needs 'on' or 'off'");
      }
    } else if (arg == "--openapi") {
      if (!value(overrides.openapi)) return usage_error("--openapi needs a file");
    } else if (arg == "--paranoia") {
      if (!value(v)) return usage_error("--paranoia needs a level 1..4");
      if (v.size() != 1 || v[0] < '1' || v[0] > '4') return usage_error("--paranoia must be 1..4");
      overrides.paranoia = v[0] - '0';
    } else if (arg == "--admin") {
      if (!value(overrides.admin)) return usage_error("--admin needs HOST:PORT or off");
    } else if (arg == "--events") {
      if (!value(overrides.events)) return usage_error("--events needs a file, - or off");
    } else if (arg == "--access-log") {
      if (!value(overrides.access_log)) return usage_error("--access-log needs a file, - or off");
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }

  auto loaded = config_file.empty()
                    ? config::load_string(config::kEmbeddedDefault, "<embedded default>", overrides)
                    : config::load_file(config_file, overrides);
  if (!loaded) {
    std::fprintf(stderr, "portcullis: invalid configuration: %s\n",
                 loaded.error().to_string().c_str());
    return 1;
  }
  for (const std::string& w : loaded.value()->waf_warnings) {
    std::fprintf(stderr, "portcullis: waf: %s\n", w.c_str());
  }
  if (check) {
    std::fprintf(stderr, "portcullis: configuration %s is valid\n", loaded.value()->source.c_str());
    return 0;
  }

  release_free_memory();
  proxy::Server::block_signals();
  proxy::Server server(loaded.value(), proxy::ConfigSource{config_file, overrides});
  try {
    server.start();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "portcullis: cannot start: %s\n", e.what());
    return 1;
  }
  return server.wait_and_drain();
}
