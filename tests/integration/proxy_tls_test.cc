// TLS termination on a listener: certificates chosen by SNI, ALPN, client certificates,
// resumption, and clean handling of what is not TLS. Certificates are made for each run by the
// openssl command line tool: a CA, server certificates for api.test and www.test, and a client
// certificate.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/integration/harness.h"

namespace portcullis::testing {
namespace {

using std::chrono::seconds;

// A CA and certificates signed by it, made once for the whole suite.
class Pki {
 public:
  Pki() {
    ca_ = make_ca();
    api_ = issue("api", "api.test", "serverAuth");
    www_ = issue("www", "www.test", "serverAuth");
    client_ = issue("client", "client.test", "clientAuth");
  }
  std::string file(std::string_view name) const { return (dir_.path() / name).string(); }
  bool ok() const { return ca_ && api_ && www_ && client_; }

 private:
  bool run(const std::vector<std::string>& argv) const {
    ProcessResult r = run_process(argv, seconds(20));
    if (!r.exit || !r.exit->success()) {
      ADD_FAILURE() << "openssl failed: " << r.err;
      return false;
    }
    return true;
  }
  bool make_ca() {
    return run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", file("ca.key"), "-out", file("ca.pem"), "-days", "2", "-subj",
                "/CN=Portcullis Test CA"});
  }
  bool issue(const std::string& name, const std::string& dns, const std::string& usage) {
    dir_.write(name + ".ext", "subjectAltName=DNS:" + dns + "\nextendedKeyUsage=" + usage + "\n");
    return run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", file(name + ".key"), "-out", file(name + ".csr"), "-subj",
                "/CN=" + dns}) &&
           run({"openssl", "x509", "-req", "-in", file(name + ".csr"), "-CA", file("ca.pem"),
                "-CAkey", file("ca.key"), "-CAcreateserial", "-out", file(name + ".pem"), "-days",
                "2", "-extfile", file(name + ".ext")});
  }

  TempDir dir_;
  bool ca_ = false, api_ = false, www_ = false, client_ = false;
};

const Pki& pki() {
  static const Pki* instance = new Pki();
  return *instance;
}

class ProxyTlsTest : public ProxyTest {
 protected:
  void SetUp() override { ASSERT_TRUE(pki().ok()); }

  // One TLS listener with api.test (default) and www.test, plus `extra_tls` keys.
  ::testing::AssertionResult start_tls(std::string_view extra_tls = {},
                                       std::string_view extra_top = {}) {
    std::string config =
        "listen:\n  - address: 127.0.0.1:0\n    tls:\n      certificates:\n" +
        std::string("        - {cert: ") + pki().file("api.pem") +
        ", key: " + pki().file("api.key") + "}\n        - {cert: " + pki().file("www.pem") +
        ", key: " + pki().file("www.key") + "}\n" + std::string(extra_tls) +
        std::string(extra_top) + "workers: 1\nupstreams:\n  - name: app\n" + "    endpoints: [" +
        upstream_.endpoint() + "]\nroutes:\n  - upstream: app\n";
    return proxy_.start_with_config(config);
  }

  // curl to https://NAME:PORT/PATH with NAME resolved to 127.0.0.1 and the test CA trusted.
  CurlResult curl_tls(std::string_view name, std::string_view path,
                      std::vector<std::string> extra = {}) {
    std::string host(name);
    std::string port = std::to_string(proxy_.port());
    std::vector<std::string> args = {"--cacert", pki().file("ca.pem"), "--resolve",
                                     host + ":" + port + ":127.0.0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back("https://" + host + ":" + port + std::string(path));
    return run_curl(args);
  }

  // The subject of the certificate the proxy presents for `server_name`.
  std::string presented_subject(std::string_view server_name) {
    ProcessResult r =
        run_process({"sh", "-c",
                     "echo | openssl s_client -connect 127.0.0.1:" + std::to_string(proxy_.port()) +
                         " -servername " + std::string(server_name) +
                         " 2>/dev/null | openssl x509 -noout -subject"},
                    seconds(10));
    return r.out;
  }
};

TEST_F(ProxyTlsTest, ProxiesOverTlsAndTellsTheUpstreamItWasHttps) {
  ASSERT_TRUE(start_tls());
  CurlResult result = curl_tls("api.test", "/headers");
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.status, 200) << result;
  ASSERT_TRUE(upstream_.wait_for_requests(1, seconds(5)));
  EXPECT_EQ(upstream_.requests()[0].header("x-forwarded-proto"), "https");
  EXPECT_EQ(upstream_.requests()[0].header("host"), "api.test:" + std::to_string(proxy_.port()));
}

TEST_F(ProxyTlsTest, CertificateIsChosenBySni) {
  ASSERT_TRUE(start_tls());
  // curl verifies the name: each succeeds only if the matching certificate was presented.
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
  EXPECT_EQ(curl_tls("www.test", "/hello").status, 200);
  EXPECT_NE(presented_subject("www.test").find("www.test"), std::string::npos);
  EXPECT_NE(presented_subject("api.test").find("api.test"), std::string::npos);
}

TEST_F(ProxyTlsTest, UnknownSniGetsTheDefaultCertificate) {
  ASSERT_TRUE(start_tls());
  EXPECT_NE(presented_subject("unknown.test").find("api.test"), std::string::npos);
}

TEST_F(ProxyTlsTest, AlpnPrefersH2AndFallsBackToHttp11) {
  ASSERT_TRUE(start_tls());
  auto alpn = [&](const std::string& offer) {
    // grep -a: the server's HTTP/2 frames, printed raw, make the output binary.
    return run_process({"sh", "-c",
                        "echo | openssl s_client -connect 127.0.0.1:" +
                            std::to_string(proxy_.port()) + " -servername api.test -alpn " + offer +
                            " 2>/dev/null | grep -a -i 'ALPN protocol'"},
                       seconds(10))
        .out;
  };
  EXPECT_NE(alpn("h2,http/1.1").find("ALPN protocol: h2"), std::string::npos);
  EXPECT_NE(alpn("http/1.1").find("ALPN protocol: http/1.1"), std::string::npos);
  // A client that offers only HTTP/1.1 is served HTTP/1.1.
  CurlResult result = curl_tls("api.test", "/hello");
  ASSERT_EQ(result.exit_code, 0) << result;
  EXPECT_EQ(result.status, 200);
}

TEST_F(ProxyTlsTest, Http2OverTlsWithCurlAndH2load) {
  ASSERT_TRUE(start_tls());
  std::string port = std::to_string(proxy_.port());
  ProcessResult curl =
      run_process({"curl", "-s", "-S", "--http2", "--cacert", pki().file("ca.pem"), "--resolve",
                   "api.test:" + port + ":127.0.0.1", "-o", "/dev/null", "-w",
                   "%{http_code} %{http_version}", "https://api.test:" + port + "/hello"},
                  seconds(20));
  EXPECT_EQ(curl.out, "200 2") << curl.err;
  ProcessResult load = run_process(
      {"h2load", "-n", "1000", "-c", "4", "-m", "8", "https://127.0.0.1:" + port + "/hello"},
      seconds(60));
  EXPECT_NE(load.out.find("1000 succeeded, 0 failed"), std::string::npos) << load.out;
  EXPECT_NE(load.out.find("Application protocol: h2"), std::string::npos) << load.out;
  ASSERT_TRUE(upstream_.wait_for_requests(1001, seconds(10)));
  EXPECT_EQ(upstream_.requests()[0].header("x-forwarded-proto"), "https");
}

TEST_F(ProxyTlsTest, ClosingConnectionSendsCloseNotify) {
  ASSERT_TRUE(start_tls());
  ProcessResult r = run_process(
      {"sh", "-c",
       "printf 'GET /hello HTTP/1.1\\r\\nHost: api.test\\r\\nConnection: close\\r\\n\\r\\n' | "
       "openssl s_client -quiet -connect 127.0.0.1:" +
           std::to_string(proxy_.port()) + " -servername api.test 2>&1"},
      seconds(10));
  EXPECT_NE(r.out.find("hello from upstream"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("unexpected eof"), std::string::npos) << r.out;
}

TEST_F(ProxyTlsTest, PlainHttpOnTheTlsPortIsClosedAndCounted) {
  ASSERT_TRUE(start_tls());
  RawClient client(proxy_.port());
  ASSERT_TRUE(client.send(request_head("GET", "/hello")));
  EXPECT_TRUE(client.is_closed(seconds(5)));
  EXPECT_EQ(upstream_.head_count(), 0u);
  // The listener still serves TLS.
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
  // The failed handshake is counted.
  std::string metrics = run_curl({proxy_url(proxy_.admin_port(), "/metrics")}).body;
  EXPECT_NE(metrics.find("\nportcullis_tls_handshake_failures_total 1\n"), std::string::npos)
      << metrics;
}

TEST_F(ProxyTlsTest, CertificatesAreReReadOnReloadWithoutDroppingConnections) {
  // The listener's files: api.test's certificate first, www.test's after the reload.
  TempDir dir;
  auto cert = dir.path() / "server.pem";
  auto key = dir.path() / "server.key";
  std::filesystem::copy_file(pki().file("api.pem"), cert);
  std::filesystem::copy_file(pki().file("api.key"), key);
  ASSERT_TRUE(proxy_.start_with_config(
      "listen:\n  - address: 127.0.0.1:0\n    tls:\n      certificates:\n        - {cert: " +
      cert.string() + ", key: " + key.string() + "}\nworkers: 1\nupstreams: [{name: app, " +
      "endpoints: [" + upstream_.endpoint() + "]}]\nroutes: [{upstream: app}]\n"));
  ASSERT_NE(presented_subject("api.test").find("api.test"), std::string::npos);

  // A request in flight on an established connection while the certificate changes.
  CurlResult slow;
  std::thread in_flight([&] { slow = curl_tls("api.test", "/slow?ms=1500"); });
  ASSERT_TRUE(upstream_.wait_for_heads(1, seconds(5)));
  std::filesystem::copy_file(pki().file("www.pem"), cert,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(pki().file("www.key"), key,
                             std::filesystem::copy_options::overwrite_existing);
  CurlResult reload = run_curl({"-X", "POST", proxy_url(proxy_.admin_port(), "/reload")});
  EXPECT_EQ(reload.status, 200) << reload.body;
  EXPECT_NE(presented_subject("api.test").find("www.test"), std::string::npos);
  EXPECT_EQ(curl_tls("www.test", "/hello").status, 200);
  in_flight.join();
  EXPECT_EQ(slow.status, 200) << slow;
  EXPECT_EQ(slow.body, "slow\n");

  // A key that does not match its certificate fails the reload; the running one stays.
  std::filesystem::copy_file(pki().file("api.key"), key,
                             std::filesystem::copy_options::overwrite_existing);
  CurlResult bad = run_curl({"-X", "POST", proxy_url(proxy_.admin_port(), "/reload")});
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_EQ(curl_tls("www.test", "/hello").status, 200);
}

TEST_F(ProxyTlsTest, TruncatedHandshakeIsClosedAndOthersAreUnaffected) {
  ASSERT_TRUE(start_tls("      min_version: TLS1.2\n"));
  {
    RawClient client(proxy_.port());
    // The first bytes of a TLS record carrying a ClientHello, then nothing more.
    ASSERT_TRUE(client.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
    client.shutdown_write();
    EXPECT_TRUE(client.is_closed(seconds(5)));
  }
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
}

TEST_F(ProxyTlsTest, SilentClientIsClosedAfterTheHeaderTimeout) {
  ASSERT_TRUE(start_tls({}, "timeouts: {header: 500ms}\n"));
  RawClient silent(proxy_.port());
  ASSERT_TRUE(silent.connected());
  // While it stays silent, others are served.
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
  const Clock::time_point start = Clock::now();
  EXPECT_TRUE(silent.is_closed(seconds(5)));
  EXPECT_LT(Clock::now() - start, seconds(3));
}

TEST_F(ProxyTlsTest, MinimumVersionIsEnforced) {
  ASSERT_TRUE(start_tls("      min_version: TLS1.3\n"));
  CurlResult old = curl_tls("api.test", "/hello", {"--tls-max", "1.2"});
  EXPECT_NE(old.exit_code, 0) << old;
  EXPECT_EQ(curl_tls("api.test", "/hello", {"--tlsv1.3"}).status, 200);
}

TEST_F(ProxyTlsTest, ClientCertificateIsRequiredWhenConfigured) {
  ASSERT_TRUE(start_tls("      client_ca: " + pki().file("ca.pem") + "\n"));
  CurlResult without = curl_tls("api.test", "/hello");
  EXPECT_NE(without.exit_code, 0) << without;
  EXPECT_EQ(upstream_.head_count(), 0u);
  CurlResult with =
      curl_tls("api.test", "/hello",
               {"--cert", pki().file("client.pem"), "--key", pki().file("client.key")});
  EXPECT_EQ(with.status, 200) << with;
}

TEST_F(ProxyTlsTest, OptionalClientCertificate) {
  ASSERT_TRUE(
      start_tls("      client_ca: " + pki().file("ca.pem") + "\n      client_cert: optional\n"));
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
  EXPECT_EQ(curl_tls("api.test", "/hello",
                     {"--cert", pki().file("client.pem"), "--key", pki().file("client.key")})
                .status,
            200);
}

TEST_F(ProxyTlsTest, SessionsAreResumed) {
  ASSERT_TRUE(start_tls("      min_version: TLS1.2\n"));
  TempDir dir;
  std::string session = (dir.path() / "session.pem").string();
  std::string connect =
      "echo | openssl s_client -tls1_2 -connect 127.0.0.1:" + std::to_string(proxy_.port()) +
      " -servername api.test ";
  ProcessResult first = run_process({"sh", "-c", connect + "-sess_out " + session}, seconds(10));
  ASSERT_TRUE(first.exit.has_value());
  ProcessResult second = run_process({"sh", "-c", connect + "-sess_in " + session}, seconds(10));
  EXPECT_NE(second.out.find("Reused, TLSv1.2"), std::string::npos) << second.out;
}

TEST_F(ProxyTlsTest, QuickStartFlagsMakeTheListenerTls) {
  ASSERT_TRUE(proxy_.start({"--listen", "127.0.0.1:0", "--upstream",
                            "http://" + upstream_.endpoint(), "--tls-cert", pki().file("api.pem"),
                            "--tls-key", pki().file("api.key"), "--workers", "1"}));
  EXPECT_EQ(curl_tls("api.test", "/hello").status, 200);
}

TEST(ProxyTlsConfigTest, CheckNamesABadCertificate) {
  ASSERT_TRUE(pki().ok());
  TempDir dir;
  auto path = dir.write("bad.yaml",
                        "listen:\n  - address: 127.0.0.1:0\n    tls:\n"
                        "      certificates:\n        - {cert: /nonexistent.pem, key: " +
                            pki().file("api.key") +
                            "}\nupstreams: [{name: a, endpoints: [127.0.0.1:1]}]\n"
                            "routes: [{upstream: a}]\n");
  ProcessResult r = run_portcullis({"--check", "-c", path.string()});
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 1);
  EXPECT_NE(r.err.find("bad.yaml:5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/nonexistent.pem"), std::string::npos) << r.err;
}

TEST(ProxyTlsConfigTest, CheckNamesAMismatchedKey) {
  ASSERT_TRUE(pki().ok());
  TempDir dir;
  auto path = dir.write("bad.yaml",
                        "listen:\n  - address: 127.0.0.1:0\n    tls:\n"
                        "      certificates:\n        - {cert: " +
                            pki().file("api.pem") + ", key: " + pki().file("www.key") +
                            "}\nupstreams: [{name: a, endpoints: [127.0.0.1:1]}]\n"
                            "routes: [{upstream: a}]\n");
  ProcessResult r = run_portcullis({"--check", "-c", path.string()});
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_EQ(r.exit->code, 1);
  EXPECT_NE(r.err.find("does not match"), std::string::npos) << r.err;
}

// gRPC over TLS to the upstream: an nghttpd with the test CA's api.test certificate.
class ProxyTlsUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki().ok()); }
  ::testing::AssertionResult start(const std::string& tls_yaml) {
    if (!origin_.ready()) return ::testing::AssertionFailure() << "nghttpd did not start";
    return proxy_.start_with_config(
        "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: grpc\n    protocol: h2\n"
        "    endpoints: [127.0.0.1:" +
        std::to_string(origin_.port()) + "]\n    tls: " + tls_yaml +
        "\nroutes: [{upstream: grpc}]\n");
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(proxy_.port()); }

  Nghttpd origin_{pki().file("api.pem"), pki().file("api.key")};
  ProxyProcess proxy_;
};

TEST_F(ProxyTlsUpstreamTest, VerifiedH2UpstreamCarriesGrpcStyleCalls) {
  ASSERT_TRUE(start("{ca: " + pki().file("ca.pem") + ", server_name: api.test}"));
  TempDir dir;
  auto file = dir.write("request.bin", test_payload(50000, 2));
  ProcessResult r =
      run_process({"nghttp", "-v", "-H", ":method: POST", "-H", "content-type: application/grpc",
                   "-H", "te: trailers", "-d", file.string(), base() + "/pkg.Service/Call"},
                  seconds(20));
  ASSERT_TRUE(r.exit && r.exit->success()) << r.err;
  EXPECT_NE(r.out.find(":status: 200"), std::string::npos) << r.out.substr(0, 2000);
  EXPECT_NE(r.out.find("grpc-status: 0"), std::string::npos);
  EXPECT_EQ(run_curl({base() + "/index.html"}).body, "hello from nghttpd\n");
}

TEST_F(ProxyTlsUpstreamTest, QuickStartH2UpstreamVerifiesAgainstTheSystemCas) {
  ASSERT_TRUE(origin_.ready());
  // The test CA is not a system CA: the quick start refuses the upstream rather than trust it.
  ASSERT_TRUE(proxy_.start({"--listen", "127.0.0.1:0", "--workers", "1", "--upstream",
                            "h2://localhost:" + std::to_string(origin_.port())}));
  CurlResult r = run_curl({base() + "/index.html"});
  EXPECT_EQ(r.status, 502);
  EXPECT_NE(r.body.find("TLS handshake failed"), std::string::npos) << r.body;
}

TEST_F(ProxyTlsUpstreamTest, UnknownCaIsRefusedWith502) {
  // The upstream's certificate is checked against the system CAs, which do not know the test CA.
  ASSERT_TRUE(start("{server_name: api.test}"));
  EXPECT_EQ(run_curl({base() + "/index.html"}).status, 502);
}

TEST_F(ProxyTlsUpstreamTest, WrongNameIsRefusedWith502) {
  ASSERT_TRUE(start("{ca: " + pki().file("ca.pem") + ", server_name: www.test}"));
  EXPECT_EQ(run_curl({base() + "/index.html"}).status, 502);
}

// HTTP/1.1 over TLS to the upstream: a real nginx terminates TLS with the test CA's api.test
// certificate and passes each request, with what it saw of the TLS session in x-tls-* headers,
// to the test upstream.
class ProxyHttpsUpstreamTest : public ProxyTest {
 protected:
  void SetUp() override { ASSERT_TRUE(pki().ok()); }

  ::testing::AssertionResult start(const std::string& upstream_yaml) {
    if (!origin_.ready()) {
      return ::testing::AssertionFailure() << "nginx did not start: " << origin_.error_log();
    }
    return proxy_.start_with_config(
        "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: app\n    endpoints: [127.0.0.1:" +
        std::to_string(origin_.port()) + "]\n" + upstream_yaml + "\nroutes: [{upstream: app}]\n");
  }
  std::string tls_yaml(const std::string& extra = {}) const {
    return "    tls: {ca: " + pki().file("ca.pem") + ", server_name: api.test" + extra + "}";
  }

  Nginx origin_{"ssl", "    ssl_certificate " + pki().file("api.pem") +
                           ";\n    ssl_certificate_key " + pki().file("api.key") +
                           ";\n    ssl_client_certificate " + pki().file("ca.pem") +
                           ";\n    ssl_verify_client optional;\n    client_max_body_size 0;\n"
                           "    location / {\n"
                           "      proxy_pass http://" +
                           upstream_.endpoint() +
                           ";\n"
                           "      proxy_http_version 1.1;\n"
                           "      proxy_request_buffering off;\n"
                           "      proxy_buffering off;\n"
                           "      proxy_set_header Connection \"\";\n"
                           "      proxy_set_header Host $host;\n"
                           "      proxy_set_header x-tls-sni $ssl_server_name;\n"
                           "      proxy_set_header x-tls-alpn $ssl_alpn_protocol;\n"
                           "      proxy_set_header x-tls-reused $ssl_session_reused;\n"
                           "      proxy_set_header x-tls-client $ssl_client_s_dn;\n"
                           "      proxy_set_header x-tls-connection $connection;\n"
                           "    }"};
};

TEST_F(ProxyHttpsUpstreamTest, RequestsGoOverVerifiedTlsOnKeptAliveConnections) {
  ASSERT_TRUE(start(tls_yaml()));
  for (int i = 0; i < 5; ++i) {
    CurlResult r = run_curl({"-H", "Host: shop.example", url("/hello")});
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.body, "hello from upstream\n");
  }
  auto requests = upstream_.requests();
  ASSERT_EQ(requests.size(), 5u);
  for (const auto& req : requests) {
    EXPECT_EQ(req.header("x-tls-sni"), "api.test");
    EXPECT_EQ(req.header("x-tls-alpn"), "http/1.1");
    EXPECT_EQ(req.header("host"), "shop.example");
    EXPECT_EQ(req.header("x-forwarded-for"), "127.0.0.1");
    EXPECT_EQ(req.header("x-forwarded-proto"), "http");
    EXPECT_FALSE(req.header("x-tls-client"));  // no client certificate was configured
    // One TLS connection carried all five: the upstream pool keeps it.
    EXPECT_EQ(req.header("x-tls-connection"), requests[0].header("x-tls-connection"));
  }
}

TEST_F(ProxyHttpsUpstreamTest, BodiesStreamBothWaysIntact) {
  ASSERT_TRUE(start(tls_yaml()));
  TempDir dir;
  std::string payload = test_payload(3 * 1024 * 1024 + 17, 5);
  auto file = dir.write("body.bin", payload);
  CurlResult up = run_curl(
      {"-H", "Transfer-Encoding: chunked", "--data-binary", "@" + file.string(), url("/echo")});
  ASSERT_EQ(up.status, 200) << up;
  EXPECT_TRUE(up.body == payload) << "echoed body differs, " << up.body.size() << " bytes";
  CurlResult down = run_curl({url("/big?bytes=5000000")});
  ASSERT_EQ(down.status, 200) << down;
  EXPECT_EQ(down.body, std::string(5000000, 'x'));
  CurlResult chunks = run_curl({url("/chunked?n=3")});
  EXPECT_EQ(chunks.body, "chunk-0\nchunk-1\nchunk-2\n");
  // The same upload from an HTTP/2 client, converted to HTTP/1.1 over TLS.
  ProcessResult h2 = run_process({"curl", "-s", "-S", "--http2-prior-knowledge", "--data-binary",
                                  "@" + file.string(), url("/echo")},
                                 seconds(20));
  ASSERT_TRUE(h2.exit && h2.exit->success()) << h2.err;
  EXPECT_TRUE(h2.out == payload) << "echoed body differs, " << h2.out.size() << " bytes";
}

TEST_F(ProxyHttpsUpstreamTest, NewConnectionsResumeTheTlsSession) {
  // max_idle 0: every request opens a new connection, which resumes the last session.
  ASSERT_TRUE(start(tls_yaml() + "\n    max_idle: 0"));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(run_curl({url("/hello")}).status, 200);
  auto requests = upstream_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].header("x-tls-reused"), ".");  // nginx: "." full handshake, "r" resumed
  EXPECT_EQ(requests[1].header("x-tls-reused"), "r");
  EXPECT_EQ(requests[2].header("x-tls-reused"), "r");
  EXPECT_NE(requests[1].header("x-tls-connection"), requests[2].header("x-tls-connection"));
}

TEST_F(ProxyHttpsUpstreamTest, ClientCertificateIsPresented) {
  ASSERT_TRUE(start(
      tls_yaml(", cert: " + pki().file("client.pem") + ", key: " + pki().file("client.key"))));
  ASSERT_EQ(run_curl({url("/hello")}).status, 200);
  ASSERT_EQ(upstream_.request_count(), 1u);
  EXPECT_EQ(upstream_.requests()[0].header("x-tls-client"), "CN=client.test");
}

TEST_F(ProxyHttpsUpstreamTest, WrongNameOrUnknownCaGets502AndNothingIsSent) {
  ASSERT_TRUE(start("    tls: {ca: " + pki().file("ca.pem") + ", server_name: www.test}"));
  CurlResult r = run_curl({url("/hello")});
  EXPECT_EQ(r.status, 502) << r;
  EXPECT_NE(r.body.find("TLS handshake failed"), std::string::npos) << r.body;
  // The quick start checks against the system CAs, which do not know the test CA.
  ProxyProcess quick;
  ASSERT_TRUE(quick.start({"--listen", "127.0.0.1:0", "--workers", "1", "--upstream",
                           "https://localhost:" + std::to_string(origin_.port())}));
  EXPECT_EQ(run_curl({proxy_url(quick.port(), "/hello")}).status, 502);
  EXPECT_EQ(upstream_.request_count(), 0u);
}

TEST_F(ProxyHttpsUpstreamTest, PlainUpstreamBehindTlsConfigTimesOutWith504) {
  // The test upstream speaks cleartext HTTP and waits for a request head that never comes: the
  // handshake is bounded by timeouts.upstream_connect.
  ASSERT_TRUE(proxy_.start_with_config(
      "listen: [127.0.0.1:0]\nworkers: 1\ntimeouts: {upstream_connect: 300ms}\nupstreams:\n"
      "  - name: app\n    endpoints: [" +
      upstream_.endpoint() + "]\n" + tls_yaml() + "\nroutes: [{upstream: app}]\n"));
  for (int i = 0; i < 2; ++i) {
    CurlResult r = run_curl({url("/hello")});
    EXPECT_EQ(r.status, 504) << r;
    EXPECT_NE(r.body.find("upstream TLS handshake timeout"), std::string::npos) << r.body;
  }
  EXPECT_EQ(upstream_.request_count(), 0u);
  EXPECT_TRUE(proxy_.running());
}

TEST_F(ProxyHttpsUpstreamTest, CleartextNginxBehindTlsConfigGets502) {
  // A real server answers the ClientHello with a plain-HTTP 400: the handshake fails at once.
  Nginx plain("", "    location / { return 200 \"plain\\n\"; }");
  ASSERT_TRUE(plain.ready()) << plain.error_log();
  ASSERT_TRUE(proxy_.start_with_config(
      "listen: [127.0.0.1:0]\nworkers: 1\nupstreams:\n  - name: app\n    endpoints: [127.0.0.1:" +
      std::to_string(plain.port()) + "]\n" + tls_yaml() + "\nroutes: [{upstream: app}]\n"));
  CurlResult r = run_curl({url("/hello")});
  EXPECT_EQ(r.status, 502) << r;
  EXPECT_NE(r.body.find("TLS handshake failed"), std::string::npos) << r.body;
}

// JA3 and JA4 are computed from each connection's ClientHello and written into the security
// events of its requests: the same client gives the same fingerprints on every connection, and
// a client with another TLS stack (HTTP/1.1-only ALPN, TLS 1.2) another JA4.
TEST_F(ProxyTlsTest, SecurityEventsCarryTheClientsTlsFingerprints) {
  ASSERT_TRUE(start_tls({}, "policies:\n  - name: default\n    access: {methods: [GET]}\n"));
  // The value of `name` in the event of the refused DELETE `path` (fingerprints come after
  // the path in an event).
  auto from_event = [&](const std::string& path, std::vector<std::string> extra) {
    extra.insert(extra.begin(), {"-X", "DELETE"});
    EXPECT_EQ(curl_tls("api.test", path, extra).status, 405);
    std::string events;
    std::size_t at = std::string::npos;
    for (int i = 0; i < 100 && at == std::string::npos; ++i) {
      events = run_curl({proxy_url(proxy_.admin_port(), "/events")}).body;
      at = events.find("\"path\":\"" + path + "\"");
      if (at == std::string::npos) std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_NE(at, std::string::npos) << events;
    return [events, at](const std::string& name) {
      std::size_t p = events.find("\"" + name + "\":\"", at);
      if (p == std::string::npos) return std::string();
      p += name.size() + 4;
      return events.substr(p, events.find('"', p) - p);
    };
  };
  auto first = from_event("/one", {});
  std::string ja4 = first("ja4");
  ASSERT_EQ(ja4.size(), 36u) << ja4;
  EXPECT_EQ(ja4.substr(0, 4), "t13d") << "TLS 1.3 with SNI: " << ja4;
  EXPECT_EQ(ja4[10], '_');
  EXPECT_EQ(first("ja3_hash").size(), 32u);
  EXPECT_EQ(first("ja3").substr(0, 4), "771,") << "JA3 starts with the legacy version";

  EXPECT_EQ(from_event("/two", {})("ja4"), ja4) << "the same client, the same JA4";

  std::string other = from_event("/three", {"--tls-max", "1.2"})("ja4");
  EXPECT_EQ(other.substr(0, 3), "t12") << other;
  EXPECT_NE(other, ja4);
}

}  // namespace
}  // namespace portcullis::testing
