// The bots stage with real clients over a real TLS listener: the shared ClientHello vectors
// fingerprinted by the listener, curl, Python, nghttp and headless Chromium classified, the
// proof-of-work challenge solved by Chromium, forged and expired passes refused, and the
// fingerprint headers forwarded upstream (and never taken from the client).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bots/challenge.h"
#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

constexpr std::string_view kChromeUa =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 "
    "Safari/537.36";
constexpr std::string_view kSecret = "bots-test-secret-0123456789";

// The value of `name` in a /headers body ("name: value" lines); "<absent>" if none, and every
// value joined by '|' when the upstream saw several.
std::string seen(const std::string& body, std::string_view name) {
  std::string out;
  std::size_t at = 0;
  while ((at = body.find(std::string(name) + ": ", at)) != std::string::npos) {
    if (at != 0 && body[at - 1] != '\n') {
      ++at;
      continue;
    }
    at += name.size() + 2;
    if (!out.empty()) out += '|';
    out += body.substr(at, body.find('\n', at) - at);
  }
  return out.empty() ? "<absent>" : out;
}

// The security events on the proxy's standard output, parsed.
std::vector<nlohmann::json> events_of(const ProxyProcess& proxy) {
  std::vector<nlohmann::json> out;
  std::string all = proxy.stdout_log();
  std::size_t start = 0;
  while (start < all.size()) {
    std::size_t end = all.find('\n', start);
    if (end == std::string::npos) break;
    auto j = nlohmann::json::parse(all.substr(start, end - start), nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
    start = end + 1;
  }
  return out;
}

class BotsTest : public ProxyTest {
 protected:
  ::testing::AssertionResult start_bots(std::string_view bots_yaml, std::string_view top = {}) {
    std::string config = "listen:\n  - address: 127.0.0.1:0\n    tls:\n      certificates:\n" +
                         std::string("        - {cert: ") + loopback_certificate().cert +
                         ", key: " + loopback_certificate().key +
                         "}\nworkers: 1\nupstreams:\n  - name: app\n    endpoints: [" +
                         upstream_.endpoint() +
                         "]\nroutes:\n  - upstream: app\npolicies:\n  - name: default\n"
                         "    bots:\n" +
                         std::string(bots_yaml) + std::string(top);
    return proxy_.start_with_config(config);
  }
  std::string https(std::string_view path) const {
    return "https://127.0.0.1:" + std::to_string(proxy_.port()) + std::string(path);
  }
  // curl over TLS with HTTP/2 offered (curl's default for https), certificate not checked.
  CurlResult curl(std::string_view path, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--http2", "-k"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(https(path));
    return run_curl(args);
  }
  // Python's http.client over ssl, with `user_agent` when given (it sends none by default).
  ProcessResult python(std::string_view path, std::string_view user_agent = {}) {
    std::string script =
        "import http.client, ssl, sys\n"
        "ctx = ssl.create_default_context()\n"
        "ctx.check_hostname = False\n"
        "ctx.verify_mode = ssl.CERT_NONE\n"
        "c = http.client.HTTPSConnection('127.0.0.1', " +
        std::to_string(proxy_.port()) +
        ", context=ctx, timeout=10)\n"
        "h = {'User-Agent': sys.argv[1]} if len(sys.argv) > 1 else {}\n"
        "c.request('GET', '" +
        std::string(path) +
        "', headers=h)\n"
        "r = c.getresponse()\n"
        "print(r.status)\n"
        "print(r.read().decode())\n";
    std::vector<std::string> argv = {"python3", "-c", script};
    if (!user_agent.empty()) argv.emplace_back(user_agent);
    return run_process(argv, seconds(20));
  }
  // Headless Chromium's DOM of `url` after up to `budget_ms` of virtual time (enough for a
  // challenge page to solve its puzzle and reload).
  ProcessResult chromium(std::string_view path, std::vector<std::string> extra = {},
                         int budget_ms = 0) {
    TempDir profile;
    std::vector<std::string> argv = {"chromium",
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--ignore-certificate-errors",
                                     "--user-data-dir=" + profile.path().string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    if (budget_ms) argv.push_back("--virtual-time-budget=" + std::to_string(budget_ms));
    argv.push_back("--dump-dom");
    argv.push_back(https(path));
    return run_process(argv, seconds(90));
  }
};

// Each ClientHello of ../shared/ja4, written as its client wrote it to a Portcullis TLS listener:
// the JA4, JA4_r, JA3 and JA3 hash that the listener computes (and logs when the handshake then
// fails) equal those of the reference implementations, for every vector.
TEST_F(BotsTest, TheListenerFingerprintsEverySharedClientHelloAsTheReferencesDo) {
  ASSERT_TRUE(start_bots("      forward_headers: true\n"));
  std::ifstream in(std::string(PORTCULLIS_SHARED_DIR) + "/ja4/clienthellos.jsonl");
  ASSERT_TRUE(in) << "the shared ClientHello vectors";
  std::map<int, nlohmann::json> by_port;  // client port → vector
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json v = nlohmann::json::parse(line);
    std::string hex = v["client_hello_hex"];
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(proxy_.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    sockaddr_in local{};
    socklen_t len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    by_port[ntohs(local.sin_port)] = v;
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    // The server answers (ServerHello, HelloRetryRequest or an alert); then the client hangs up.
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 2000);
    ::close(fd);
  }
  ASSERT_EQ(by_port.size(), 95u);

  std::map<int, nlohmann::json> logged;  // client port → fingerprints of its event
  for (int i = 0; i < 200 && logged.size() < by_port.size(); ++i) {
    logged.clear();
    for (const auto& e : events_of(proxy_)) {
      if (e.value("stage", "") == "tls") logged[e["client_port"].get<int>()] = e["fingerprints"];
    }
    if (logged.size() < by_port.size()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int matched = 0;
  for (const auto& [port, v] : by_port) {
    auto it = logged.find(port);
    EXPECT_NE(it, logged.end()) << "no event for " << v["source"] << " stream " << v["stream"];
    if (it == logged.end()) continue;
    const nlohmann::json& fp = it->second;
    const std::string where =
        v["source"].get<std::string>() + " stream " + std::to_string(v["stream"].get<int>());
    EXPECT_EQ(fp.value("ja4", ""), v["ja4"]) << where;
    EXPECT_EQ(fp.value("ja4_r", ""), v["ja4_r"]) << where;
    EXPECT_EQ(fp.value("ja3", ""), v["ja3"]) << where;
    EXPECT_EQ(fp.value("ja3_hash", ""), v["ja3_hash"]) << where;
    matched += fp.value("ja4", "") == v["ja4"] && fp.value("ja3_hash", "") == v["ja3_hash"];
  }
  EXPECT_EQ(matched, 95);
}

constexpr std::string_view kClassifyingPolicy =
    "      actions: {automation: tag}\n"
    "      crawlers:\n"
    "        - {name: googlebot, user_agents: [Googlebot], ranges: [127.0.0.0/8]}\n"
    "        - {name: bingbot, user_agents: [bingbot], ranges: [192.0.2.0/24]}\n";

// The signals of the tagged event of the request with this x-request-id.
std::string signals_of(const ProxyProcess& proxy, const std::string& request_id) {
  for (int i = 0; i < 100; ++i) {
    for (const auto& e : events_of(proxy)) {
      if (e.value("request_id", "") == request_id) return e.value("bot_signals", "");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "<no event>";
}

TEST_F(BotsTest, CurlIsAutomationAndAChromeUserAgentDoesNotHideIt) {
  ASSERT_TRUE(start_bots(kClassifyingPolicy));
  CurlResult plain = curl("/headers");
  ASSERT_EQ(plain.status, 200) << plain;
  EXPECT_EQ(seen(plain.body, "x-portcullis-bot"), "automation:60") << plain.body;
  EXPECT_EQ(seen(plain.body, "x-portcullis-ja4").substr(0, 4), "t13i");
  EXPECT_NE(seen(plain.body, "x-portcullis-h2fp").find("|m,p,s,a"), std::string::npos)
      << "curl's pseudo-header order, over HTTP/2";
  EXPECT_EQ(signals_of(proxy_, seen(plain.body, "x-request-id")), "library_user_agent");

  CurlResult disguised = curl("/headers", {"-A", std::string(kChromeUa)});
  ASSERT_EQ(disguised.status, 200) << disguised;
  EXPECT_EQ(seen(disguised.body, "x-portcullis-bot"), "automation:100") << disguised.body;
  EXPECT_EQ(signals_of(proxy_, seen(disguised.body, "x-request-id")),
            "tls_not_browser,h2_not_browser,missing_browser_headers");
}

TEST_F(BotsTest, PythonIsAutomationWithOrWithoutAChromeUserAgent) {
  ASSERT_TRUE(start_bots(kClassifyingPolicy));
  ProcessResult plain = python("/headers");
  ASSERT_TRUE(plain.exit && plain.exit->success()) << plain.err;
  EXPECT_EQ(plain.out.substr(0, 3), "200");
  EXPECT_EQ(seen(plain.out, "x-portcullis-bot"), "automation:60") << plain.out;
  EXPECT_EQ(signals_of(proxy_, seen(plain.out, "x-request-id")), "no_user_agent");
  EXPECT_EQ(seen(plain.out, "x-portcullis-h2fp"), "<absent>") << "HTTP/1.1: no h2 fingerprint";

  ProcessResult disguised = python("/headers", kChromeUa);
  ASSERT_TRUE(disguised.exit && disguised.exit->success()) << disguised.err;
  EXPECT_EQ(seen(disguised.out, "x-portcullis-bot"), "automation:90") << disguised.out;
  EXPECT_EQ(signals_of(proxy_, seen(disguised.out, "x-request-id")),
            "tls_not_browser,missing_browser_headers")
      << "Python offers no ALPN, which every browser does";
}

TEST_F(BotsTest, NghttpIsAutomation) {
  ASSERT_TRUE(start_bots(kClassifyingPolicy));
  ProcessResult r = run_process({"nghttp", https("/headers")}, seconds(20));
  ASSERT_TRUE(r.exit && r.exit->success()) << r.err;
  EXPECT_EQ(seen(r.out, "x-portcullis-bot"), "automation:60") << r.out;
  EXPECT_EQ(signals_of(proxy_, seen(r.out, "x-request-id")), "library_user_agent");
}

TEST_F(BotsTest, HeadlessChromiumIsAutomationAndAsAPlainBrowserHuman) {
  ASSERT_TRUE(start_bots(kClassifyingPolicy));
  ProcessResult headless = chromium("/headers");
  ASSERT_TRUE(headless.exit && headless.exit->success()) << headless.err;
  EXPECT_EQ(seen(headless.out, "x-portcullis-bot"), "automation:60") << headless.out;
  EXPECT_EQ(signals_of(proxy_, seen(headless.out, "x-request-id")), "headless_browser");
  EXPECT_NE(seen(headless.out, "x-portcullis-h2fp").find("|m,a,s,p"), std::string::npos);

  // The same browser without the HeadlessChrome token: its TLS (GREASE, ALPN h2), HTTP/2 and
  // headers all agree with a Chrome User-Agent.
  ProcessResult plain = chromium("/headers", {"--user-agent=" + std::string(kChromeUa)});
  ASSERT_TRUE(plain.exit && plain.exit->success()) << plain.err;
  EXPECT_EQ(seen(plain.out, "x-portcullis-bot"), "human:0") << plain.out;
}

TEST_F(BotsTest, ScannersAndImpersonatedCrawlersAreBlockedVerifiedCrawlersPass) {
  ASSERT_TRUE(start_bots(kClassifyingPolicy));
  CurlResult scanner = curl("/headers", {"-A", "sqlmap/1.7.2#stable (https://sqlmap.org)", "-H",
                                         "Accept: application/json"});
  EXPECT_EQ(scanner.status, 403) << scanner;
  EXPECT_NE(scanner.body.find("scanner_user_agent"), std::string::npos) << scanner.body;
  EXPECT_EQ(upstream_.request_count(), 0u);

  const std::string google =
      "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
  CurlResult verified = curl("/headers", {"-A", google});
  ASSERT_EQ(verified.status, 200) << verified;
  EXPECT_EQ(seen(verified.body, "x-portcullis-bot"), "verified_bot:0");

  const std::string bing =
      "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)";
  CurlResult impostor = curl("/headers", {"-A", bing});
  EXPECT_EQ(impostor.status, 403) << impostor;
  EXPECT_NE(impostor.body.find("crawler_impersonation"), std::string::npos) << impostor.body;

  std::string metrics = run_curl({proxy_url(proxy_.admin_port(), "/metrics")}).body;
  EXPECT_NE(metrics.find("portcullis_bot_requests_total{class=\"malicious\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("portcullis_bot_requests_total{class=\"verified_bot\"} 1"),
            std::string::npos);
  EXPECT_NE(metrics.find("portcullis_bot_signals_total{signal=\"crawler_impersonation\"} 1"),
            std::string::npos);
}

TEST_F(BotsTest, FingerprintHeadersFromTheClientAreNeverForwarded) {
  ASSERT_TRUE(start_bots("      forward_headers: true\n"));
  CurlResult r = curl("/headers", {"--http1.1", "-H", "x-portcullis-bot: human:0", "-H",
                                   "X-Portcullis-JA4: t13d1516h2_8daaf6152771_e5627efa2ab1", "-H",
                                   "x-portcullis-h2fp: forged"});
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(seen(r.body, "x-portcullis-bot"), "automation:60") << r.body;
  EXPECT_EQ(seen(r.body, "X-Portcullis-JA4"), "<absent>");
  EXPECT_EQ(seen(r.body, "x-portcullis-ja4").substr(0, 4), "t13i");
  EXPECT_EQ(seen(r.body, "x-portcullis-h2fp"), "<absent>") << "HTTP/1.1 has none to add";
}

TEST_F(BotsTest, AFingerprintThatKeepsFailingGetsAHigherScore) {
  ASSERT_TRUE(start_bots("      reputation: {min_requests: 10, max_error_ratio: 0.5}\n"));
  EXPECT_EQ(seen(curl("/headers").body, "x-portcullis-bot"), "automation:60");
  for (int i = 0; i < 12; ++i) EXPECT_EQ(curl("/status/404").status, 404);
  CurlResult after = curl("/headers");
  EXPECT_EQ(seen(after.body, "x-portcullis-bot"), "automation:100") << after.body;
  // Another client stack is not affected.
  ProcessResult py = python("/headers", "probe/1.0");
  EXPECT_EQ(seen(py.out, "x-portcullis-bot"), "human:0") << py.out;
}

constexpr std::string_view kChallengePolicy =
    "      actions: {automation: challenge}\n"
    "      challenge: {secrets: [bots-test-secret-0123456789], difficulty: 14, ttl: 10m}\n";

TEST_F(BotsTest, ChromiumSolvesTheChallengeAndPassesWithItsCookie) {
  ASSERT_TRUE(start_bots(kChallengePolicy));
  ProcessResult solved = chromium("/headers", {}, 30000);
  ASSERT_TRUE(solved.exit && solved.exit->success()) << solved.err;
  EXPECT_EQ(seen(solved.out, "x-portcullis-bot"), "automation:60") << solved.out;
  // Everything the upstream saw came with the pass (the page, and the icon asked for after it).
  const auto requests = upstream_.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.front().target, "/headers");
  for (const ReceivedRequest& r : requests) {
    EXPECT_NE(r.header("cookie").value_or("").find("portcullis_pass=v1."), std::string::npos)
        << r.target;
  }
  bool challenged = false;
  for (const auto& e : events_of(proxy_)) {
    challenged |= e.value("stage", "") == "bots" && e.value("action", "") == "challenge";
  }
  EXPECT_TRUE(challenged) << proxy_.stdout_log();
}

TEST_F(BotsTest, APassIsCheckedForItsClientItsSignatureAndItsExpiry) {
  ASSERT_TRUE(start_bots(kChallengePolicy));
  const std::vector<std::string> api = {"-H", "Accept: application/json"};
  CurlResult first = curl("/headers", api);
  EXPECT_EQ(first.status, 403) << first;
  EXPECT_NE(first.body.find("challenge required"), std::string::npos) << first.body;
  // A client that asks for HTML gets the page, with a policy that allows only its script.
  CurlResult html = curl("/headers", {"-H", "Accept: text/html"});
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.body.find("script-src 'sha256-"), std::string::npos) << html.body;

  // What curl's pass is bound to: its JA4 (from the event of the refusal) and User-Agent.
  std::string ja4;
  for (const auto& e : events_of(proxy_)) {
    if (e.value("stage", "") == "bots") ja4 = e["fingerprints"].value("ja4", "");
  }
  ASSERT_EQ(ja4.size(), 36u);
  const std::string ua = "curl/8 pass-test";
  bots::ChallengeConfig cc;
  cc.secrets = {std::string(kSecret)};
  cc.difficulty = 14;
  cc.ttl_s = 600;
  bots::Challenge challenge(cc);
  const std::string binding = ja4 + "|" + ua;
  auto pass_at = [&](std::uint64_t now, std::string_view ip = "127.0.0.1") {
    std::string puzzle = challenge.puzzle(ip, binding, now);
    return "portcullis_pass=" + puzzle + "." +
           std::to_string(bots::Challenge::solve(puzzle, cc.difficulty));
  };
  auto with_cookie = [&](const std::string& cookie) {
    std::vector<std::string> args = api;
    args.insert(args.end(), {"-A", ua, "-b", cookie});
    return curl("/headers", args);
  };
  const auto now = static_cast<std::uint64_t>(std::time(nullptr));

  CurlResult good = with_cookie(pass_at(now));
  EXPECT_EQ(good.status, 200) << good;

  CurlResult expired = with_cookie(pass_at(now - 700));
  EXPECT_EQ(expired.status, 403) << expired;
  EXPECT_NE(expired.body.find("challenge pass expired"), std::string::npos) << expired.body;

  CurlResult elsewhere = with_cookie(pass_at(now, "198.51.100.7"));
  EXPECT_EQ(elsewhere.status, 403);
  EXPECT_NE(elsewhere.body.find("challenge pass invalid"), std::string::npos) << elsewhere.body;

  std::string forged = pass_at(now);
  char& mac_digit = forged[forged.find(".14.") + 4];
  mac_digit = mac_digit == '0' ? '1' : '0';
  CurlResult bad = with_cookie(forged);
  EXPECT_EQ(bad.status, 403);
  EXPECT_NE(bad.body.find("challenge pass invalid"), std::string::npos) << bad.body;

  bots::ChallengeConfig other = cc;
  other.secrets = {"not-the-proxys-secret-0123"};
  bots::Challenge stranger(other);
  std::string puzzle = stranger.puzzle("127.0.0.1", binding, now);
  CurlResult unsigned_pass = with_cookie("portcullis_pass=" + puzzle + "." +
                                         std::to_string(bots::Challenge::solve(puzzle, 14)));
  EXPECT_EQ(unsigned_pass.status, 403);
  EXPECT_EQ(upstream_.request_count(), 1u) << "only the good pass went through";
}

TEST_F(BotsTest, QuickStartForwardsFingerprintsAndBotsOffTurnsTheStageOff) {
  auto start = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"--listen",   "127.0.0.1:0",
                                     "--tls-cert", loopback_certificate().cert,
                                     "--tls-key",  loopback_certificate().key,
                                     "--upstream", "http://" + upstream_.endpoint()};
    args.insert(args.end(), extra.begin(), extra.end());
    return proxy_.start(args);
  };
  ASSERT_TRUE(start({}));
  CurlResult on = curl("/headers");
  EXPECT_EQ(seen(on.body, "x-portcullis-bot"), "automation:60") << on.body;
  EXPECT_EQ(seen(on.body, "x-portcullis-ja4").size(), 36u);
  EXPECT_EQ(seen(on.body, "x-portcullis-ja3").size(), 32u);
  EXPECT_NE(seen(on.body, "x-portcullis-h2fp"), "<absent>");

  proxy_.terminate(SIGKILL);
  proxy_.wait_exit(seconds(5));
  ProxyProcess off;
  std::vector<std::string> args = {"--listen",   "127.0.0.1:0",
                                   "--tls-cert", loopback_certificate().cert,
                                   "--tls-key",  loopback_certificate().key,
                                   "--upstream", "http://" + upstream_.endpoint(),
                                   "--bots",     "off"};
  ASSERT_TRUE(off.start(args));
  CurlResult r =
      run_curl({"--http2", "-k", "https://127.0.0.1:" + std::to_string(off.port()) + "/headers"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(seen(r.body, "x-portcullis-bot"), "<absent>") << r.body;
  EXPECT_EQ(seen(r.body, "x-portcullis-ja4"), "<absent>");
}

TEST(BotsConfigTest, CheckNamesBadBotsKeys) {
  struct Row {
    std::string yaml;
    std::string key;
  };
  const Row rows[] = {
      {"      actions: {automation: maybe}\n", "policies[0].bots.actions.automation"},
      {"      challenge: {secrets: [short]}\n", "policies[0].bots.challenge.secrets"},
      {"      challenge: {difficulty: 40}\n", "policies[0].bots.challenge.difficulty"},
      {"      crawlers: [{name: g, user_agents: [G], ranges: [10.0.0.0/99]}]\n",
       "policies[0].bots.crawlers[0].ranges[0]"},
      {"      user_agents: {crs_data: ./nowhere}\n", "policies[0].bots.user_agents.crs_data"},
      {"      colour: blue\n", "policies[0].bots.colour"},
  };
  for (const Row& row : rows) {
    EXPECT_TRUE(
        check_refuses("listen: [127.0.0.1:0]\nupstreams: [{name: app, endpoints: [127.0.0.1:9]}]\n"
                      "routes: [{upstream: app}]\npolicies:\n  - name: default\n    bots:\n" +
                          row.yaml,
                      row.key));
  }
}

}  // namespace
}  // namespace portcullis::testing
