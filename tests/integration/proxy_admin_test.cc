// The control plane: the admin listener's endpoints, Prometheus metrics checked by promtool
// and against the traffic sent, the security event log, and configuration reloads by each
// trigger (POST /reload, SIGHUP, a file write, a Kubernetes-style symlink swap) including the
// ones that must be refused.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The value of the series `series` (name and labels exactly as exposed), or -1.
double metric(const std::string& exposition, const std::string& series) {
  std::size_t at = 0;
  while ((at = exposition.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || exposition[at - 1] == '\n') {
      return std::strtod(exposition.c_str() + at + series.size() + 1, nullptr);
    }
    at += series.size();
  }
  return -1;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class ProxyAdminTest : public ProxyTest {
 protected:
  // One upstream, a route whose policy allows `methods`, and `extra` top-level YAML.
  std::string config(const std::string& methods, const std::string& extra = {}) const {
    return "listen: [127.0.0.1:0]\nworkers: 2\nupstreams: [{name: app, endpoints: [" +
           upstream_.endpoint() +
           "]}]\nroutes: [{upstream: app, policy: p}]\npolicies: [{name: p, access: {methods: [" +
           methods + "]}}]\n" + extra;
  }
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }
  CurlResult post_reload(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args = {"-X", "POST"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(admin("/reload"));
    return run_curl(args);
  }
  int status_of(const std::string& method, std::string_view path = "/hello") const {
    return run_curl({"-X", method, url(path)}).status;
  }
  // The generation /config/status reports.
  long generation() const {
    std::string body = run_curl({admin("/config/status")}).body;
    std::size_t at = body.find("\"generation\":");
    return at == std::string::npos ? -1 : std::atol(body.c_str() + at + 13);
  }
  bool wait_generation(long at_least, milliseconds timeout = milliseconds(5000)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (generation() >= at_least) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }
};

TEST_F(ProxyAdminTest, HealthReadinessAndUnknownPaths) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  ASSERT_NE(proxy_.admin_port(), 0) << proxy_.log();
  CurlResult health = run_curl({admin("/healthz")});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(run_curl({admin("/readyz")}).status, 200);
  EXPECT_EQ(run_curl({admin("/nope")}).status, 404);
  CurlResult wrong = run_curl({"-X", "POST", admin("/healthz")});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(find_header(wrong.headers, "allow"), "GET, HEAD");
  EXPECT_EQ(run_curl({admin("/reload")}).status, 405);  // GET does not reload
}

TEST_F(ProxyAdminTest, AdminIsNeverReachableThroughTheDataPort) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  CurlResult r = run_curl({url("/metrics")});
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(upstream_.request_count(), 1u);  // the upstream answered it, not the admin API
  EXPECT_EQ(upstream_.requests()[0].target, "/metrics");
  EXPECT_EQ(r.body.find("portcullis_requests_total"), std::string::npos);
  EXPECT_NE(proxy_.admin_port(), proxy_.port());
}

TEST_F(ProxyAdminTest, AdminOffOpensNoAdminListener) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET"), {"--admin", "off"}));
  EXPECT_EQ(proxy_.log().find("admin on"), std::string::npos) << proxy_.log();
  EXPECT_EQ(status_of("GET"), 200);
}

TEST_F(ProxyAdminTest, AdminPortInUseIsAClearStartError) {
  std::string taken = "127.0.0.1:" + std::to_string(upstream_.port());
  ProcessResult r = run_portcullis({"--listen", "127.0.0.1:0", "--admin", taken, "--upstream",
                                    "http://" + upstream_.endpoint()});
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 1);
  EXPECT_NE(r.err.find("admin listener " + taken), std::string::npos) << r.err;
}

TEST_F(ProxyAdminTest, MetricsPassPromtoolAndCountTheTraffic) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  for (int i = 0; i < 7; ++i) ASSERT_EQ(status_of("GET"), 200);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(status_of("DELETE"), 405);
  ProcessResult h2 = run_process(
      {"curl", "-s", "-o", "/dev/null", "--http2-prior-knowledge", url("/hello")}, seconds(10));
  ASSERT_TRUE(h2.exit && h2.exit->success()) << h2.err;

  TempDir dir;
  std::string text = run_curl({admin("/metrics")}).body;
  auto file = dir.write("metrics.txt", text);
  ProcessResult check =
      run_process({"sh", "-c", "promtool check metrics < " + file.string()}, seconds(20));
  ASSERT_TRUE(check.exit.has_value());
  EXPECT_TRUE(check.exit->success()) << check.out << check.err << "\n" << text;

  std::string labels = "listener=\"127.0.0.1:0\",route=\"routes[0]\",";
  EXPECT_EQ(metric(text, "portcullis_requests_total{" + labels +
                             "protocol=\"http1\",code_class=\"2xx\",verdict=\"pass\"}"),
            7)
      << text;
  EXPECT_EQ(metric(text, "portcullis_requests_total{" + labels +
                             "protocol=\"http1\",code_class=\"4xx\",verdict=\"block\"}"),
            3);
  EXPECT_EQ(metric(text, "portcullis_requests_total{" + labels +
                             "protocol=\"http2\",code_class=\"2xx\",verdict=\"pass\"}"),
            1);
  EXPECT_EQ(
      metric(text, "portcullis_blocks_total{stage=\"access\",rule=\"method\",mode=\"block\"}"), 3);
  EXPECT_EQ(metric(text, "portcullis_upstream_requests_total{upstream=\"app\"}"), 8);
  EXPECT_EQ(metric(text, "portcullis_request_duration_seconds_count{protocol=\"http1\"}"), 10);
  EXPECT_EQ(metric(text, "portcullis_stage_duration_seconds_count{stage=\"access\"}"), 11);
  EXPECT_EQ(metric(text, "portcullis_connections_accepted_total{listener=\"127.0.0.1:0\"}"), 11);
  EXPECT_EQ(metric(text, "portcullis_config_reloads_total{result=\"success\"}"), 0);
}

TEST_F(ProxyAdminTest, SecurityEventsAreLoggedAndServed) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  ASSERT_EQ(status_of("DELETE", "/item/1"), 405);
  ASSERT_EQ(status_of("GET"), 200);
  // The event log line on standard output: one JSON line per refusal.
  ASSERT_TRUE(proxy_.wait_for_stdout(
      [](const std::string& out) { return out.find("\"path\":\"/item/1\"") != std::string::npos; },
      seconds(3)))
      << proxy_.stdout_log();
  std::string out = proxy_.stdout_log();
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;  // the GET made no event
  for (const char* field : {"\"method\":\"DELETE\"", "\"stage\":\"access\"", "\"action\":\"block\"",
                            "\"status\":405", "\"client_ip\":\"127.0.0.1\"", "\"request_id\":\""}) {
    EXPECT_NE(out.find(field), std::string::npos) << field << " in " << out;
  }
  // /events serves the recent ones, filtered.
  CurlResult events = run_curl({admin("/events?stage=access&client=127.0.0.1")});
  EXPECT_EQ(events.status, 200);
  EXPECT_NE(events.body.find("/item/1"), std::string::npos) << events.body;
  EXPECT_EQ(run_curl({admin("/events?stage=waf")}).body, "{\"events\":[]}\n");
}

TEST_F(ProxyAdminTest, EventAndAccessLogsGoToFiles) {
  TempDir dir;
  auto events = dir.path() / "events.log";
  auto access = dir.path() / "access.log";
  ASSERT_TRUE(proxy_.start_with_config(
      config("GET"), {"--events", events.string(), "--access-log", access.string()}));
  ASSERT_EQ(status_of("DELETE"), 405);
  ASSERT_EQ(status_of("GET"), 200);
  std::string access_text, events_text;
  for (int i = 0; i < 100; ++i) {
    access_text = read_text(access);
    events_text = read_text(events);
    if (std::count(access_text.begin(), access_text.end(), '\n') == 2 && !events_text.empty())
      break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(std::count(access_text.begin(), access_text.end(), '\n'), 2) << access_text;
  EXPECT_NE(access_text.find("\"status\":200"), std::string::npos);
  EXPECT_NE(access_text.find("\"status\":405"), std::string::npos);
  EXPECT_EQ(std::count(events_text.begin(), events_text.end(), '\n'), 1) << events_text;
  EXPECT_EQ(proxy_.stdout_log(), "");
}

TEST_F(ProxyAdminTest, PostReloadAppliesTheNewPolicyAndABadConfigKeepsTheGoodOne) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  ASSERT_EQ(status_of("DELETE"), 405);

  write_file(proxy_.config_path(), config("GET, DELETE"));
  CurlResult ok = post_reload();
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("\"result\":\"success\""), std::string::npos) << ok.body;
  EXPECT_EQ(status_of("DELETE"), 200);  // in force as soon as the reload answered

  write_file(proxy_.config_path(), config("GET") + "limits: {header_byts: 1}\n");
  CurlResult bad = post_reload();
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.body.find("portcullis.yaml:"), std::string::npos) << bad.body;
  EXPECT_NE(bad.body.find("limits.header_byts"), std::string::npos) << bad.body;
  EXPECT_EQ(status_of("DELETE"), 200);  // the good configuration stays

  std::string status = run_curl({admin("/config/status")}).body;
  EXPECT_NE(status.find("\"last_reload\":{\"result\":\"failure\""), std::string::npos) << status;
  EXPECT_NE(status.find("limits.header_byts"), std::string::npos) << status;
  // The file watcher may have reloaded each write before the POST did: at least one each.
  std::string metrics = run_curl({admin("/metrics")}).body;
  EXPECT_GE(metric(metrics, "portcullis_config_reloads_total{result=\"failure\"}"), 1);
  EXPECT_GE(metric(metrics, "portcullis_config_reloads_total{result=\"success\"}"), 1);
  EXPECT_EQ(metric(metrics, "portcullis_config_last_reload_successful"), 0);
}

TEST_F(ProxyAdminTest, ReloadNeedsTheBearerTokenFromTheEnvironment) {
  ::setenv("PORTCULLIS_TEST_ADMIN_TOKEN", "tok-123", 1);
  ASSERT_TRUE(proxy_.start_with_config(
      config("GET", "admin: {address: 127.0.0.1:0, token: \"${PORTCULLIS_TEST_ADMIN_TOKEN}\"}\n")));
  ::unsetenv("PORTCULLIS_TEST_ADMIN_TOKEN");
  CurlResult none = post_reload();
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(find_header(none.headers, "www-authenticate"), "Bearer realm=\"portcullis-admin\"");
  EXPECT_EQ(post_reload({"-H", "Authorization: Bearer tok-12"}).status, 401);
  EXPECT_EQ(post_reload({"-H", "Authorization: Bearer tok-123"}).status, 200);
  EXPECT_EQ(run_curl({admin("/metrics")}).status, 200);  // reading needs no token
  EXPECT_EQ(run_curl({admin("/config/status")}).status, 200);
  EXPECT_EQ(run_curl({admin("/healthz")}).status, 200);
  // ... except the security events, which name clients and carry what they sent.
  EXPECT_EQ(run_curl({admin("/events")}).status, 401);
  EXPECT_EQ(run_curl({"-H", "Authorization: Bearer tok-123", admin("/events")}).status, 200);
}

TEST_F(ProxyAdminTest, UnsetEnvironmentVariableIsAConfigError) {
  ::unsetenv("PORTCULLIS_TEST_UNSET");
  TempDir dir;
  auto file = dir.write("p.yaml", config("GET", "admin: {token: \"${PORTCULLIS_TEST_UNSET}\"}\n"));
  ProcessResult r = run_portcullis({"--check", "-c", file.string()});
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 1);
  EXPECT_NE(r.err.find("admin.token"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("PORTCULLIS_TEST_UNSET is not set"), std::string::npos) << r.err;
  auto fallback =
      dir.write("q.yaml", config("GET", "admin: {token: \"${PORTCULLIS_TEST_UNSET:-x}\"}\n"));
  ProcessResult ok = run_portcullis({"--check", "-c", fallback.string()});
  ASSERT_TRUE(ok.exit.has_value());
  EXPECT_EQ(ok.exit->code, 0) << ok.err;
}

TEST_F(ProxyAdminTest, SighupAndFileChangesReload) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  ASSERT_EQ(generation(), 1);
  // A file write alone: the watcher sees it.
  write_file(proxy_.config_path(), config("GET, DELETE"));
  ASSERT_TRUE(wait_generation(2)) << proxy_.log();
  EXPECT_EQ(status_of("DELETE"), 200);
  // SIGHUP reloads the file as it is (here: unchanged, still a reload).
  ASSERT_TRUE(proxy_.terminate(SIGHUP));
  ASSERT_TRUE(wait_generation(3)) << proxy_.log();
  // Touching the file without changing it does not reload.
  write_file(proxy_.config_path(), config("GET, DELETE"));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(generation(), 3);
  EXPECT_NE(proxy_.log().find("reloaded (file)"), std::string::npos) << proxy_.log();
  EXPECT_NE(proxy_.log().find("reloaded (SIGHUP)"), std::string::npos);
}

TEST_F(ProxyAdminTest, AFileIsReadOnlyOnceItsWriterClosesIt) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  std::string next = config("GET, DELETE");
  {
    // A slow writer: half the file, a pause longer than the watcher's settling time, the rest.
    std::ofstream out(proxy_.config_path(), std::ios::binary | std::ios::trunc);
    out << next.substr(0, next.size() / 2) << std::flush;
    std::this_thread::sleep_for(milliseconds(300));
    out << next.substr(next.size() / 2);
  }
  ASSERT_TRUE(wait_generation(2)) << proxy_.log();
  EXPECT_EQ(status_of("DELETE"), 200);
  EXPECT_EQ(proxy_.log().find("failed"), std::string::npos) << proxy_.log();
}

TEST_F(ProxyAdminTest, KubernetesConfigMapSymlinkSwapReloads) {
  // The layout a ConfigMap volume has: FILE -> ..data/FILE, ..data -> ..VERSION.
  TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directory(dir.path() / "..v1");
  write_file(dir.path() / "..v1" / "portcullis.yaml", config("GET"));
  fs::create_directory_symlink("..v1", dir.path() / "..data");
  fs::create_symlink("..data/portcullis.yaml", dir.path() / "portcullis.yaml");
  ASSERT_TRUE(proxy_.start({"-c", (dir.path() / "portcullis.yaml").string()}));
  ASSERT_EQ(status_of("DELETE"), 405);

  fs::create_directory(dir.path() / "..v2");
  write_file(dir.path() / "..v2" / "portcullis.yaml", config("GET, DELETE"));
  fs::create_directory_symlink("..v2", dir.path() / "..data_tmp");
  fs::rename(dir.path() / "..data_tmp", dir.path() / "..data");  // the atomic swap
  ASSERT_TRUE(wait_generation(2)) << proxy_.log();
  EXPECT_EQ(status_of("DELETE"), 200);
}

TEST_F(ProxyAdminTest, ListenerChangesApplyWithoutDroppingConnections) {
  ASSERT_TRUE(proxy_.start_with_config(config("GET")));
  RawClient kept(proxy_.port());
  ASSERT_TRUE(kept.connected());
  ASSERT_TRUE(kept.send(request_head("GET", "/hello")));
  ASSERT_TRUE(kept.read_response().has_value());

  // Move the listener to another loopback address.
  std::string moved = config("GET");
  moved.replace(moved.find("127.0.0.1:0"), 11, "127.0.0.2:0");
  write_file(proxy_.config_path(), moved);
  CurlResult r = post_reload();
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(proxy_.wait_for_log(
      [](const std::string& log) {
        return log.find("listening on http://127.0.0.2:") != std::string::npos;
      },
      seconds(3)));
  std::string log = proxy_.log();
  int new_port = std::atoi(log.c_str() + log.find("listening on http://127.0.0.2:") + 30);
  ASSERT_GT(new_port, 0);
  EXPECT_EQ(run_curl({"http://127.0.0.2:" + std::to_string(new_port) + "/hello"}).status, 200);

  // The connection accepted before the change is served on.
  ASSERT_TRUE(kept.send(request_head("GET", "/hello")));
  auto again = kept.read_response();
  ASSERT_TRUE(again.has_value()) << kept.error();
  EXPECT_EQ(again->status, 200);
  // New connections to the old address are refused.
  EXPECT_FALSE(can_connect(proxy_.port()));

  // A port that is taken makes the reload fail and changes nothing.
  std::string taken = config("GET");
  taken.replace(
      taken.find("127.0.0.1:0"), 11,
      "127.0.0.2:" + std::to_string(new_port) + ", 127.0.0.1:" + std::to_string(upstream_.port()));
  write_file(proxy_.config_path(), taken);
  CurlResult refused = post_reload();
  EXPECT_EQ(refused.status, 422) << proxy_.log();
  EXPECT_NE(refused.body.find("cannot listen"), std::string::npos) << refused.body;
  EXPECT_EQ(run_curl({"http://127.0.0.2:" + std::to_string(new_port) + "/hello"}).status, 200);
}

}  // namespace
}  // namespace portcullis::testing
