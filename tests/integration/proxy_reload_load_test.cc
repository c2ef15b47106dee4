// Reloads under load: wrk keeps GET requests flowing on loopback while the configuration is
// reloaded at least 50 times by each trigger. Nothing may fail: no socket error, no response
// other than 200, and after each reload the new policy (DELETE allowed or not) is in force.

#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kRounds = 50;

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// wrk on loopback, started in the background and stopped with SIGINT (it then prints its
// summary). Bounded: it stops by itself after `max_seconds`.
class Wrk {
 public:
  Wrk(const std::string& url, int max_seconds) {
    pid_file_ = dir_.path() / "wrk.pid";
    out_file_ = dir_.path() / "wrk.out";
    std::string cmd = "wrk -t1 -c8 -d" + std::to_string(max_seconds) + "s " + url + " > " +
                      out_file_.string() + " 2>&1 & echo $! > " + pid_file_.string() + "; wait";
    thread_ = std::thread([cmd, max_seconds] {
      run_process({"sh", "-c", cmd}, seconds(max_seconds + 30));
    });
    for (int i = 0; i < 100 && pid_ <= 0; ++i) {
      std::this_thread::sleep_for(milliseconds(20));
      std::ifstream in(pid_file_);
      in >> pid_;
    }
  }
  ~Wrk() { stop(); }
  // Stops wrk and returns its output.
  std::string stop() {
    if (thread_.joinable()) {
      if (pid_ > 0) ::kill(pid_, SIGINT);
      thread_.join();
    }
    std::ifstream in(out_file_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  TempDir dir_;
  fs::path pid_file_, out_file_;
  pid_t pid_ = -1;
  std::thread thread_;
};

class ProxyReloadUnderLoadTest : public ProxyTest {
 protected:
  std::string config(bool allow_delete) const {
    return "listen: [127.0.0.1:0]\nworkers: 2\nupstreams: [{name: app, endpoints: [" +
           upstream_.endpoint() +
           "]}]\nroutes: [{upstream: app, policy: p}]\npolicies: [{name: p, access: {methods: [" +
           (allow_delete ? "GET, DELETE" : "GET") + "]}}]\n";
  }
  std::string admin(std::string_view path) const { return proxy_url(proxy_.admin_port(), path); }
  long generation() const {
    std::string body = run_curl({admin("/config/status")}).body;
    std::size_t at = body.find("\"generation\":");
    return at == std::string::npos ? -1 : std::atol(body.c_str() + at + 13);
  }
  // Waits until the generation passes `before`; false after 5 s.
  bool wait_past(long before) const {
    for (int i = 0; i < 500; ++i) {
      if (generation() > before) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  }
  // The policy in force: DELETE allowed (200) or refused (405).
  ::testing::AssertionResult policy_is(bool allow_delete, const std::string& when) const {
    CurlResult r = run_curl({"-X", "DELETE", url("/hello")});
    if (r.status == (allow_delete ? 200 : 405)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << when << ": DELETE got " << r << "\nproxy log:\n"
                                         << proxy_.log();
  }
  static void expect_clean(const std::string& wrk) {
    std::size_t summary = wrk.find("requests in");
    EXPECT_NE(summary, std::string::npos) << wrk;
    if (summary != std::string::npos) {
      std::size_t start = wrk.rfind('\n', summary) + 1;
      std::printf("wrk during the reloads: %s\n",
                  wrk.substr(start, wrk.find('\n', summary) - start).c_str());
    }
    EXPECT_EQ(wrk.find("Socket errors"), std::string::npos) << wrk;
    EXPECT_EQ(wrk.find("Non-2xx"), std::string::npos) << wrk;
  }
  static int count(const std::string& log, const std::string& what) {
    int n = 0;
    for (std::size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) {
      ++n;
    }
    return n;
  }
};

TEST_F(ProxyReloadUnderLoadTest, PostSighupAndFileWritesUnderLoadLoseNothing) {
  ASSERT_TRUE(proxy_.start_with_config(config(false)));
  const fs::path file = proxy_.config_path();
  Wrk wrk(url("/hello"), 120);
  bool allow = false;
  for (int i = 0; i < kRounds; ++i) {
    allow = !allow;
    write_file(file, config(allow));
    CurlResult r = run_curl({"-X", "POST", admin("/reload")});
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(policy_is(allow, "after POST /reload " + std::to_string(i)));
  }
  for (int i = 0; i < kRounds; ++i) {
    allow = !allow;
    write_file(file, config(allow));
    long before = generation();
    ASSERT_TRUE(proxy_.terminate(SIGHUP));
    ASSERT_TRUE(wait_past(before)) << proxy_.log();
    ASSERT_TRUE(policy_is(allow, "after SIGHUP " + std::to_string(i)));
  }
  for (int i = 0; i < kRounds; ++i) {
    allow = !allow;
    long before = generation();
    write_file(file, config(allow));
    ASSERT_TRUE(wait_past(before)) << proxy_.log();
    ASSERT_TRUE(policy_is(allow, "after file write " + std::to_string(i)));
  }
  std::string out = wrk.stop();
  expect_clean(out);
  std::string log = proxy_.log();
  EXPECT_EQ(count(log, "reloaded (POST /reload)"), kRounds);
  EXPECT_EQ(count(log, "reloaded (SIGHUP)"), kRounds);
  EXPECT_GE(count(log, "reloaded (file)"), kRounds);
  EXPECT_EQ(count(log, "failed"), 0) << log;
  EXPECT_TRUE(proxy_.running());
}

TEST_F(ProxyReloadUnderLoadTest, ConfigMapSymlinkSwapsUnderLoadLoseNothing) {
  TempDir dir;
  const fs::path root = dir.path();
  fs::create_directory(root / "..v0");
  write_file(root / "..v0" / "portcullis.yaml", config(false));
  fs::create_directory_symlink("..v0", root / "..data");
  fs::create_symlink("..data/portcullis.yaml", root / "portcullis.yaml");
  ASSERT_TRUE(proxy_.start({"-c", (root / "portcullis.yaml").string()}));
  Wrk wrk(url("/hello"), 120);
  bool allow = false;
  for (int i = 1; i <= kRounds; ++i) {
    allow = !allow;
    // What the kubelet does: a new version directory, a new link, renamed over ..data.
    std::string version = "..v" + std::to_string(i);
    fs::create_directory(root / version);
    write_file(root / version / "portcullis.yaml", config(allow));
    fs::create_directory_symlink(version, root / "..data_tmp");
    long before = generation();
    fs::rename(root / "..data_tmp", root / "..data");
    ASSERT_TRUE(wait_past(before)) << proxy_.log();
    ASSERT_TRUE(policy_is(allow, "after swap " + std::to_string(i)));
    fs::remove_all(root / ("..v" + std::to_string(i - 1)));
  }
  std::string out = wrk.stop();
  expect_clean(out);
  EXPECT_EQ(count(proxy_.log(), "reloaded (file)"), kRounds);
}

}  // namespace
}  // namespace portcullis::testing
