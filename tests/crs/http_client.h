// One HTTP/1.x exchange over a fresh TCP connection to 127.0.0.1, with a deadline on every
// step, the way go-ftw sends a stage: exact request bytes out, one response parsed back. What
// go-ftw calls an error (refused connection, reset, timeout, a response it cannot parse) is an
// error here too; that is what `expect_error` expects.

#ifndef PORTCULLIS_TESTS_CRS_HTTP_CLIENT_H_
#define PORTCULLIS_TESTS_CRS_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::testing::crs {

struct HttpResponse {
  int status = 0;
  std::string head;  // status line and header fields as received, without the blank line
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // decoded from chunked; partial when the body did not arrive in time

  // The first value of the field `name` (case-insensitive).
  std::optional<std::string> header(std::string_view name) const;
};

struct HttpResult {
  std::optional<HttpResponse> response;  // set when a status line and header section arrived
  std::string error;                     // non-empty: the exchange failed, and why

  bool failed() const { return !error.empty(); }
};

// Connects, sends `request` and reads one response (1xx included, as Go's ReadResponse does),
// all within `timeout`. `method` is the request's method, for HEAD responses without a body.
// When sending fails but a response is already waiting (an early 4xx), that response is
// returned. Thread-safe: it shares no state.
HttpResult http_exchange(std::uint16_t port, std::string_view request, std::string_view method,
                         std::chrono::milliseconds timeout);

// Parses a status line and header section (CRLF or LF line ends, no blank line). nullopt when
// Go's http.ReadResponse would refuse it.
std::optional<HttpResponse> parse_response_head(std::string_view head);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_HTTP_CLIENT_H_
