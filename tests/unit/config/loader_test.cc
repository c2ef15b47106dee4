#include "config/loader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

namespace portcullis::config {
namespace {

using namespace std::chrono_literals;

TEST(ParseDurationTest, Units) {
  EXPECT_EQ(parse_duration("250ms").value(), Duration(250ms));
  EXPECT_EQ(parse_duration("10s").value(), Duration(10s));
  EXPECT_EQ(parse_duration("5m").value(), Duration(5min));
  EXPECT_EQ(parse_duration("1h").value(), Duration(1h));
  EXPECT_EQ(parse_duration("7").value(), Duration(7s));
  EXPECT_FALSE(parse_duration("10 s").ok());
  EXPECT_FALSE(parse_duration("ten").ok());
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_FALSE(parse_duration("5d").ok());
  // Up to 10^9 s; longer ones would overflow a Duration's nanoseconds, so they are refused.
  EXPECT_EQ(parse_duration("277777h").value(), Duration(277777h));
  EXPECT_FALSE(parse_duration("10000000h").ok());
  EXPECT_FALSE(parse_duration("999999999m").ok());
}

TEST(ParseSizeTest, Units) {
  EXPECT_EQ(parse_size("1024").value(), 1024u);
  EXPECT_EQ(parse_size("16KiB").value(), 16u * 1024);
  EXPECT_EQ(parse_size("10MiB").value(), 10u * 1024 * 1024);
  EXPECT_EQ(parse_size("1GB").value(), 1024u * 1024 * 1024);
  EXPECT_FALSE(parse_size("1TiB").ok());
  EXPECT_FALSE(parse_size("KiB").ok());
}

TEST(LoaderTest, EmbeddedDefaultCompiles) {
  auto snap = load_string(kEmbeddedDefault, "<embedded default>");
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  const Snapshot& s = **snap;
  ASSERT_EQ(s.listen.size(), 1u);
  EXPECT_EQ(s.listen[0].address.to_string(), "127.0.0.1:8080");
  ASSERT_TRUE(s.demo_upstream.has_value());
  EXPECT_EQ(s.demo_upstream->port, 8081);
  ASSERT_EQ(s.routes.size(), 1u);
  EXPECT_EQ(s.routes[0].pipeline->name(), "default");
  EXPECT_EQ(s.routes[0].pipeline->mode(), Mode::kBlock);
}

constexpr std::string_view kFull = R"(workers: 3
listen: [127.0.0.1:0, "[::1]:9090"]
trusted_proxies: [10.0.0.0/8, 127.0.0.1, "fd00::/8"]
limits: {header_bytes: 16KiB, header_count: 50, uri_bytes: 2KiB, body_bytes: 1MiB}
timeouts: {header: 500ms, idle: 30s, upstream_connect: 1s, upstream_response: 2s, drain: 0s}
upstreams:
  - name: api
    endpoints: [127.0.0.1:9000, 127.0.0.1:9001]
    max_idle: 8
  - name: web
    endpoints: [localhost:9002]
policies:
  - name: strict
    mode: detect
    access: {methods: [GET, HEAD], hosts: ["*.example.com"]}
routes:
  - host: api.example.com
    path_prefix: /v1/
    upstream: api
    policy: strict
  - upstream: web
)";

TEST(LoaderTest, FullConfigCompiles) {
  auto snap = load_string(kFull, "full.yaml");
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  const Snapshot& s = **snap;
  EXPECT_EQ(s.workers, 3);
  ASSERT_EQ(s.listen.size(), 2u);
  EXPECT_EQ(s.listen[1].address.to_string(), "[::1]:9090");
  EXPECT_EQ(s.limits.header_bytes, 16u * 1024);
  EXPECT_EQ(s.limits.header_count, 50u);
  EXPECT_EQ(s.limits.body_bytes, 1u << 20);
  EXPECT_EQ(s.timeouts.header, Duration(500ms));
  EXPECT_EQ(s.timeouts.drain, Duration(0s));
  EXPECT_EQ(s.upstreams[0].max_idle, 8u);
  EXPECT_EQ(s.upstreams[1].endpoints[0].port, 9002);
  EXPECT_TRUE(s.upstreams[1].endpoints[0].ip == "127.0.0.1" ||
              s.upstreams[1].endpoints[0].ip == "::1");

  const Route* r = s.match("api.example.com", "/v1/users");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->upstream, 0u);
  EXPECT_EQ(r->pipeline->mode(), Mode::kDetect);
  EXPECT_EQ(r->pipeline->size(), 1u);
  EXPECT_EQ(s.match("api.example.com", "/v2/")->upstream, 1u);
  EXPECT_EQ(s.match("other", "/v1/users")->upstream, 1u);

  EXPECT_TRUE(s.is_trusted(*parse_ip("10.1.2.3")));
  EXPECT_TRUE(s.is_trusted(*parse_ip("127.0.0.1")));
  EXPECT_FALSE(s.is_trusted(*parse_ip("127.0.0.2")));
  EXPECT_TRUE(s.is_trusted(*parse_ip("fd12::1")));
  EXPECT_FALSE(s.is_trusted(*parse_ip("11.0.0.1")));
}

TEST(LoaderTest, NoRouteMatchesGivesNull) {
  auto snap = load_string(
      "upstreams: [{name: a, endpoints: [127.0.0.1:1]}]\nroutes: [{host: x.test, upstream: a}]\n",
      "t.yaml");
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  EXPECT_EQ((*snap)->match("y.test", "/"), nullptr);
  EXPECT_NE((*snap)->match("X.TEST", "/"), nullptr);
}

struct BadConfig {
  const char* name;
  const char* yaml;
  int line;
  const char* key;
};

class BadConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadConfigTest, NamesFileLineAndKey) {
  auto snap = load_string(GetParam().yaml, "bad.yaml");
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.error().file, "bad.yaml");
  EXPECT_EQ(snap.error().line, GetParam().line) << snap.error().to_string();
  EXPECT_EQ(snap.error().key, GetParam().key) << snap.error().to_string();
  EXPECT_NE(snap.error().to_string().find("bad.yaml:"), std::string::npos);
}

constexpr const char* kUp = "upstreams: [{name: a, endpoints: [127.0.0.1:1]}]\n";

INSTANTIATE_TEST_SUITE_P(
    Errors, BadConfigTest,
    ::testing::Values(
        BadConfig{"UnknownTopKey", "listen: [127.0.0.1:1]\nlisten_typo: 1\n", 2, "listen_typo"},
        BadConfig{"UnknownLimit", "limits:\n  header_byte: 1\n", 2, "limits.header_byte"},
        BadConfig{"BadDuration", "timeouts:\n  header: soon\n", 2, "timeouts.header"},
        BadConfig{"BadSize", "limits:\n  body_bytes: 1XB\n", 2, "limits.body_bytes"},
        BadConfig{"MissingUpstream",
                  "upstreams: [{name: a, endpoints: [127.0.0.1:1]}]\nroutes:\n  - upstream: b\n", 3,
                  "routes[0].upstream"},
        BadConfig{"MissingPolicy",
                  "upstreams: [{name: a, endpoints: [127.0.0.1:1]}]\nroutes:\n  - {upstream: a, "
                  "policy: nope}\n",
                  3, "routes[0].policy"},
        BadConfig{"BadMode", "policies:\n  - name: p\n    mode: enforce\n", 3, "policies[0].mode"},
        BadConfig{"BadEndpoint", "upstreams:\n  - name: a\n    endpoints: [nowhere]\n", 3,
                  "upstreams[0].endpoints[0]"},
        BadConfig{"BadCidr", "trusted_proxies: [10.0.0.0/33]\n", 1, "trusted_proxies[0]"},
        BadConfig{"BadWorkers", "workers: 0\n", 1, "workers"},
        BadConfig{"TlsOnH2c",
                  "upstreams:\n  - name: a\n    protocol: h2c\n    endpoints: [127.0.0.1:1]\n"
                  "    tls: {verify: false}\n",
                  5, "upstreams[0].tls"},
        BadConfig{"UpstreamCaMissing",
                  "upstreams:\n  - name: a\n    endpoints: [127.0.0.1:1]\n"
                  "    tls: {ca: /nonexistent/ca.pem}\n",
                  4, "upstreams[0].tls.ca"},
        BadConfig{"UnknownAdminKey", "admin:\n  adress: 127.0.0.1:1\n", 2, "admin.adress"},
        BadConfig{"BadAdminAddress", "admin:\n  address: nowhere\n", 2, "admin.address"},
        BadConfig{"EmptyEventsTarget", "logging:\n  events: \"\"\n", 2, "logging.events"},
        BadConfig{"UnsetEnvironmentVariable",
                  "admin:\n  token: ${PORTCULLIS_SURELY_UNSET_VARIABLE}\n", 2, "admin.token"},
        BadConfig{"BadPathPrefix",
                  "upstreams: [{name: a, endpoints: [127.0.0.1:1]}]\nroutes:\n  - {upstream: a, "
                  "path_prefix: api}\n",
                  3, "routes[0].path_prefix"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(LoaderTest, YamlSyntaxErrorNamesTheLine) {
  auto snap = load_string("listen: [127.0.0.1:1\nworkers: 2\n", "syntax.yaml");
  ASSERT_FALSE(snap.ok());
  EXPECT_EQ(snap.error().file, "syntax.yaml");
  EXPECT_GT(snap.error().line, 0);
}

TEST(LoaderTest, CommandLineOverrides) {
  Overrides o;
  o.listen = {"127.0.0.1:0"};
  o.upstream = {"http://127.0.0.1:9000", "http://127.0.0.1:9001/"};
  o.workers = 2;
  o.mode = "detect";
  auto snap = load_string(kEmbeddedDefault, "<embedded default>", o);
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  const Snapshot& s = **snap;
  EXPECT_EQ(s.workers, 2);
  EXPECT_EQ(s.listen[0].address.port, 0);
  EXPECT_FALSE(s.demo_upstream.has_value());
  ASSERT_EQ(s.upstreams.size(), 1u);
  EXPECT_EQ(s.upstreams[0].endpoints.size(), 2u);
  EXPECT_EQ(s.routes[0].pipeline->mode(), Mode::kDetect);

  o.upstream = {"https://localhost:9000"};
  auto tls = load_string(kEmbeddedDefault, "x", o);
  ASSERT_TRUE(tls.ok()) << tls.error().to_string();
  EXPECT_EQ((*tls)->upstreams[0].protocol, UpstreamProtocol::kHttp1);
  EXPECT_NE((*tls)->upstreams[0].tls, nullptr);
  EXPECT_EQ((*tls)->upstreams[0].server_name, "localhost");
  o.upstream = {"https://127.0.0.1:9000", "http://127.0.0.1:9001"};
  EXPECT_FALSE(load_string(kEmbeddedDefault, "x", o).ok());  // one scheme for all
  o.upstream = {"http://127.0.0.1:9000/path"};
  EXPECT_FALSE(load_string(kEmbeddedDefault, "x", o).ok());
  o.upstream = {};
  o.mode = "enforce";
  EXPECT_FALSE(load_string(kEmbeddedDefault, "x", o).ok());
}

TEST(LoaderTest, EnvironmentVariablesFillValues) {
  ::setenv("PORTCULLIS_TEST_ADMIN", "127.0.0.1:9999", 1);
  ::setenv("PORTCULLIS_TEST_SECRET", "s3cr3t", 1);
  auto snap = load_string(
      "admin:\n  address: ${PORTCULLIS_TEST_ADMIN}\n  token: pre-${PORTCULLIS_TEST_SECRET}-post\n"
      "logging:\n  events: ${PORTCULLIS_TEST_UNSET_LOG:-off}\n" +
          std::string(kEmbeddedDefault),
      "env.yaml");
  ::unsetenv("PORTCULLIS_TEST_ADMIN");
  ::unsetenv("PORTCULLIS_TEST_SECRET");
  ASSERT_TRUE(snap.ok()) << snap.error().to_string();
  ASSERT_TRUE((*snap)->admin.has_value());
  EXPECT_EQ((*snap)->admin->port, 9999);
  EXPECT_EQ((*snap)->admin_token, "pre-s3cr3t-post");
  EXPECT_EQ((*snap)->events_log, "off");
  auto off = load_string("admin: {address: \"off\"}\n" + std::string(kEmbeddedDefault), "x");
  ASSERT_TRUE(off.ok()) << off.error().to_string();
  EXPECT_FALSE((*off)->admin.has_value());
}

TEST(LoaderTest, MissingFileIsAnError) {
  auto snap = load_file("/nonexistent/portcullis.yaml");
  ASSERT_FALSE(snap.ok());
  EXPECT_NE(snap.error().to_string().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::config
