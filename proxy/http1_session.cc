// One downstream HTTP/1.1 connection: read a request head, run the route's pipeline, forward
// the request to an upstream, relay the response, and repeat while the connection is kept
// alive. Requests on one connection are handled one at a time, so pipelined requests are
// answered in order.
#include <boost/asio/read.hpp>
#include <charconv>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "config/snapshot.h"
#include "core/exchange.h"
#include "core/pipeline.h"
#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/forwarded.h"
#include "proxy/h2_upstream.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"
#include "proxy/local_response.h"
#include "proxy/peer.h"
#include "proxy/signal.h"
#include "proxy/tls.h"
#include "proxy/tls_fingerprints.h"
#include "proxy/worker.h"

namespace portcullis::proxy {
namespace {

using http1::BodyKind;
using http1::ParseState;

constexpr std::size_t kBodyRoom = 16 * 1024;  // downstream buffer room after the head
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr auto kLingerTime = std::chrono::seconds(2);

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

bool valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

// How a relayed body ended.
enum class RelayEnd : std::uint8_t {
  kDone,
  kSourceClosed,  // peer closed or reset before the body ended
  kSourceTimeout,
  kSinkFailed,  // could not write to the other side
  kBadFraming,  // invalid chunked coding
  kTooLarge,    // over the body limit
};

// Stream is tcp::socket (plain listeners) or TlsStream (TLS listeners, after the handshake).
template <typename Stream>
class Http1Session final : public SessionLink,
                           public std::enable_shared_from_this<Http1Session<Stream>> {
 public:
  Http1Session(Worker& worker, std::uint16_t listener, Stream stream)
      : worker_(worker), listener_(listener), socket_(std::move(stream)), timer_(worker.io()) {
    const auto& snap = *worker_.snapshot();
    buffer_ = std::make_unique<Buffer>(snap.limits.header_bytes + kBodyRoom);
    fields_.resize(snap.limits.header_count);
    response_fields_.resize(256);
    out_.reserve(4096);
    timer_.expires_at(TimePoint::max());
  }

  void start() {
    worker_.attach(this);
    boost::system::error_code ec;
    lowest().set_option(tcp::no_delay(true), ec);
    Peer peer = Peer::of(lowest());
    client_ip_ = std::move(peer.ip);
    client_port_ = peer.port;
    client_addr_ = peer.address;
    auto self = this->shared_from_this();
    asio::co_spawn(
        worker_.io(), [self]() { return self->watchdog(); }, asio::detached);
    asio::co_spawn(
        worker_.io(), [self]() { return self->run(); }, asio::detached);
  }

  void on_drain() noexcept override {
    if (waiting_for_request_) {
      boost::system::error_code ignored;
      lowest().cancel(ignored);
    }
  }

 private:
  // ---- timeouts: one timer per session; each phase moves the deadline.
  void arm(Duration d) noexcept {
    deadline_ = Clock::now() + d;
    timed_out_ = false;
    if (deadline_ < timer_.expiry()) timer_.expires_at(deadline_);
  }
  void disarm() noexcept { deadline_ = TimePoint::max(); }

  awaitable<void> watchdog() {
    while (!closed_) {
      co_await timer_.async_wait(kNoThrow);
      if (closed_) break;
      if (Clock::now() >= deadline_) {
        timed_out_ = true;
        deadline_ = TimePoint::max();
        boost::system::error_code ignored;
        lowest().cancel(ignored);
        if (upstream_) upstream_->lowest().cancel(ignored);
      }
      timer_.expires_at(deadline_);
    }
  }

  awaitable<void> run() {
    co_await serve();
    if (!h2_preface_) co_await tls_close_notify();
    closed_ = true;
    timer_.cancel();
    if (h2_preface_) {
      // The client speaks HTTP/2 with prior knowledge: the connection changes hands.
      worker_.detach(this);
      start_h2_session(worker_, listener_, std::move(socket_), std::string(buffer_->pending()));
      co_return;
    }
    boost::system::error_code ignored;
    lowest().close(ignored);
    upstream_.reset();
    worker_.detach(this);
  }

  awaitable<void> serve() {
    while (true) {
      bool keep_going = co_await serve_one();
      if (!keep_going) co_return;
    }
  }

  // Reads more client bytes into the buffer. False on EOF, error or timeout.
  awaitable<bool> read_client() {
    if (buffer_->write_space() == 0) co_return false;
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(buffer_->write_ptr(), buffer_->write_space()), kNoThrow);
    if (ec) co_return false;
    buffer_->commit(n);
    co_return true;
  }

  awaitable<bool> write_client(std::string_view a, std::string_view b = {}) {
    std::array<asio::const_buffer, 2> bufs{asio::buffer(a.data(), a.size()),
                                           asio::buffer(b.data(), b.size())};
    auto [ec, n] = co_await asio::async_write(socket_, bufs, kNoThrow);
    co_return !ec;
  }

  // Sends a response made here and says whether the connection may serve another request.
  awaitable<bool> respond(LocalResponse r) {
    if (draining()) r.close = true;
    if (record_) record_->status = r.status;
    if (r.request_id.empty()) {
      // Refused before an exchange existed (unparsable head): it still gets an id to quote.
      worker_.next_request_id(request_id_);
      r.request_id = std::string_view(request_id_, sizeof request_id_);
    }
    out_.clear();
    append_local_response(r, out_);
    arm(worker_.snapshot()->timeouts.body);
    bool ok = co_await write_client(out_);
    if (!ok || r.close) {
      if (ok) co_await linger_close();
      co_return false;
    }
    co_return true;
  }

  // After refusing a request whose body is still arriving, stop writing and read (and drop) a
  // bounded amount for a short while, so the client sees the response rather than a reset.
  // On TLS, sends close_notify, so that the client can tell a complete response from a
  // truncated one (RFC 8446 6.1); the client's own close_notify is waited for only briefly.
  awaitable<void> tls_close_notify() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (tls_closed_ || !lowest().is_open()) co_return;
      tls_closed_ = true;
      arm(std::chrono::milliseconds(200));
      co_await socket_.async_shutdown(kNoThrow);
    }
  }

  awaitable<void> linger_close() {
    co_await tls_close_notify();
    boost::system::error_code ec;
    lowest().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) co_return;
    arm(kLingerTime);
    std::size_t total = 0;
    char sink[4096];
    while (total < kLingerBytes) {
      auto [rec, n] = co_await socket_.async_read_some(asio::buffer(sink), kNoThrow);
      if (rec) break;
      total += n;
    }
  }

  bool draining() const noexcept { return worker_.draining(); }
  tcp::socket& lowest() noexcept { return lowest_of(socket_); }

  awaitable<bool> serve_one() {
    std::shared_ptr<const config::Snapshot> snap = worker_.snapshot();
    const config::Limits& limits = snap->limits;
    // Declared before the record, which reads it when it is destroyed.
    Exchange ex;
    RequestRecord record(worker_, listener_, Protocol::kHttp11);
    record_ = &record;
    struct Unlink {
      RequestRecord*& p;
      ~Unlink() { p = nullptr; }
    } unlink{record_};
    buffer_->set_floor(0);
    buffer_->compact();

    // ---- read the head
    http1::HeadScanner scanner;
    http1::ParseError perr;
    waiting_for_request_ = buffer_->empty();
    if (waiting_for_request_) {
      if (draining()) co_return false;
      arm(snap->timeouts.idle);
    } else {
      arm(snap->timeouts.header);
    }
    while (true) {
      ParseState st =
          scanner.scan(buffer_->pending(), limits.header_bytes, limits.uri_bytes + 32, perr);
      if (st == ParseState::kComplete) break;
      if (st == ParseState::kError) {
        waiting_for_request_ = false;
        co_return co_await respond({.status = perr.status, .detail = perr.reason, .close = true});
      }
      bool had_bytes = !buffer_->empty();
      bool ok = co_await read_client();
      if (!ok) {
        waiting_for_request_ = false;
        if (timed_out_ && had_bytes && scanner.started()) {
          co_await respond({.status = 408, .detail = "request header timeout", .close = true});
        }
        co_return false;
      }
      if (!had_bytes) {
        waiting_for_request_ = false;
        arm(snap->timeouts.header);
      }
    }
    waiting_for_request_ = false;
    record.start = Clock::now();

    static constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\n";
    if (requests_ == 0 && buffer_->pending().substr(0, kH2Preface.size()) == kH2Preface) {
      h2_preface_ = true;
      co_return false;
    }
    ++requests_;

    http1::RequestHead req;
    ParseState st = http1::parse_request(
        buffer_->pending(), {limits.header_bytes, limits.header_count, limits.uri_bytes}, fields_,
        req, perr);
    if (st != ParseState::kComplete) {
      co_return co_await respond({.status = perr.status ? perr.status : std::uint16_t(400),
                                  .detail = perr.reason,
                                  .close = true});
    }
    std::size_t head_start = buffer_->begin();
    buffer_->consume(req.head_bytes);
    // The head stays where it is while the exchange uses views into it.
    buffer_->set_floor(head_start + req.head_bytes);
    if (buffer_->empty()) buffer_->set_window(buffer_->floor(), buffer_->floor());

    // ---- the exchange
    ex.method = req.method;
    ex.target = req.target;
    ex.path = req.path;
    ex.query = req.query;
    ex.host = req.host;
    ex.headers = req.headers;
    ex.protocol = req.version_minor == 0 ? Protocol::kHttp10 : Protocol::kHttp11;
    record.ex = &ex;
    ex.tls = std::is_same_v<Stream, TlsStream>;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (const TlsFingerprints* fp = tls_fingerprints(socket_.native_handle())) fp->fill(ex);
    }
    ex.client_ip = client_ip_;
    ex.client_port = client_port_;
    ex.has_body = req.body != BodyKind::kNone;
    ex.body_chunked = req.body == BodyKind::kChunked;
    ex.content_length = req.content_length;

    const bool trusted = snap->is_trusted(client_addr_);
    std::string_view incoming_id = ex.header("x-request-id");
    if (trusted && valid_request_id(incoming_id)) {
      ex.request_id = incoming_id;
    } else {
      worker_.next_request_id(request_id_);
      ex.request_id = std::string_view(request_id_, sizeof request_id_);
    }
    std::string_view accept = ex.header("accept");
    const bool is_head = req.method == "HEAD";
    // A refusal before the body was read leaves body bytes on the wire: close after it.
    bool body_unread = req.body != BodyKind::kNone;
    auto refuse = [&](std::uint16_t status, std::string_view detail,
                      std::string_view allow = {}) -> LocalResponse {
      return {.status = status,
              .detail = detail,
              .request_id = ex.request_id,
              .accept = accept,
              .allow = allow,
              .close = body_unread || !req.keep_alive,
              .head = is_head};
    };

    if (req.method == "CONNECT")
      co_return co_await respond(refuse(405, "CONNECT is not supported"));
    const config::Route* route = snap->match(req.host, req.path);
    if (route == nullptr)
      co_return co_await respond(refuse(404, "no route for this host and path"));
    ex.route_id = route->id;
    ex.policy_id = route->pipeline->name();
    record.route = route->slot;
    record.pipeline = route->pipeline.get();

    Verdict verdict = route->pipeline->on_headers(ex);
    if (!verdict.is_continue()) {
      worker_.security_event(ex, verdict, false, verdict.status);
      record.enforced = verdict;
      std::string_view allow = verdict.status == 405 ? verdict.reason : std::string_view();
      std::string_view detail = verdict.status == 405 ? "method not allowed" : verdict.reason;
      LocalResponse r = refuse(verdict.status, detail, allow);
      r.body = verdict.body;
      r.content_type = verdict.content_type;
      r.retry_after_s = verdict.retry_after_s;
      r.headers = verdict.headers;
      co_return co_await respond(r);
    }
    if (limits.body_bytes && req.body == BodyKind::kContentLength &&
        req.content_length > limits.body_bytes) {
      co_return co_await respond(refuse(413, "request body larger than the limit"));
    }

    if (req.expect_continue && req.body != BodyKind::kNone && buffer_->empty()) {
      arm(snap->timeouts.body);
      if (!co_await write_client("HTTP/1.1 100 Continue\r\n\r\n")) co_return false;
    }

    // ---- the body, held only when a stage wants it, and only up to the inspection limit
    body_.reset(req.content_length);
    if (route->pipeline->wants_body() && req.body != BodyKind::kNone) {
      const BodyInspection& inspection = route->pipeline->body_inspection();
      if (inspection.reject_over_limit && req.body == BodyKind::kContentLength &&
          req.content_length > inspection.limit) {
        co_return co_await respond(refuse(413, "request body larger than the inspection limit"));
      }
      RelayEnd read = co_await read_for_inspection(*snap, req.body, inspection.limit);
      if (read == RelayEnd::kSourceTimeout) {
        co_return co_await respond(refuse(408, "request body timeout"));
      }
      if (read == RelayEnd::kBadFraming) {
        co_return co_await respond(refuse(400, "invalid chunked request body"));
      }
      if (read == RelayEnd::kTooLarge) {
        co_return co_await respond(refuse(413, "request body larger than the limit"));
      }
      if (read != RelayEnd::kDone) co_return false;
      body_unread = !body_.complete(req.body);
      if (body_unread && inspection.reject_over_limit) {
        co_return co_await respond(refuse(413, "request body larger than the inspection limit"));
      }
      ex.body =
          std::span<const char>(body_.held.data(), std::min(body_.held.size(), inspection.limit));
      ex.body_complete = !body_unread;
      Verdict body_verdict = route->pipeline->on_body(ex);
      if (!body_verdict.is_continue()) {
        worker_.security_event(ex, body_verdict, false, body_verdict.status);
        record.enforced = body_verdict;
        LocalResponse r = refuse(body_verdict.status, body_verdict.reason);
        r.body = body_verdict.body;
        r.retry_after_s = body_verdict.retry_after_s;
        r.headers = body_verdict.headers;
        r.content_type = body_verdict.content_type;
        co_return co_await respond(r);
      }
    }

    // ---- forward
    const config::Upstream& upstream = snap->upstreams[route->upstream];
    // A WebSocket (or other upgraded) connection is not a request the limit can learn from: it
    // lasts as long as its peers want.
    if (record_ != nullptr && !req.upgrade) {
      record_->admission = worker_.pool().admit(route->upstream);
      if (record_->admission.refused) {
        LocalResponse r = refuse(503, "upstream concurrency limit reached");
        r.retry_after_s = upstream.concurrency->retry_after_s;
        co_return co_await respond(r);
      }
    }
    int status = 0;
    if (upstream.protocol != config::UpstreamProtocol::kHttp1) {
      pipeline_ = route->pipeline.get();
      status = co_await forward_h2(*snap, route->upstream, req, ex, trusted);
      pipeline_ = nullptr;
    } else {
      build_upstream_head(req, ex, trusted, upstream);
      pipeline_ = route->pipeline.get();
      status = co_await forward(*snap, upstream, req, ex);
      pipeline_ = nullptr;
    }
    if (status > 0) {
      // Nothing of a response was sent yet: answer with the proxy's own.
      LocalResponse r = refuse(static_cast<std::uint16_t>(status), forward_detail_);
      r.close = r.close || !request_body_done_;
      co_return co_await respond(r);
    }
    if (status < 0) co_return false;
    co_return req.keep_alive && !close_after_response_ && !draining();
  }

  // Reads the request body into body_.held until it ends or passes `limit` (one decoded piece
  // may go past it; those bytes are forwarded, not inspected). kTooLarge: over limits.body_bytes.
  awaitable<RelayEnd> read_for_inspection(const config::Snapshot& snap, BodyKind kind,
                                          std::size_t limit) {
    const std::uint64_t max_body = snap.limits.body_bytes;
    while (!body_.complete(kind) && body_.held.size() <= limit) {
      if (buffer_->empty()) {
        arm(snap.timeouts.body);
        if (!co_await read_client()) {
          co_return timed_out_ ? RelayEnd::kSourceTimeout : RelayEnd::kSourceClosed;
        }
      }
      if (kind == BodyKind::kContentLength) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(
            {body_.remaining, buffer_->size(), limit + 1 - body_.held.size()}));
        body_.held.append(buffer_->begin_ptr(), n);
        body_.remaining -= n;
        buffer_->consume(n);
        continue;
      }
      std::string_view in = buffer_->pending();
      std::size_t used = 0;
      while (used < in.size() && !body_.decoder.done() && body_.held.size() <= limit) {
        auto step = body_.decoder.next(in.substr(used));
        if (!body_.decoder.error().empty()) co_return RelayEnd::kBadFraming;
        body_.held.append(step.data);
        body_.trailers.append(step.trailer);
        used += step.consumed;
      }
      buffer_->consume(used);
      if (max_body && body_.held.size() > max_body) co_return RelayEnd::kTooLarge;
    }
    co_return RelayEnd::kDone;
  }

  void build_upstream_head(const http1::RequestHead& req, const Exchange& ex, bool trusted,
                           const config::Upstream& upstream) {
    out_.clear();
    out_ += req.method;
    out_ += ' ';
    if (req.absolute_form) {
      out_ += req.path;
      if (!req.query.empty() || req.target.find('?') != std::string_view::npos) {
        out_ += '?';
        out_ += req.query;
      }
    } else {
      out_ += req.target;
    }
    out_ += " HTTP/1.1\r\n";
    out_ += "host: ";
    if (!req.authority.empty()) {
      out_ += req.authority;
    } else {
      out_ += upstream.endpoints.front().to_string();
    }
    out_ += "\r\n";

    std::size_t xff_count = 0;
    std::string_view xf_proto;
    std::string_view xf_host;
    bool upgrade_value_sent = false;
    for (const HeaderField& f : req.headers) {
      if (http1::is_hop_by_hop(f.name, req.headers)) {
        if (req.upgrade && iequals(f.name, "upgrade") && !upgrade_value_sent) {
          append_header(out_, "upgrade", f.value);
          upgrade_value_sent = true;
        }
        continue;
      }
      if (added_by_stage(f.name, ex.upstream_headers)) continue;
      switch (f.name.size()) {
        case 4:
          if (iequals(f.name, "host")) continue;
          break;
        case 6:
          if (iequals(f.name, "expect")) continue;  // 100-continue is answered here
          break;
        case 12:
          if (iequals(f.name, "x-request-id")) continue;
          break;
        case 15:
          if (iequals(f.name, "x-forwarded-for")) {
            if (trusted) {
              out_ += xff_count++ ? ", " : "x-forwarded-for: ";
              out_ += f.value;
            }
            continue;
          }
          break;
        case 16:
          if (iequals(f.name, "x-forwarded-host")) {
            if (trusted && xf_host.empty()) xf_host = f.value;
            continue;
          }
          break;
        case 17:
          if (iequals(f.name, "x-forwarded-proto")) {
            if (trusted && xf_proto.empty()) xf_proto = f.value;
            continue;
          }
          break;
        default:
          break;
      }
      // Comma-joined x-forwarded-for values are written as one header; finish it first.
      if (xff_count) {
        out_ += ", ";
        out_ += ex.client_ip;
        out_ += "\r\n";
        xff_count = std::numeric_limits<std::size_t>::max() / 2;  // closed
      }
      out_ += f.name;
      out_ += ": ";
      out_ += f.value;
      out_ += "\r\n";
    }
    if (xff_count == 0) {
      append_header(out_, "x-forwarded-for", ex.client_ip);
    } else if (xff_count != std::numeric_limits<std::size_t>::max() / 2) {
      out_ += ", ";
      out_ += ex.client_ip;
      out_ += "\r\n";
    }
    append_header(out_, "x-forwarded-proto",
                  !xf_proto.empty() ? xf_proto : (ex.tls ? "https" : "http"));
    if (!xf_host.empty()) {
      append_header(out_, "x-forwarded-host", xf_host);
    } else if (!req.authority.empty()) {
      append_header(out_, "x-forwarded-host", req.authority);
    }
    append_header(out_, "x-request-id", ex.request_id);
    append_added_fields(out_, ex.upstream_headers);
    if (req.body == BodyKind::kChunked) out_ += "transfer-encoding: chunked\r\n";
    if (req.upgrade) out_ += "connection: upgrade\r\n";
    out_ += "\r\n";
  }

  // ---- upstream side

  // As forward(), to an HTTP/2 upstream: the request becomes one stream of the worker's
  // connection to it; the response comes back as HTTP/1.1 (chunked with its trailers, or with
  // its Content-Length).
  awaitable<int> forward_h2(const config::Snapshot& snap, std::size_t index,
                            const http1::RequestHead& req, Exchange& ex, bool trusted) {
    auto got = co_await worker_.h2_upstreams().get(snap, index);
    if (got.status) {
      forward_detail_ = got.detail;
      co_return got.status;
    }
    // Header names go lowercase (RFC 9113 8.2.1); they are packed in one buffer first so that
    // the views taken afterwards stay put.
    std::string names;
    std::vector<std::pair<std::size_t, std::string_view>> kept;  // offset in names, value
    Forwarded fwd;
    for (const HeaderField& f : req.headers) {
      if (http1::is_hop_by_hop(f.name, req.headers) || iequals(f.name, "host") ||
          iequals(f.name, "expect") || iequals(f.name, "x-request-id") ||
          fwd.take(f.name, f.value, trusted) || added_by_stage(f.name, ex.upstream_headers)) {
        continue;
      }
      kept.push_back({names.size(), f.value});
      for (char c : f.name) names.push_back((c >= 'A' && c <= 'Z') ? char(c + 32) : c);
      names.push_back('\0');
    }
    std::string authority = req.authority.empty()
                                ? snap.upstreams[index].endpoints.front().to_string()
                                : std::string(req.authority);
    std::string path(req.absolute_form ? req.path : req.target);
    if (req.absolute_form && !req.query.empty()) path.append("?").append(req.query);
    std::string xff = fwd.for_.empty() ? std::string(ex.client_ip)
                                       : std::string(fwd.for_) + ", " + std::string(ex.client_ip);
    std::vector<H2Header> headers = {
        {":method", req.method}, {":scheme", "http"}, {":authority", authority}, {":path", path}};
    for (const auto& [offset, value] : kept) {
      headers.push_back({std::string_view(names.data() + offset), value});
    }
    headers.push_back({"x-forwarded-for", xff});
    headers.push_back({"x-forwarded-proto", !fwd.proto.empty() ? fwd.proto
                                            : ex.tls           ? "https"
                                                               : "http"});
    if (!fwd.host.empty() || !req.authority.empty()) {
      headers.push_back({"x-forwarded-host", !fwd.host.empty() ? fwd.host : req.authority});
    }
    headers.push_back({"x-request-id", ex.request_id});
    for (const HeaderField& f : ex.upstream_headers) {
      if (!f.value.empty()) headers.push_back({f.name, f.value});
    }
    // A client that accepts trailers (gRPC-Web, or curl --raw) gets them in chunked coding; tell
    // the upstream so too, as gRPC servers require.
    bool wants_trailers = false;
    for (const HeaderField& f : req.headers) {
      wants_trailers =
          wants_trailers || (iequals(f.name, "te") && http1::has_token(f.value, "trailers"));
    }
    if (wants_trailers) headers.push_back({"te", "trailers"});

    Signal wake(worker_.io());
    auto up = std::make_shared<H2UpstreamStream>();
    up->wake = &wake;
    up->metrics = &worker_.metrics().upstream(snap.upstreams[index].slot);
    up->request_body = std::move(body_.held);
    body_.held.clear();
    up->request_end = req.body == BodyKind::kNone || body_.complete(req.body);
    if (up->request_end) up->request_trailers = body_.trailer_fields();
    up->on_request_sent = [&wake](std::size_t) { wake.notify(); };
    struct Detach {
      H2UpstreamStream* s;
      ~Detach() {
        s->wake = nullptr;
        s->on_request_sent = nullptr;
      }
    } detach{up.get()};
    if (!got.conn->submit(up, headers)) {
      forward_detail_ = "upstream refused a new stream";
      co_return 502;
    }

    // The request body, streamed: at most a buffer of it waits for the upstream's window.
    const std::uint64_t limit = snap.limits.body_bytes;
    std::uint64_t total = up->request_body.size();
    while (!up->request_end) {
      if (up->closed) break;
      if (up->request_body.size() > 64 * 1024) {
        co_await wake.wait();
        continue;
      }
      if (buffer_->empty()) {
        arm(snap.timeouts.body);
        if (!co_await read_client()) {
          got.conn->reset(*up);
          if (timed_out_) {
            forward_detail_ = "request body timeout";
            co_return 408;
          }
          co_return -1;
        }
      }
      std::string_view in = buffer_->pending();
      if (req.body == BodyKind::kContentLength) {
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(body_.remaining, in.size()));
        up->request_body.append(in.substr(0, n));
        body_.remaining -= n;
        buffer_->consume(n);
        total += n;
      } else {
        std::size_t used = 0;
        while (used < in.size() && !body_.decoder.done()) {
          auto step = body_.decoder.next(in.substr(used));
          if (!body_.decoder.error().empty()) {
            got.conn->reset(*up);
            forward_detail_ = "invalid chunked request body";
            co_return 400;
          }
          up->request_body.append(step.data);
          body_.trailers.append(step.trailer);
          total += step.data.size();
          used += step.consumed;
        }
        buffer_->consume(used);
      }
      if (limit && total > limit) {
        got.conn->reset(*up);
        forward_detail_ = "request body larger than the limit";
        co_return 413;
      }
      up->request_end = body_.complete(req.body);
      if (up->request_end) up->request_trailers = body_.trailer_fields();
      got.conn->resume(*up);
    }
    request_body_done_ = up->request_end;

    // The response head.
    asio::steady_timer timeout(worker_.io());
    timeout.expires_after(snap.timeouts.upstream_response);
    bool response_timed_out = false;
    timeout.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      response_timed_out = true;
      wake.notify();
    });
    while (!up->headers_done && !up->closed && !response_timed_out) co_await wake.wait();
    if (!up->headers_done) {
      got.conn->reset(*up);
      forward_detail_ =
          response_timed_out ? "upstream response timeout" : "upstream reset the stream";
      if (response_timed_out) {
        up->metrics->errors[static_cast<std::size_t>(UpstreamError::kTimeout)].add();
      }
      co_return response_timed_out ? 504 : 502;
    }
    timeout.cancel();
    // Waits for more of the body (or its end); false when the upstream went quiet too long.
    auto await_body = [&]() -> awaitable<bool> {
      timeout.expires_after(snap.timeouts.upstream_response);
      response_timed_out = false;
      timeout.async_wait([&](const boost::system::error_code& ec) {
        if (ec) return;
        response_timed_out = true;
        wake.notify();
      });
      while (up->body.empty() && !up->end && !up->closed && !response_timed_out) {
        co_await wake.wait();
      }
      timeout.cancel();
      co_return !response_timed_out;
    };

    // The stages that inspect responses see the head, then the first `hold` bytes of the body
    // when they ask for them (a streamed gRPC reply is not of a type they hold), before the
    // client gets anything.
    std::string held;  // the inspected prefix of the body, sent first
    if (pipeline_ != nullptr && pipeline_->inspects_responses()) {
      describe_response(*up, ex);
      Verdict v = pipeline_->on_response_headers(ex);
      std::size_t hold = v.is_continue() && !(up->end && up->body.empty())
                             ? pipeline_->response_body_limit(ex)
                             : 0;
      while (hold > 0) {
        std::size_t n = up->body.size();
        held.append(up->body);
        up->body.clear();
        if (n > 0) got.conn->consume(*up, n);
        if (held.size() >= hold || up->end) {
          ex.response_body = std::span<const char>(held.data(), std::min(held.size(), hold));
          ex.response_body_complete = up->end;
          v = pipeline_->on_response_body(ex);
          ex.response_body = {};  // `held` goes when the response has been relayed
          break;
        }
        if (up->closed || !co_await await_body()) {
          got.conn->reset(*up);
          forward_detail_ = up->closed ? "upstream reset the stream" : "upstream response timeout";
          co_return up->closed ? 502 : 504;
        }
      }
      if (!v.is_continue()) {
        worker_.security_event(ex, v, false, v.status);
        if (record_) record_->enforced = v;
        forward_detail_ = v.reason;
        got.conn->reset(*up);
        co_return v.status;
      }
    }

    const bool client_11 = req.version_minor == 1;
    bool has_length = false;
    for (const auto& [name, value] : up->headers)
      has_length = has_length || name == "content-length";
    const bool bodyless = req.method == "HEAD" || up->status == 204 || up->status == 304;
    if (wants_trailers && client_11) has_length = false;  // chunked, to carry the trailers
    const bool chunk_out = client_11 && !has_length && !bodyless;
    close_after_response_ = !req.keep_alive || draining() || !request_body_done_ ||
                            (!client_11 && !has_length && !bodyless);
    out_.clear();
    out_ += "HTTP/1.1 ";
    if (record_) record_->status = up->status;
    out_ += std::to_string(up->status);
    out_ += ' ';
    out_ += reason_phrase(static_cast<std::uint16_t>(up->status));
    out_ += "\r\n";
    for (const auto& [name, value] : up->headers) {
      if (name == "x-request-id" || (chunk_out && name == "content-length")) continue;
      if (added_by_stage(name, ex.response_fields)) continue;
      append_header(out_, name, value);
    }
    append_header(out_, "x-request-id", ex.request_id);
    append_added_fields(out_, ex.response_fields);
    if (chunk_out) out_ += "transfer-encoding: chunked\r\n";
    if (close_after_response_) out_ += "connection: close\r\n";
    out_ += "\r\n";

    // The body, then the trailers (as chunked trailers; an HTTP/1.0 client has no place for
    // them).
    std::string_view prefix = out_;
    std::string chunk;
    auto add_body = [&](std::string_view data) {
      if (chunk_out) {
        char size[20];
        auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
        chunk.append(size, end).append("\r\n").append(data).append("\r\n");
      } else if (!bodyless) {
        chunk.append(data);
      }
    };
    while (true) {
      bool finished = up->end && up->body.empty();
      chunk.clear();
      if (!held.empty()) {
        add_body(held);
        held.clear();
      }
      if (!up->body.empty()) {
        std::size_t n = up->body.size();
        add_body(up->body);
        up->body.clear();
        got.conn->consume(*up, n);
      }
      finished = up->end;
      if (finished && chunk_out) {
        chunk += "0\r\n";
        for (const auto& [name, value] : up->trailers) append_header(chunk, name, value);
        chunk += "\r\n";
      }
      if (!prefix.empty() || !chunk.empty()) {
        arm(snap.timeouts.upstream_response);
        if (!co_await write_client(prefix, chunk)) {
          got.conn->reset(*up);
          co_return -1;
        }
        prefix = {};
      }
      if (finished) break;
      if (up->closed) {
        co_return -1;  // the upstream reset the stream mid-body: the client must not take it whole
      }
      if (!co_await await_body()) {
        got.conn->reset(*up);
        co_return -1;
      }
    }
    co_return 0;
  }

  // Sends the request and relays the response. Returns 0 when a response was relayed, a status
  // (502/504/413/400/408) when the proxy must answer itself, -1 when the client connection must
  // be dropped (the response had started, or the client went away).
  awaitable<int> forward(const config::Snapshot& snap, const config::Upstream& upstream,
                         const http1::RequestHead& req, Exchange& ex) {
    const auto index = static_cast<std::size_t>(&upstream - snap.upstreams.data());
    request_body_done_ = req.body == BodyKind::kNone;
    close_after_response_ = false;
    bool retried = false;
    while (true) {
      auto acquired = co_await worker_.pool().acquire(snap, index);
      if (acquired.status) {
        forward_detail_ = acquired.detail;
        co_return acquired.status;
      }
      upstream_ = std::move(acquired.conn);
      // Send the head and the body (streamed: never more than a buffer of it is held here).
      RelayEnd sent = co_await send_request(snap, req);
      if (sent == RelayEnd::kSourceClosed || sent == RelayEnd::kSourceTimeout) {
        upstream_.reset();
        if (sent == RelayEnd::kSourceTimeout) {
          forward_detail_ = "request body timeout";
          co_return 408;
        }
        co_return -1;
      }
      if (sent == RelayEnd::kBadFraming) {
        upstream_.reset();
        forward_detail_ = "invalid chunked request body";
        co_return 400;
      }
      if (sent == RelayEnd::kTooLarge) {
        upstream_.reset();
        forward_detail_ = "request body larger than the limit";
        co_return 413;
      }
      bool retryable = upstream_->reused && !retried && req.body == BodyKind::kNone;
      if (sent == RelayEnd::kSinkFailed) {
        if (retryable) {
          retried = true;
          upstream_.reset();
          continue;
        }
        upstream_.reset();
        forward_detail_ = "upstream connection failed";
        co_return 502;
      }
      int result = co_await relay_response(snap, req, ex, retryable);
      if (result == kRetry) {
        retried = true;
        upstream_.reset();
        continue;
      }
      co_return result;
    }
  }

  static constexpr int kRetry = -2;

  awaitable<RelayEnd> send_request(const config::Snapshot& snap, const http1::RequestHead& req) {
    std::uint64_t limit = snap.limits.body_bytes;
    if (!body_.held.empty() || body_.decoder.done()) {
      // The inspected part of the body goes out with the head.
      if (req.body == BodyKind::kChunked) {
        if (!body_.held.empty()) {
          char size[20];
          auto [end, ec] = std::to_chars(size, size + sizeof size, body_.held.size(), 16);
          out_.append(size, end);
          out_ += "\r\n";
          out_ += body_.held;
          out_ += "\r\n";
        }
        if (body_.decoder.done()) http1::append_last_chunk(out_, body_.trailer_fields());
      } else {
        out_ += body_.held;
      }
      if (limit) limit = limit > body_.held.size() ? limit - body_.held.size() : 1;
    }
    if (req.body == BodyKind::kNone || body_.complete(req.body)) {
      arm(snap.timeouts.upstream_response);
      auto [ec, n] = co_await asio::async_write(*upstream_, asio::buffer(out_), kNoThrow);
      if (ec) co_return RelayEnd::kSinkFailed;
      request_body_done_ = true;
      co_return RelayEnd::kDone;
    }
    RelayEnd end = co_await relay_body(*buffer_, socket_, *upstream_, req.body, body_.decoder,
                                       body_.remaining, req.body == BodyKind::kChunked, limit,
                                       snap.timeouts.body, snap.timeouts.upstream_response, out_);
    if (end == RelayEnd::kDone) request_body_done_ = true;
    co_return end;
  }

  // Reads the upstream response and relays it. See forward() for the result.
  awaitable<int> relay_response(const config::Snapshot& snap, const http1::RequestHead& req,
                                Exchange& ex, bool retryable) {
    Buffer& ub = upstream_->buffer;
    http1::ResponseHead resp;
    http1::ParseError perr;
    bool got_bytes = false;
    arm(snap.timeouts.upstream_response);
    const TimePoint sent_at = Clock::now();
    WorkerMetrics::PerUpstream& metrics =
        worker_.metrics().upstream(snap.upstreams[upstream_->upstream].slot);
    auto failed = [&](UpstreamError kind) {
      metrics.errors[static_cast<std::size_t>(kind)].add();
      upstream_.reset();
    };
    while (true) {
      ParseState st =
          http1::parse_response(ub.pending(), req.method, snap.limits.response_header_bytes,
                                response_fields_, resp, perr);
      if (st == ParseState::kComplete) {
        if (resp.status >= 100 && resp.status < 200 && resp.status != 101) {
          ub.consume(resp.head_bytes);  // interim responses are not relayed
          continue;
        }
        break;
      }
      if (st == ParseState::kError) {
        forward_detail_ = perr.reason;
        failed(UpstreamError::kBadResponse);
        co_return 502;
      }
      if (ub.write_space() == 0 &&
          ub.capacity() < snap.limits.response_header_bytes + UpstreamPool::kBufferBytes) {
        // Nothing holds views into the upstream buffer while its head is incomplete.
        ub.grow(snap.limits.response_header_bytes + UpstreamPool::kBufferBytes);
      }
      if (ub.write_space() == 0) {
        forward_detail_ = "upstream response head too large";
        failed(UpstreamError::kBadResponse);
        co_return 502;
      }
      auto [ec, n] = co_await upstream_->async_read_some(
          asio::buffer(ub.write_ptr(), ub.write_space()), kNoThrow);
      if (ec) {
        if (timed_out_) {
          forward_detail_ = "upstream response timeout";
          failed(UpstreamError::kTimeout);
          co_return 504;
        }
        if (!got_bytes && ub.empty() && retryable) co_return kRetry;
        forward_detail_ = "upstream closed the connection before responding";
        failed(UpstreamError::kReset);
        co_return 502;
      }
      got_bytes = true;
      ub.commit(n);
    }
    metrics.response_time.observe(Clock::now() - sent_at);

    if (resp.status == 101) {
      if (record_) record_->status = 101;
      if (!req.upgrade) {
        forward_detail_ = "upstream switched protocols without an upgrade request";
        upstream_.reset();
        co_return 502;
      }
      co_return co_await tunnel(snap, resp, ex);
    }

    // The stages that inspect responses see the head, and maybe the body, before the client.
    std::string held;  // the inspected body prefix, decoded
    http1::ChunkedDecoder decoder;
    std::uint64_t remaining = resp.content_length;
    bool body_done = resp.body == BodyKind::kNone;
    std::string held_trailers;
    if (pipeline_ != nullptr && pipeline_->inspects_responses()) {
      ex.response_status = static_cast<std::uint16_t>(resp.status);
      ex.response_protocol = resp.version_minor == 0 ? Protocol::kHttp10 : Protocol::kHttp11;
      // The head moves to the arena: the stages keep it until the exchange ends (the logging
      // phase), and reading the body reuses the buffer it is in.
      resp.headers = ex.keep(resp.headers);
      resp.reason = ex.keep(resp.reason);
      ex.response_headers = resp.headers;
      Verdict v = pipeline_->on_response_headers(ex);
      std::size_t limit = v.is_continue() ? pipeline_->response_body_limit(ex) : 0;
      if (v.is_continue() && limit > 0 && !body_done) {
        ub.consume(resp.head_bytes);
        ub.set_floor(0);
        RelayEnd read = co_await read_response_prefix(snap, resp.body, decoder, remaining, limit,
                                                      held, held_trailers, body_done);
        if (read != RelayEnd::kDone) {
          forward_detail_ = read == RelayEnd::kBadFraming ? "invalid chunked response body"
                            : timed_out_                  ? "upstream response timeout"
                                                          : "upstream closed the connection";
          failed(read == RelayEnd::kBadFraming ? UpstreamError::kBadResponse
                 : timed_out_                  ? UpstreamError::kTimeout
                                               : UpstreamError::kReset);
          co_return timed_out_ ? 504 : 502;
        }
        ex.response_body = std::span<const char>(held.data(), std::min(held.size(), limit));
        ex.response_body_complete = body_done;
        v = pipeline_->on_response_body(ex);
        ex.response_body = {};  // `held` goes when the response has been relayed
        resp.head_bytes = 0;    // consumed above
      }
      if (!v.is_continue()) {
        worker_.security_event(ex, v, false, v.status);
        if (record_) record_->enforced = v;
        forward_detail_ = v.reason;
        upstream_.reset();
        co_return v.status;
      }
    }

    const bool client_11 = req.version_minor == 1;
    const bool chunk_out =
        client_11 && (resp.body == BodyKind::kChunked || resp.body == BodyKind::kUntilClose);
    close_after_response_ =
        !req.keep_alive || draining() || !request_body_done_ ||
        (!client_11 && (resp.body == BodyKind::kChunked || resp.body == BodyKind::kUntilClose));

    out_.clear();
    out_ += "HTTP/1.1 ";
    if (record_) record_->status = resp.status;
    char status_text[4] = {char('0' + resp.status / 100), char('0' + resp.status / 10 % 10),
                           char('0' + resp.status % 10), ' '};
    out_.append(status_text, 4);
    out_ += resp.reason.empty() ? reason_phrase(resp.status) : resp.reason;
    out_ += "\r\n";
    for (const HeaderField& f : resp.headers) {
      if (http1::is_hop_by_hop(f.name, resp.headers)) continue;
      if (f.name.size() == 12 && iequals(f.name, "x-request-id")) continue;
      if (added_by_stage(f.name, ex.response_fields)) continue;
      out_ += f.name;
      out_ += ": ";
      out_ += f.value;
      out_ += "\r\n";
    }
    append_header(out_, "x-request-id", ex.request_id);
    append_added_fields(out_, ex.response_fields);
    if (chunk_out) out_ += "transfer-encoding: chunked\r\n";
    if (close_after_response_) {
      out_ += "connection: close\r\n";
    } else if (!client_11) {
      out_ += "connection: keep-alive\r\n";
    }
    out_ += "\r\n";

    ub.set_floor(0);
    if (!held.empty()) {
      // The inspected prefix goes out with the head, in the framing the client gets.
      if (chunk_out) {
        char size[20];
        auto [end, ec] = std::to_chars(size, size + sizeof size, held.size(), 16);
        out_.append(size, end);
        out_ += "\r\n";
        out_ += held;
        out_ += "\r\n";
      } else {
        out_ += held;
      }
    }
    if (body_done && chunk_out && resp.body != BodyKind::kNone) {
      http1::append_last_chunk(out_, http1::trailer_fields(held_trailers));
    }
    if (body_done) {
      ub.consume(resp.head_bytes);
      arm(snap.timeouts.upstream_response);
      if (!co_await write_client(out_)) {
        upstream_.reset();
        co_return -1;
      }
    } else {
      ub.consume(resp.head_bytes);
      RelayEnd end = co_await relay_body(ub, *upstream_, socket_, resp.body, decoder, remaining,
                                         chunk_out, 0, snap.timeouts.upstream_response,
                                         snap.timeouts.upstream_response, out_);
      if (end != RelayEnd::kDone) {
        upstream_.reset();
        co_return -1;
      }
    }
    if (resp.keep_alive && request_body_done_ && resp.body != BodyKind::kUntilClose) {
      std::size_t max_idle = snap.upstreams[upstream_->upstream].max_idle;
      worker_.pool().release(std::move(upstream_), max_idle);
    }
    upstream_.reset();
    co_return 0;
  }

  // Reads up to `limit` (+1) decoded bytes of the upstream's response body into `held`, for
  // the stages that inspect responses; `done` when the body ended within them.
  awaitable<RelayEnd> read_response_prefix(const config::Snapshot& snap, BodyKind kind,
                                           http1::ChunkedDecoder& decoder, std::uint64_t& remaining,
                                           std::size_t limit, std::string& held,
                                           std::string& trailers, bool& done) {
    Buffer& ub = upstream_->buffer;
    done = false;
    while (!done && held.size() <= limit) {
      if (ub.empty()) {
        arm(snap.timeouts.upstream_response);
        auto [ec, n] = co_await upstream_->async_read_some(
            asio::buffer(ub.write_ptr(), ub.write_space()), kNoThrow);
        if (ec) {
          if (kind == BodyKind::kUntilClose && !timed_out_ &&
              (ec == asio::error::eof || ec == asio::error::connection_reset)) {
            done = true;
            break;
          }
          co_return timed_out_ ? RelayEnd::kSourceTimeout : RelayEnd::kSourceClosed;
        }
        ub.commit(n);
      }
      if (kind == BodyKind::kContentLength) {
        std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>({remaining, ub.size(), limit + 1 - held.size()}));
        held.append(ub.begin_ptr(), n);
        remaining -= n;
        ub.consume(n);
        done = remaining == 0;
      } else if (kind == BodyKind::kChunked) {
        std::string_view in = ub.pending();
        std::size_t used = 0;
        while (used < in.size() && !decoder.done() && held.size() <= limit) {
          auto step = decoder.next(in.substr(used));
          if (!decoder.error().empty()) co_return RelayEnd::kBadFraming;
          held.append(step.data);
          trailers.append(step.trailer);
          used += step.consumed;
        }
        ub.consume(used);
        done = decoder.done();
      } else {
        std::size_t n = std::min(ub.size(), limit + 1 - held.size());
        held.append(ub.begin_ptr(), n);
        ub.consume(n);
      }
    }
    co_return RelayEnd::kDone;
  }

  // Relays one body from `src` (with its buffer) to `dst`. `prefix` (a head) goes out with the
  // first bytes. With `chunk_out` the body is sent in chunked coding, else as it is decoded.
  // `decoder` and `remaining` carry on from bytes already taken (an inspected prefix).
  template <typename Src, typename Dst>
  awaitable<RelayEnd> relay_body(Buffer& buf, Src& src, Dst& dst, BodyKind kind,
                                 http1::ChunkedDecoder& decoder, std::uint64_t& remaining,
                                 bool chunk_out, std::uint64_t limit, Duration read_timeout,
                                 Duration write_timeout, std::string_view prefix) {
    std::uint64_t total = 0;
    char chunk_head[24];
    static constexpr std::string_view kCrlf = "\r\n";
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    std::string trailers;  // the trailer section, as received (bounded by the decoder)
    bool finished = false;
    while (!finished) {
      if (buf.empty()) {
        if (!prefix.empty()) {
          // Send the head before waiting for body bytes: the peer may need it to start.
          arm(write_timeout);
          auto [wec, wn] = co_await asio::async_write(dst, asio::buffer(prefix), kNoThrow);
          if (wec) co_return RelayEnd::kSinkFailed;
          prefix = {};
        }
        arm(read_timeout);
        auto [ec, n] = co_await src.async_read_some(
            asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
        if (ec) {
          if (kind == BodyKind::kUntilClose && !timed_out_ &&
              (ec == asio::error::eof || ec == asio::error::connection_reset)) {
            finished = true;
          } else {
            co_return timed_out_ ? RelayEnd::kSourceTimeout : RelayEnd::kSourceClosed;
          }
        } else {
          buf.commit(n);
        }
      }
      // Take what is buffered: [data, data + size) is body to send.
      const char* data = buf.begin_ptr();
      std::size_t size = 0;
      switch (kind) {
        case BodyKind::kContentLength: {
          size = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, buf.size()));
          remaining -= size;
          buf.consume(size);
          finished = remaining == 0;
          break;
        }
        case BodyKind::kChunked: {
          // Decode in place: data bytes move left over the chunk framing they came in.
          std::size_t start = buf.begin();
          std::size_t write = start;
          std::string_view in = buf.pending();
          std::size_t used = 0;
          while (used < in.size() && !decoder.done()) {
            auto step = decoder.next(in.substr(used));
            if (!decoder.error().empty()) co_return RelayEnd::kBadFraming;
            if (!step.data.empty()) {
              std::memmove(buf.at(write), step.data.data(), step.data.size());
              write += step.data.size();
            }
            trailers.append(step.trailer);
            used += step.consumed;
          }
          data = buf.at(start);
          size = write - start;
          finished = decoder.done();
          // Leave the bytes after the body (a pipelined request) pending.
          buf.set_window(start + used, start + in.size());
          if (buf.empty()) buf.consume(0);
          break;
        }
        case BodyKind::kUntilClose:
          size = buf.size();
          buf.consume(size);
          break;
        case BodyKind::kNone:
          finished = true;
          break;
      }
      total += size;
      if (limit && total > limit) co_return RelayEnd::kTooLarge;
      if (size == 0 && !finished) continue;

      std::array<asio::const_buffer, 5> out;
      std::size_t count = 0;
      if (!prefix.empty()) out[count++] = asio::buffer(prefix);
      if (size) {
        if (chunk_out) {
          auto [end, ec] = std::to_chars(chunk_head, chunk_head + 20, size, 16);
          *end++ = '\r';
          *end++ = '\n';
          out[count++] = asio::buffer(chunk_head, end - chunk_head);
          out[count++] = asio::buffer(data, size);
          out[count++] = asio::buffer(kCrlf.data(), kCrlf.size());
        } else {
          out[count++] = asio::buffer(data, size);
        }
      }
      std::string last_chunk;
      if (finished && chunk_out && !trailers.empty()) {
        // Trailers go on, those that a trailer section may carry.
        http1::append_last_chunk(last_chunk, http1::trailer_fields(trailers));
        out[count++] = asio::buffer(last_chunk);
      } else if (finished && chunk_out) {
        out[count++] = asio::buffer(kLastChunk.data(), kLastChunk.size());
      }
      arm(write_timeout);
      auto [wec, wn] = co_await asio::async_write(
          dst, std::span<asio::const_buffer>(out.data(), count), kNoThrow);
      if (wec) co_return RelayEnd::kSinkFailed;
      prefix = {};
    }
    co_return RelayEnd::kDone;
  }

  // After a 101: bytes flow both ways until either side closes or the tunnel idles out.
  awaitable<int> tunnel(const config::Snapshot& snap, const http1::ResponseHead& resp,
                        const Exchange& ex) {
    out_.clear();
    out_ += "HTTP/1.1 101 Switching Protocols\r\n";
    for (const HeaderField& f : resp.headers) {
      bool is_upgrade = iequals(f.name, "upgrade");
      if (!is_upgrade && http1::is_hop_by_hop(f.name, resp.headers)) continue;
      if (iequals(f.name, "x-request-id")) continue;
      append_header(out_, f.name, f.value);
    }
    append_header(out_, "x-request-id", ex.request_id);
    out_ += "connection: upgrade\r\n\r\n";
    Buffer& ub = upstream_->buffer;
    arm(snap.timeouts.tunnel_idle);
    // The bytes after the 101 head are already tunnel data.
    std::string_view early = ub.pending().substr(resp.head_bytes);
    if (!co_await write_client(out_, early)) co_return -1;
    ub.set_floor(0);
    ub.consume(ub.size());
    close_after_response_ = true;

    tunnel_open_ = 2;
    // Fires (is cancelled) when the upstream-to-client direction ends.
    asio::steady_timer upstream_done(worker_.io(), TimePoint::max());
    auto self = this->shared_from_this();
    asio::co_spawn(
        worker_.io(),
        [self, &snap, &upstream_done]() -> awaitable<void> {
          co_await self->pump(*self->upstream_, self->socket_, self->upstream_->buffer,
                              snap.timeouts.tunnel_idle);
          upstream_done.cancel();
        },
        asio::detached);
    // Client bytes already buffered after the upgrade request go first.
    boost::system::error_code early_ec;
    if (!buffer_->empty()) {
      auto [ec, n] = co_await asio::async_write(
          *upstream_, asio::buffer(buffer_->begin_ptr(), buffer_->size()), kNoThrow);
      buffer_->consume(buffer_->size());
      early_ec = ec;
    }
    if (!early_ec) {
      co_await pump(socket_, *upstream_, *buffer_, snap.timeouts.tunnel_idle);
    } else {
      --tunnel_open_;
      boost::system::error_code ignored;
      upstream_->lowest().cancel(ignored);
    }
    // The other direction refers to this frame's timer and to the sockets: wait for it.
    if (tunnel_open_ > 0) co_await upstream_done.async_wait(kNoThrow);
    co_return -1;
  }

  template <typename From, typename To>
  awaitable<void> pump(From& from, To& to, Buffer& buf, Duration idle) {
    buf.set_floor(0);
    buf.compact();
    while (true) {
      arm(idle);
      auto [ec, n] =
          co_await from.async_read_some(asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
      if (ec) break;
      arm(idle);
      auto [wec, wn] = co_await asio::async_write(to, asio::buffer(buf.write_ptr(), n), kNoThrow);
      if (wec) break;
    }
    // One side ended: end the other direction too.
    boost::system::error_code ignored;
    lowest_of(to).shutdown(tcp::socket::shutdown_send, ignored);
    lowest_of(from).cancel(ignored);
    if (--tunnel_open_ == 1) {
      lowest_of(to).cancel(ignored);
    }
  }

  Worker& worker_;
  std::uint16_t listener_;
  Stream socket_;
  asio::steady_timer timer_;
  TimePoint deadline_ = TimePoint::max();
  bool timed_out_ = false;
  bool closed_ = false;
  bool waiting_for_request_ = false;
  bool request_body_done_ = false;
  bool h2_preface_ = false;
  bool tls_closed_ = false;
  std::uint64_t requests_ = 0;
  bool close_after_response_ = false;
  int tunnel_open_ = 0;
  std::unique_ptr<Buffer> buffer_;
  std::vector<HeaderField> fields_;
  std::vector<HeaderField> response_fields_;
  std::string out_;
  std::unique_ptr<UpstreamConnection> upstream_;
  std::string_view forward_detail_;
  const Pipeline* pipeline_ = nullptr;  // the route's, while a request is forwarded
  RequestRecord* record_ = nullptr;     // the request being served, while serve_one runs

  // The request body as far as it was taken before forwarding.
  struct HeldBody {
    std::string held;  // bytes read for inspection, to be forwarded first
    http1::ChunkedDecoder decoder;
    std::string trailers;         // trailer section bytes that `decoder` has passed
    std::uint64_t remaining = 0;  // Content-Length bytes not yet read
    void reset(std::uint64_t content_length) {
      // A large inspected body does not stay allocated on an idle connection.
      if (held.capacity() > 64 * 1024) std::string().swap(held);
      held.clear();
      decoder.reset();
      trailers.clear();
      remaining = content_length;
    }
    bool complete(BodyKind kind) const noexcept {
      return kind == BodyKind::kChunked ? decoder.done() : remaining == 0;
    }
    http1::TrailerFields trailer_fields() const { return http1::trailer_fields(trailers); }
  } body_;
  std::string client_ip_;
  std::uint16_t client_port_ = 0;
  std::array<std::uint8_t, 16> client_addr_{};
  char request_id_[16] = {};
};

}  // namespace

void start_http1_session(Worker& worker, std::uint16_t listener, tcp::socket socket) {
  std::make_shared<Http1Session<tcp::socket>>(worker, listener, std::move(socket))->start();
}

void start_http1_session(Worker& worker, std::uint16_t listener, TlsStream stream) {
  std::make_shared<Http1Session<TlsStream>>(worker, listener, std::move(stream))->start();
}

}  // namespace portcullis::proxy
