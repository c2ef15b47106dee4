// Test doubles and drivers for the integration tests: a real HTTP/1.1 origin running inside the
// test process (TestUpstream), the portcullis binary as a child process (ProxyProcess), a raw
// socket client that sees exactly what the proxy sends (RawClient) and the curl binary
// (run_curl). Every blocking call has a deadline so that a misbehaving proxy fails a test instead
// of hanging the suite.

#ifndef PORTCULLIS_TESTS_INTEGRATION_HARNESS_H_
#define PORTCULLIS_TESTS_INTEGRATION_HARNESS_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace portcullis::testing {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;
using std::chrono::milliseconds;

// Header fields in wire order; names keep their original spelling.
using Headers = std::vector<std::pair<std::string, std::string>>;

// ASCII case-insensitive comparison, as HTTP field names and tokens compare.
bool equals_ignore_case(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);
// Whether `haystack` contains `needle`, ASCII case-insensitively.
bool contains_ignore_case(std::string_view haystack, std::string_view needle);

// The value of the first field named `name` (case-insensitive), if any.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);
// All values of the fields named `name`, in order.
std::vector<std::string> header_values(const Headers& headers, std::string_view name);
// The elements of a comma-separated list field, trimmed, across all fields named `name`.
std::vector<std::string> header_list(const Headers& headers, std::string_view name);

// Replaces every `${KEY}` in `text` with its value.
std::string fill_template(std::string_view text,
                          const std::vector<std::pair<std::string, std::string>>& values);

// How a child process ended.
struct ExitStatus {
  bool exited = false;  // true: returned from main or called exit(); false: killed by a signal
  int code = -1;        // exit code when exited
  int signal = 0;       // terminating signal when !exited

  bool success() const { return exited && code == 0; }
  bool operator==(const ExitStatus&) const = default;
};
std::ostream& operator<<(std::ostream& os, const ExitStatus& status);

// A directory under the system temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `contents` to a file `name` inside the directory and returns its path.
  std::filesystem::path write(std::string_view name, std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

// Buffered reads from a socket with optional deadlines (nullopt: wait until data, EOF or
// shutdown). Not thread-safe.
class SocketReader {
 public:
  enum class Status { kOk, kClosed, kTimeout, kTooLarge, kMalformed, kError };

  explicit SocketReader(int fd) : fd_(fd) {}

  // Receives whatever is available (at least one byte) into the buffer.
  Status fill(Deadline deadline);
  std::string_view buffered() const { return std::string_view(buffer_).substr(pos_); }
  void consume(size_t n);
  std::string take_all();

  // Reads through the next `delimiter`; `out` gets the bytes before it. kTooLarge when more than
  // `max_bytes` arrive without it.
  Status read_until(std::string_view delimiter, size_t max_bytes, Deadline deadline,
                    std::string& out);
  Status read_exact(size_t n, Deadline deadline, std::string& out);
  // Reads until the peer closes; `out` gets everything. kTimeout when the deadline passes first.
  Status read_to_close(Deadline deadline, std::string& out);
  // Decodes a chunked body (RFC 9112 section 7.1) strictly: hex sizes of at most 16 digits,
  // optional extensions, CRLF after each chunk's data, then trailer fields.
  Status read_chunked(Deadline deadline, size_t max_bytes, std::string& body, Headers* trailers);

  // errno of the last kError.
  int last_errno() const { return errno_; }

 private:
  int fd_;
  std::string buffer_;
  size_t pos_ = 0;
  int errno_ = 0;
};

std::string_view describe(SocketReader::Status status);

// One request as the upstream received it.
struct ReceivedRequest {
  std::string method;
  std::string target;
  std::string version;
  Headers headers;
  std::string body;
  bool chunked = false;      // the body arrived with Transfer-Encoding: chunked
  Headers trailers;          // the chunked body's trailer fields
  int connection_index = 0;  // 0 for the first connection the upstream accepted, then 1, ...
  std::string raw_head;      // request line and header section as received, without the blank line

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
  size_t header_count(std::string_view name) const { return header_values(headers, name).size(); }
};

// A real HTTP/1.1 origin server on 127.0.0.1 (port chosen by the kernel), one thread per
// connection, keep-alive, with a strict parser. Behaviour by path:
//   /echo (and any unknown path)  200 text/plain, the request body, x-upstream-seen-method
//   /hello                        200 "hello from upstream\n"
//   /drop-after                   200 with keep-alive framing, then closes the connection
//   /slow?ms=N                    waits N ms, then 200 "slow\n"
//   /chunked?n=N                  200, chunked, N chunks "chunk-<i>\n" (i from 0); with
//                                 &trailers=1 the trailers X-Checksum: abc123, Content-Length: 99
//   /close                        200 "until-close", no Content-Length, Connection: close, closes
//   /status/NNN                   status NNN (no body for 204 and 304)
//   /big?bytes=N                  200, N bytes of 'x'
//   /big-header?bytes=N           200 with a header x-big of N bytes
//   /reset                        closes the connection (RST) without answering
//   /ws                           with Upgrade: websocket: 101, then echoes raw bytes until EOF
//   /headers                      200, body "name: value\n" per received header, in order
//   /hop                          200 with hop-by-hop response headers the proxy must remove
// Every response carries x-upstream-target (the request target) and x-upstream-connection (the
// connection index). A request with Expect: 100-continue gets an interim 100 before its body is
// read. Malformed requests get 400 and are counted, not logged.
// All accessors are safe for concurrent use.
class TestUpstream {
 public:
  TestUpstream();
  ~TestUpstream();
  TestUpstream(const TestUpstream&) = delete;
  TestUpstream& operator=(const TestUpstream&) = delete;

  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as config endpoints spell it.
  std::string endpoint() const;

  // Complete requests (head and whole body), in the order they completed.
  std::vector<ReceivedRequest> requests() const;
  size_t request_count() const;
  // Request heads parsed, whether or not the body followed.
  size_t head_count() const;
  // TCP connections accepted.
  size_t connection_count() const;
  // Requests that the strict parser rejected.
  size_t malformed_count() const;
  // Number of different connections the complete requests arrived on.
  size_t distinct_request_connections() const;

  // Every response from now on waits `latency` first (a slower or faster service).
  void set_latency(milliseconds latency) { latency_ms_ = static_cast<int>(latency.count()); }

  // Wait until at least `n` complete requests (or heads) arrived; false at the timeout.
  bool wait_for_requests(size_t n, milliseconds timeout) const;
  bool wait_for_heads(size_t n, milliseconds timeout) const;

 private:
  void accept_loop();
  void serve_connection(int fd, int index);
  // Answers one request; false when the connection must be closed afterwards.
  bool respond(int fd, SocketReader& reader, const ReceivedRequest& request, bool keep_alive);
  // Sleeps unless the upstream is stopping; false when it is.
  bool pause_for(milliseconds duration);
  void record_head();
  void record_request(ReceivedRequest request);
  void record_malformed();

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> latency_ms_{0};
  std::thread accept_thread_;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<ReceivedRequest> requests_;
  size_t heads_ = 0;
  size_t connections_ = 0;
  size_t malformed_ = 0;
  std::set<int> open_fds_;
  std::vector<std::thread> connection_threads_;
};

// The portcullis binary (compile definition PORTCULLIS_BINARY) as a child process with its
// standard output and error captured. The destructor kills it with SIGKILL if it still runs.
class ProxyProcess {
 public:
  ProxyProcess() = default;
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  // Starts the binary with `args` (preceded by `-c FILE` when `config_yaml` is given, the YAML
  // written to a temporary FILE) and waits up to 10 s for the line
  // "portcullis: listening on http://127.0.0.1:PORT" on standard error.
  ::testing::AssertionResult start(const std::vector<std::string>& args,
                                   const std::optional<std::string>& config_yaml = std::nullopt);
  ::testing::AssertionResult start_with_config(const std::string& config_yaml,
                                               const std::vector<std::string>& extra_args = {});

  // The port of the first listening line.
  uint16_t port() const { return port_; }
  // The admin listener's port ("portcullis: admin on http://127.0.0.1:PORT"); 0 if none. Unless
  // the test chose an admin address, start() gives the proxy "--admin 127.0.0.1:0".
  uint16_t admin_port() const;
  pid_t pid() const { return pid_; }
  const std::filesystem::path& config_path() const { return config_path_; }

  // Standard error (log()) and standard output so far.
  std::string log() const;
  std::string stdout_log() const;
  // Waits until standard error satisfies `predicate`; false at the timeout.
  bool wait_for_log(const std::function<bool(const std::string&)>& predicate,
                    milliseconds timeout) const;
  // The same for standard output (where the security event log goes by default).
  bool wait_for_stdout(const std::function<bool(const std::string&)>& predicate,
                       milliseconds timeout) const;

  // Sends `signal` to the child; false when it is no longer running.
  bool terminate(int signal);
  // Waits for the child to exit; nullopt at the timeout (the child keeps running).
  std::optional<ExitStatus> wait_exit(milliseconds timeout);
  bool running();

 private:
  void drain_output();

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<ExitStatus> exit_status_;
  uint16_t port_ = 0;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::optional<TempDir> temp_dir_;
  std::filesystem::path config_path_;

  std::atomic<bool> stop_draining_{false};
  std::thread drain_thread_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string stderr_;
  std::string stdout_;
  bool output_closed_ = false;
};

// What a command run to completion produced.
struct ProcessResult {
  std::optional<ExitStatus> exit;  // nullopt: still running at the timeout, then killed
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up in PATH) to completion, killing it at the timeout.
ProcessResult run_process(const std::vector<std::string>& argv, milliseconds timeout);
// A self-signed certificate for 127.0.0.1 (EC P-256, subjectAltName IP:127.0.0.1), made once
// per test executable: the files' paths.
struct CertificateFiles {
  std::string cert, key;
};
const CertificateFiles& loopback_certificate();

// Runs the portcullis binary with `args` to completion.
ProcessResult run_portcullis(const std::vector<std::string>& args,
                             milliseconds timeout = std::chrono::seconds(10));

// One parsed HTTP/1.1 response.
struct HttpResponse {
  std::string version;
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;
  Headers trailers;
  bool chunked = false;          // the body was chunked on the wire
  bool close_delimited = false;  // the body ended with the connection

  std::optional<std::string> header(std::string_view name) const {
    return find_header(headers, name);
  }
  size_t header_count(std::string_view name) const { return header_values(headers, name).size(); }
};
std::ostream& operator<<(std::ostream& os, const HttpResponse& response);

// A blocking TCP client to 127.0.0.1:port that sends exact bytes and parses what comes back.
// Every read waits at most `io_timeout`. Not thread-safe.
class RawClient {
 public:
  explicit RawClient(uint16_t port, milliseconds io_timeout = std::chrono::seconds(5));
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Why the last operation failed.
  const std::string& error() const { return error_; }

  // Sends all of `bytes`; false when the connection fails (never raises SIGPIPE).
  bool send(std::string_view bytes);
  // Half-closes the sending direction.
  void shutdown_write();
  void close();

  // Parses exactly one response, interim (1xx) responses included. `request_method` says what
  // the response answers, so that a HEAD response is read without a body. nullopt when the
  // connection closed or timed out first (see error() and peer_closed()).
  std::optional<HttpResponse> read_response(std::string_view request_method = "GET");
  // Like read_response, but skips 100 and 102/103 interim responses (101 is returned).
  std::optional<HttpResponse> read_final_response(std::string_view request_method = "GET");
  // Exactly `n` raw bytes (after an upgrade, for example).
  std::optional<std::string> read_exact(size_t n);
  // Everything until the peer closes (or the io timeout passes: then peer_closed() is false).
  std::string read_until_closed();
  // Whether the peer closes (EOF or reset) within `timeout`; bytes arriving meanwhile are
  // discarded.
  bool is_closed(milliseconds timeout);
  // Whether bytes (or EOF) are ready to read within `timeout`, without reading them.
  bool wait_readable(milliseconds timeout);
  // The peer closed or reset the connection during an earlier read.
  bool peer_closed() const { return peer_closed_; }

 private:
  Deadline deadline() const { return Clock::now() + io_timeout_; }
  void note(SocketReader::Status status, std::string_view what);

  int fd_ = -1;
  milliseconds io_timeout_;
  std::optional<SocketReader> reader_;
  std::string error_;
  bool peer_closed_ = false;
};

// Whether a TCP connection to 127.0.0.1:port is accepted.
bool can_connect(uint16_t port);

// "http://127.0.0.1:PORT" + path.
std::string proxy_url(uint16_t port, std::string_view path);

// Runs `portcullis --check -c FILE` on `config_yaml` and succeeds when it exits 1 naming `key`
// in its error (what a user with a bad config sees).
::testing::AssertionResult check_refuses(const std::string& config_yaml, const std::string& key);

// What a curl run produced.
struct CurlResult {
  int exit_code = -1;  // curl's exit code (0 on success; -1 when it did not exit normally)
  int status = 0;      // status of the final response, 0 when there was none
  std::string body;    // body of the final response
  Headers headers;     // header fields of the final response
  std::string error;   // curl's standard error
  double seconds = 0;  // total transfer time as curl measured it
};
std::ostream& operator<<(std::ostream& os, const CurlResult& result);

// Runs `curl -q -s -S --http1.1 --noproxy * --max-time MAX ARGS...`, capturing the final
// response's status, headers and body.
CurlResult run_curl(const std::vector<std::string>& args,
                    std::chrono::seconds max_time = std::chrono::seconds(20));

// A config with one listener on 127.0.0.1:0, `workers` workers, an upstream "app" pointing at
// `upstream` and one catch-all route to it, followed by `extra_yaml` (more top-level keys).
std::string single_route_config(const TestUpstream& upstream, std::string_view extra_yaml = {},
                                int workers = 1);

// `n` deterministic pseudo-random bytes covering all byte values, for bodies that must arrive
// intact.
std::string test_payload(size_t n, uint32_t seed = 1);

// "METHOD TARGET HTTP/1.1\r\nHost: HOST\r\n" + extra_headers (each ending in CRLF) + "\r\n".
std::string request_head(std::string_view method, std::string_view target,
                         std::string_view host = "test.local", std::string_view extra_headers = {});

// A real HTTP/2 origin: nghttpd, echoing uploads and ending every response with the trailer
// "grpc-status: 0"; cleartext (h2c), or TLS with `cert`/`key` (ALPN h2). Serves index.html
// ("hello from nghttpd\n") and stream.bin (2 MiB).
class Nghttpd {
 public:
  Nghttpd(const std::string& cert = {}, const std::string& key = {});
  ~Nghttpd();
  Nghttpd(const Nghttpd&) = delete;
  Nghttpd& operator=(const Nghttpd&) = delete;
  uint16_t port() const { return port_; }
  bool ready() const { return can_connect(port_); }
  // nghttpd's verbose log so far: every frame it received and sent, with header fields.
  std::string frames() const;
  // Serves `content` at /NAME from now on (nghttpd types it by extension: .txt is text/plain).
  void serve(const std::string& name, const std::string& content) { dir_.write(name, content); }

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A real nginx on a free loopback port, one process, its server block made of
// "listen 127.0.0.1:PORT <listen_params>;" and `server_body` (directives, e.g. ssl_certificate
// and locations).
class Nginx {
 public:
  Nginx(std::string_view listen_params, std::string_view server_body);
  ~Nginx();
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;
  uint16_t port() const { return port_; }
  bool ready() const { return can_connect(port_); }
  std::string error_log() const;

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A real redis-server on a free loopback port, with no persistence. stop() kills it (SIGKILL,
// as a crash would) and start() brings it back, empty, on the same port.
class RedisServer {
 public:
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  bool ready() const { return can_connect(port_); }
  void start();
  void stop();

 private:
  TempDir dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A fixture with one TestUpstream and one ProxyProcess in front of it. The proxy is destroyed
// before the upstream.
class ProxyTest : public ::testing::Test {
 protected:
  // Starts the proxy with single_route_config(upstream_, extra_yaml, workers).
  ::testing::AssertionResult start_proxy(std::string_view extra_yaml = {}, int workers = 1,
                                         const std::vector<std::string>& extra_args = {});
  std::string url(std::string_view path) const { return proxy_url(proxy_.port(), path); }

  TestUpstream upstream_;
  ProxyProcess proxy_;
};

}  // namespace portcullis::testing

#endif  // PORTCULLIS_TESTS_INTEGRATION_HARNESS_H_
