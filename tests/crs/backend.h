// The origin behind the proxy during a CRS run: an HTTP/1.1 server on 127.0.0.1 (a port the
// kernel picks) that behaves like the subset of coreruleset/albedo the regression tests use.
//   POST /reflect (and /reflect/)  the body is a JSON spec {status, headers, body, encodedBody,
//                                  logMessage}; the response is exactly that status, those
//                                  headers and that body (`body`, else base64 `encodedBody`).
//                                  Invalid JSON or a status outside 100..599: 400.
//   anything else                  200 with a small text body.
// Like Go's net/http (albedo's server) it adds Date, Content-Length and, for a body without a
// Content-Type, a sniffed one (text/html, text/xml or text/plain; charset=utf-8). Requests may
// use Content-Length or chunked bodies and keep-alive or `Connection: close`; `Expect:
// 100-continue` gets an interim 100. One detached thread per connection; every read has a
// deadline.
// All members are safe for concurrent use.

#ifndef PORTCULLIS_TESTS_CRS_BACKEND_H_
#define PORTCULLIS_TESTS_CRS_BACKEND_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace portcullis::testing::crs {

// A response as albedo's /reflect endpoint would write it: status line, header fields and body.
struct ReflectedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Builds the response for a /reflect request body (the JSON spec). Pure; exposed for tests.
ReflectedResponse reflect(std::string_view spec_json);

// Go's http.DetectContentType, reduced to what a text body needs.
std::string sniff_content_type(std::string_view body);

class Backend {
 public:
  Backend() = default;
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // Binds 127.0.0.1:0 and starts accepting; false and `why` on failure.
  bool start(std::string* why);
  // Closes the listener and every open connection, then joins the threads.
  void stop();

  std::uint16_t port() const { return port_; }
  std::uint64_t requests() const { return requests_.load(); }
  std::uint64_t malformed() const { return malformed_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> malformed_{0};
  std::thread accept_thread_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<int> open_fds_;  // one per running connection thread
};

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_BACKEND_H_
