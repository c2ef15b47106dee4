// HTTP/2 toward an upstream (routes whose upstream has `protocol: h2c`): one multiplexed
// connection per worker and upstream, so that gRPC calls (streaming bodies, trailers such as
// grpc-status) pass through end to end. Not thread-safe: each worker owns its pool.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/exchange.h"
#include "proxy/asio.h"
#include "proxy/metrics.h"
#include "proxy/signal.h"
#include "proxy/tls.h"

typedef struct nghttp2_session nghttp2_session;

namespace portcullis::config {
struct Snapshot;
struct Upstream;
}  // namespace portcullis::config

namespace portcullis::proxy {

class UpstreamPool;

// Appends what nghttp2 has queued to send to `out`, until about `max` bytes are there: one
// write carries many frames.
void collect_output(nghttp2_session* session, std::string& out, std::size_t max = 64 * 1024);

// The body side of one stream for an nghttp2 data-provider callback: copies up to `length`
// bytes of `pending` from `offset` into `out` (emptying `pending` once all is taken), ends the
// DATA once `ended` and nothing is left — leaving END_STREAM to a HEADERS frame with `trailers`
// when there are any — or defers (setting `deferred`) when there is nothing to send yet.
// `taken` receives the number of bytes copied. Returns what the callback returns.
ssize_t provide_data(nghttp2_session* session, std::int32_t stream_id, std::string& pending,
                     std::size_t& offset, bool ended,
                     const std::vector<std::pair<std::string, std::string>>& trailers,
                     bool& deferred, std::uint8_t* out, std::size_t length, std::uint32_t* flags,
                     std::size_t& taken);

// One request stream to an HTTP/2 upstream, shared by the connection (which fills the response
// fields) and the downstream coroutine (which fills the request fields and waits on `wake`).
struct H2UpstreamStream {
  std::int32_t id = -1;
  Signal* wake = nullptr;  // notified whenever a response field changes or the stream closes

  // Request body still to go up; `request_end` once the client finished it.
  std::string request_body;
  std::size_t request_offset = 0;
  bool request_end = false;
  std::vector<std::pair<std::string, std::string>> request_trailers;  // set before request_end
  bool deferred = false;
  // Called with the number of request bytes handed to the upstream connection.
  std::function<void(std::size_t)> on_request_sent;

  // The response as it arrives.
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  bool headers_done = false;
  std::string body;  // not yet taken by the downstream side
  bool end = false;  // END_STREAM seen
  std::vector<std::pair<std::string, std::string>> trailers;
  bool closed = false;
  std::uint32_t error_code = 0;  // RST_STREAM or GOAWAY code when closed before the end

  // The upstream's metrics, when the session wants the stream counted: a request when it is
  // opened, its response time when the head arrives, a reset when it closes before the head
  // (unless this side reset it).
  WorkerMetrics::PerUpstream* metrics = nullptr;
  TimePoint submitted{};
  bool cancelled = false;  // reset by this side
};

// The stream's response head (status, HTTP/2, the fields copied into the exchange's arena) as
// the exchange's response, for the stages that inspect responses.
void describe_response(const H2UpstreamStream& stream, Exchange& exchange);

struct H2Header {
  std::string_view name;
  std::string_view value;
};

class H2UpstreamConnection : public std::enable_shared_from_this<H2UpstreamConnection> {
 public:
  H2UpstreamConnection(asio::io_context& io, tcp::socket socket);
  // Over an established TLS stream (ALPN h2).
  H2UpstreamConnection(asio::io_context& io, std::unique_ptr<TlsStream> tls);
  ~H2UpstreamConnection();
  H2UpstreamConnection(const H2UpstreamConnection&) = delete;
  H2UpstreamConnection& operator=(const H2UpstreamConnection&) = delete;

  // Sets up the session and starts reading. False if nghttp2 could not be set up.
  bool start();
  // True while new streams may be opened (connected, no GOAWAY).
  bool usable() const noexcept;

  // Opens a stream with these request headers (pseudo-headers first). False if refused.
  bool submit(const std::shared_ptr<H2UpstreamStream>& stream,
              const std::vector<H2Header>& headers);
  // More request body, or its end, is in stream.request_body.
  void resume(H2UpstreamStream& stream);
  // The downstream side took `n` response bytes: the upstream may send that much more.
  void consume(H2UpstreamStream& stream, std::size_t n);
  // The client gave up: reset the upstream stream.
  void reset(H2UpstreamStream& stream);

 private:
  struct Callbacks;
  awaitable<void> read_loop();
  awaitable<void> write_loop();
  void flush();
  void fail_all(std::uint32_t error_code);

  asio::io_context& io_;
  tcp::socket socket_;              // plain; unused when tls_ is set
  std::unique_ptr<TlsStream> tls_;  // TLS (protocol: h2)
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::shared_ptr<H2UpstreamStream>> streams_;
  std::string out_;
  bool writing_ = false;
  bool flush_again_ = false;
  bool closed_ = false;
};

class H2UpstreamPool {
 public:
  H2UpstreamPool(asio::io_context& io, UpstreamPool& tcp_pool) : io_(io), tcp_pool_(tcp_pool) {}

  struct Got {
    std::shared_ptr<H2UpstreamConnection> conn;
    int status = 0;  // 502 or 504 when no connection could be had
    std::string_view detail;
  };
  // The worker's connection to upstream `index`, connecting when there is none usable.
  awaitable<Got> get(const config::Snapshot& snapshot, std::size_t index);

 private:
  asio::io_context& io_;
  UpstreamPool& tcp_pool_;
  std::map<std::string, std::shared_ptr<H2UpstreamConnection>> conns_;
};

}  // namespace portcullis::proxy
