// One downstream HTTP/2 connection on nghttp2: over TLS when ALPN picked h2, or cleartext with
// prior knowledge. Every stream becomes one Exchange that runs the same pipeline as HTTP/1.1 and
// is forwarded to the route's upstream over the worker's HTTP/1.1 pool. Flow control holds both
// ways: a request's DATA is acknowledged (WINDOW_UPDATE) only once it was written upstream, and
// the upstream response is read only as fast as the client's window lets it out.
#include <nghttp2/nghttp2.h>

#include <charconv>
#include <cstdio>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "bots/h2_fingerprint.h"
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

// Protections and buffers. Defaults follow what nginx and Envoy ship.
constexpr std::uint32_t kMaxConcurrentStreams = 128;
constexpr std::int32_t kStreamWindow = 256 * 1024;
constexpr std::int32_t kConnectionWindow = 1024 * 1024;
constexpr std::size_t kResponseBufferHigh = 256 * 1024;  // pause reading upstream above this
constexpr std::size_t kMaxEmptyDataFrames = 64;          // per connection, without END_STREAM
constexpr std::uint64_t kResetBurst = 1000;              // RST_STREAM rate limit (CVE-2023-44487)
constexpr std::uint64_t kResetRatePerSecond = 33;
constexpr std::size_t kMaxContinuations = 8;  // CONTINUATION flood
constexpr std::size_t kMaxSettingsEntries = 32;
constexpr std::size_t kReadBuffer = 32 * 1024;

bool valid_path(std::string_view path) noexcept {
  if (path.empty()) return false;
  for (char c : path) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || c == '#') return false;
  }
  return path.front() == '/' || path == "*";
}

bool valid_authority(std::string_view a) noexcept {
  if (a.empty() || a.size() > 255) return false;
  for (char c : a) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '.' || c == ':' || c == '[' || c == ']' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string_view host_of(std::string_view authority) noexcept {
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(0, close + 1);
  }
  std::size_t colon = authority.rfind(':');
  return colon == std::string_view::npos ? authority : authority.substr(0, colon);
}

// One request stream. Owned by the session's map and by the coroutine serving it.
struct H2Stream {
  H2Stream(asio::io_context& io, std::int32_t id) : id(id), wake(io) {}

  std::int32_t id;
  // Header block as received: names and values packed in `header_bytes`; `ranges` holds
  // {name offset, name length, value offset, value length} until the block ends.
  std::string header_bytes;
  std::vector<std::array<std::uint32_t, 4>> ranges;
  std::vector<HeaderField> fields;  // regular headers, views into header_bytes
  std::string_view method, path, authority, scheme;
  std::size_t header_count = 0;
  bool headers_too_large = false;
  bool served = false;  // a coroutine serves it

  Exchange ex;
  char request_id[16] = {};

  // Request body from the client, not yet written upstream.
  std::string request_body;
  bool request_end = false;
  // Request trailers, for the upstream. Bounded by limits.header_bytes.
  http1::TrailerFields request_trailers;
  std::size_t request_trailer_bytes = 0;
  // Wakes the stream's coroutine: request data arrived, response data was taken, the upstream
  // moved, or the stream closed.
  Signal wake;

  // Response body for the client, not yet taken by nghttp2.
  std::string response_body;
  std::size_t response_offset = 0;
  bool response_end = false;
  bool deferred = false;
  // Trailers for the client, sent after the body (gRPC's grpc-status).
  std::vector<std::pair<std::string, std::string>> trailers;

  RequestRecord* record = nullptr;  // while its coroutine runs
  bool closed = false;              // the stream is closed (reset by the client, or done)
  bool finished = false;            // its coroutine is done: later DATA is dropped
  std::unique_ptr<UpstreamConnection> upstream;
};

template <typename Stream>
class H2Session final : public SessionLink, public std::enable_shared_from_this<H2Session<Stream>> {
 public:
  H2Session(Worker& worker, std::uint16_t listener, Stream stream, std::string initial)
      : worker_(worker),
        listener_(listener),
        socket_(std::move(stream)),
        initial_(std::move(initial)) {}

  ~H2Session() override {
    if (session_) nghttp2_session_del(session_);
  }

  void start() {
    worker_.attach(this);
    boost::system::error_code ec;
    lowest_of(socket_).set_option(tcp::no_delay(true), ec);
    Peer peer = Peer::of(lowest_of(socket_));
    client_ip_ = std::move(peer.ip);
    client_port_ = peer.port;
    client_addr_ = peer.address;
    if (!create_session()) {
      close();
      return;
    }
    auto self = this->shared_from_this();
    asio::co_spawn(
        worker_.io(), [self]() { return self->read_loop(); }, asio::detached);
    asio::co_spawn(
        worker_.io(), [self]() { return self->idle_watch(); }, asio::detached);
  }

  void on_drain() noexcept override {
    if (closed_ || goaway_sent_) return;
    goaway_sent_ = true;
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                          nullptr, 0);
    flush();
    if (streams_.empty()) close_after_flush_ = true;
  }

 private:
  // ---- nghttp2 set-up

  bool create_session() {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, &H2Session::on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &H2Session::on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2Session::on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2Session::on_data_chunk);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &H2Session::on_stream_close);
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0) {
      nghttp2_session_callbacks_del(cbs);
      return false;
    }
    const config::Http2& h2 = worker_.snapshot()->http2;
    max_empty_data_frames_ = h2.max_empty_data_frames;
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_max_continuations(opt, h2.max_continuations);
    nghttp2_option_set_stream_reset_rate_limit(opt, h2.reset_burst, h2.reset_rate);
    nghttp2_option_set_max_settings(opt, h2.max_settings_entries);
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    int rv = nghttp2_session_server_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) return false;

    const auto& limits = worker_.snapshot()->limits;
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, h2.max_concurrent_streams},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, h2.initial_stream_window},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<std::uint32_t>(limits.header_bytes)},
        {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, 4096},
    };
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                                sizeof settings / sizeof settings[0]) != 0) {
      return false;
    }
    nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                          static_cast<std::int32_t>(h2.connection_window));
    return true;
  }

  static H2Session& self_of(void* user_data) { return *static_cast<H2Session*>(user_data); }

  H2Stream* find(std::int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Session& s = self_of(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    auto stream = std::make_shared<H2Stream>(s.worker_.io(), frame->hd.stream_id);
    stream->header_bytes.reserve(1024);
    s.streams_.emplace(frame->hd.stream_id, std::move(stream));
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const std::uint8_t* name,
                       std::size_t namelen, const std::uint8_t* value, std::size_t valuelen,
                       std::uint8_t, void* user_data) {
    H2Session& s = self_of(user_data);
    H2Stream* st = s.find(frame->hd.stream_id);
    if (st == nullptr) return 0;  // trailers of a stream we no longer track
    const auto& limits = s.worker_.snapshot()->limits;
    if (frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
      // Request trailers (nghttp2 has checked names and values): kept for an upstream request
      // in chunked coding, within the header limits; the rest are dropped.
      std::string_view n(reinterpret_cast<const char*>(name), namelen);
      std::string_view v(reinterpret_cast<const char*>(value), valuelen);
      st->request_trailer_bytes += namelen + valuelen;
      if (n.empty() || n.front() == ':' || !http1::is_forwardable_trailer(n) ||
          st->request_trailer_bytes > limits.header_bytes) {
        return 0;
      }
      st->request_trailers.emplace_back(std::string(n), std::string(v));
      return 0;
    }
    if (namelen > 1 && name[0] == ':') {
      s.fingerprint_.on_pseudo_header(
          std::string_view(reinterpret_cast<const char*>(name), namelen));
    }
    if (++st->header_count > limits.header_count ||
        st->header_bytes.size() + namelen + valuelen > limits.header_bytes) {
      st->headers_too_large = true;  // answered with 431 once the block ends
      return 0;
    }
    auto off = static_cast<std::uint32_t>(st->header_bytes.size());
    st->header_bytes.append(reinterpret_cast<const char*>(name), namelen);
    st->header_bytes.append(reinterpret_cast<const char*>(value), valuelen);
    st->ranges.push_back({off, static_cast<std::uint32_t>(namelen),
                          off + static_cast<std::uint32_t>(namelen),
                          static_cast<std::uint32_t>(valuelen)});
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    H2Session& s = self_of(user_data);
    s.last_activity_ = Clock::now();
    switch (frame->hd.type) {
      case NGHTTP2_DATA: {
        H2Stream* st = s.find(frame->hd.stream_id);
        if (frame->hd.length == 0 && !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
            ++s.empty_data_frames_ > s.max_empty_data_frames_) {
          // Empty DATA frames cost the server work and move no data: a flood.
          nghttp2_session_terminate_session(s.session_, NGHTTP2_ENHANCE_YOUR_CALM);
          return 0;
        }
        if (st && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
          st->request_end = true;
          st->wake.notify();
        }
        break;
      }
      case NGHTTP2_HEADERS: {
        H2Stream* st = s.find(frame->hd.stream_id);
        if (st == nullptr) break;
        if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
          st->request_end = true;
          st->wake.notify();
        }
        if (frame->headers.cat == NGHTTP2_HCAT_REQUEST && !st->served) {
          st->served = true;
          s.fingerprint_.on_request_headers_end();
          auto self = s.shared_from_this();
          auto stream = s.streams_[frame->hd.stream_id];
          asio::co_spawn(
              s.worker_.io(), [self, stream]() { return self->serve_stream(stream); },
              asio::detached);
        }
        break;
      }
      case NGHTTP2_SETTINGS:
        if (frame->hd.flags & NGHTTP2_FLAG_ACK) break;
        s.fingerprint_.on_settings_begin();
        for (std::size_t i = 0; i < frame->settings.niv; ++i) {
          s.fingerprint_.on_setting(static_cast<std::uint16_t>(frame->settings.iv[i].settings_id),
                                    frame->settings.iv[i].value);
        }
        break;
      case NGHTTP2_WINDOW_UPDATE:
        if (frame->hd.stream_id == 0) {
          s.fingerprint_.on_connection_window_update(
              static_cast<std::uint32_t>(frame->window_update.window_size_increment));
        }
        break;
      case NGHTTP2_PRIORITY:
        s.fingerprint_.on_priority(frame->hd.stream_id, frame->priority.pri_spec.exclusive != 0,
                                   frame->priority.pri_spec.stream_id,
                                   frame->priority.pri_spec.weight);
        break;
      default:
        break;
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, std::uint8_t, std::int32_t stream_id,
                           const std::uint8_t* data, std::size_t len, void* user_data) {
    H2Session& s = self_of(user_data);
    H2Stream* st = s.find(stream_id);
    if (st == nullptr || st->closed || st->finished) {
      // Nobody will forward it: give the window back at once.
      nghttp2_session_consume(s.session_, stream_id, len);
      return 0;
    }
    st->request_body.append(reinterpret_cast<const char*>(data), len);
    st->wake.notify();
    return 0;
  }

  static int on_stream_close(nghttp2_session*, std::int32_t stream_id, std::uint32_t,
                             void* user_data) {
    H2Session& s = self_of(user_data);
    auto it = s.streams_.find(stream_id);
    if (it == s.streams_.end()) return 0;
    H2Stream& st = *it->second;
    st.closed = true;
    st.wake.notify();
    if (st.upstream) {
      boost::system::error_code ignored;
      st.upstream->lowest().cancel(ignored);
    }
    s.streams_.erase(it);  // the serving coroutine keeps its own reference
    if (s.goaway_sent_ && s.streams_.empty()) s.close_after_flush_ = true;
    return 0;
  }

  static ssize_t read_response(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                               std::size_t length, std::uint32_t* flags, nghttp2_data_source* src,
                               void*) {
    auto* st = static_cast<H2Stream*>(src->ptr);
    std::size_t n = 0;
    ssize_t r = provide_data(session, stream_id, st->response_body, st->response_offset,
                             st->response_end, st->trailers, st->deferred, buf, length, flags, n);
    if (n) st->wake.notify();
    return r;
  }

  // ---- I/O

  awaitable<void> read_loop() {
    std::vector<std::uint8_t> buf(kReadBuffer);
    last_activity_ = Clock::now();
    bool ok = true;
    if (!initial_.empty()) {
      ok = feed(reinterpret_cast<const std::uint8_t*>(initial_.data()), initial_.size());
      std::string().swap(initial_);
    }
    flush();
    while (ok && !closed_) {
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), kNoThrow);
      if (ec) break;
      last_activity_ = Clock::now();
      ok = feed(buf.data(), n);
      flush();
      if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
    }
    // Whatever nghttp2 still has to say (a GOAWAY after a protocol error or a flood) goes out
    // before the connection closes.
    close_after_flush_ = true;
    flush();
    if (!writing_) close();
  }

  bool feed(const std::uint8_t* data, std::size_t n) {
    ssize_t rv = nghttp2_session_mem_recv(session_, data, n);
    if (rv < 0) {
      // Tell the client why, where nghttp2 has not queued a GOAWAY itself.
      nghttp2_session_terminate_session(
          session_, rv == NGHTTP2_ERR_FLOODED ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR);
      if (rv != NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
        std::fprintf(stderr, "portcullis: h2: closing connection from %s: %s\n", client_ip_.c_str(),
                     nghttp2_strerror(static_cast<int>(rv)));
      }
      return false;
    }
    return true;
  }

  // Sends what nghttp2 has queued. One writer at a time; a call while writing is picked up by
  // the running writer.
  void flush() {
    if (closed_) return;
    if (writing_) {
      flush_again_ = true;
      return;
    }
    writing_ = true;
    auto self = this->shared_from_this();
    asio::co_spawn(
        worker_.io(), [self]() { return self->write_loop(); }, asio::detached);
  }

  awaitable<void> write_loop() {
    while (!closed_) {
      flush_again_ = false;
      out_.clear();
      collect_output(session_, out_);
      if (out_.empty()) {
        if (flush_again_) continue;
        break;
      }
      write_started_ = Clock::now();
      auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kNoThrow);
      write_started_ = TimePoint::max();
      if (ec) {
        close();
        break;
      }
    }
    writing_ = false;
    if (close_after_flush_ ||
        (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_))) {
      close();
    }
  }

  // Closes an idle connection (no stream for timeouts.idle) with a GOAWAY, and a connection
  // whose client stopped reading (a write pending longer than the response timeout).
  awaitable<void> idle_watch() {
    asio::steady_timer tick(worker_.io());
    while (!closed_) {
      tick.expires_after(std::chrono::milliseconds(250));
      co_await tick.async_wait(kNoThrow);
      if (closed_) break;
      const auto& t = worker_.snapshot()->timeouts;
      TimePoint now = Clock::now();
      if (write_started_ != TimePoint::max() && now - write_started_ > t.upstream_response) {
        close();
        break;
      }
      if (streams_.empty() && now - last_activity_ > t.idle && !goaway_sent_) {
        goaway_sent_ = true;
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                              nullptr, 0);
        close_after_flush_ = true;
        flush();
      }
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    for (auto& [id, st] : streams_) {
      st->closed = true;
      st->wake.notify();
      if (st->upstream) st->upstream->lowest().cancel(ignored);
    }
    streams_.clear();
    // Stop sending, then read and drop what the client still sends for a moment before the
    // close: closing with unread bytes would reset the connection and could destroy a GOAWAY
    // that is still on its way to the client.
    lowest_of(socket_).shutdown(tcp::socket::shutdown_send, ignored);
    auto self = this->shared_from_this();
    asio::co_spawn(
        worker_.io(), [self]() { return self->linger(); }, asio::detached);
  }

  awaitable<void> linger() {
    asio::steady_timer limit(worker_.io());
    limit.expires_after(std::chrono::seconds(1));
    tcp::socket& sock = lowest_of(socket_);
    limit.async_wait([&sock](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      sock.cancel(ignored);
    });
    std::vector<char> sink(16 * 1024);
    std::size_t total = 0;
    while (total < 256 * 1024) {
      auto [ec, n] = co_await sock.async_read_some(asio::buffer(sink), kNoThrow);
      if (ec) break;
      total += n;
    }
    limit.cancel();
    boost::system::error_code ignored;
    sock.close(ignored);
    worker_.detach(this);
  }

  // ---- one stream

  void respond_local(H2Stream& st, LocalResponse r) {
    if (st.closed || closed_) return;
    if (st.record) st.record->status = r.status;
    r.request_id = st.ex.request_id;
    if (r.request_id.empty()) {
      worker_.next_request_id(st.request_id);
      r.request_id = std::string_view(st.request_id, sizeof st.request_id);
    }
    st.response_body.clear();
    std::string_view content_type = append_local_body(r, st.response_body);
    if (r.head) st.response_body.clear();
    st.response_end = true;
    std::string status = std::to_string(r.status);
    std::string length = std::to_string(st.response_body.size());
    std::string retry = std::to_string(r.retry_after_s);
    std::vector<nghttp2_nv> nva;
    add(nva, ":status", status);
    add(nva, "content-type", content_type);
    add(nva, "content-length", length);
    add(nva, "cache-control", "no-store");
    add(nva, "x-request-id", r.request_id);
    if (!r.allow.empty()) add(nva, "allow", r.allow);
    if (r.retry_after_s) add(nva, "retry-after", retry);
    // Field names go lowercase on HTTP/2 (RFC 9113 8.2.1); stages write them so.
    for (const HeaderField& f : r.headers) add(nva, f.name, f.value);
    nghttp2_data_provider provider{};
    provider.source.ptr = &st;
    provider.read_callback = &H2Session::read_response;
    nghttp2_submit_response(session_, st.id, nva.data(), nva.size(),
                            st.response_body.empty() && r.head ? nullptr : &provider);
    flush();
  }

  static void add(std::vector<nghttp2_nv>& nva, std::string_view name, std::string_view value) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  }

  // Marks a stream finished when its coroutine ends, however it ends, and gives back the flow
  // control window of request bytes that will never be forwarded.
  struct FinishStream {
    H2Session* session;
    H2Stream* stream;
    ~FinishStream() {
      stream->finished = true;
      stream->record = nullptr;
      if (!stream->request_body.empty() && !stream->closed && !session->closed_) {
        nghttp2_session_consume(session->session_, stream->id, stream->request_body.size());
        stream->request_body.clear();
        session->flush();
      }
    }
  };

  awaitable<void> serve_stream(std::shared_ptr<H2Stream> stream) {
    H2Stream& st = *stream;
    // Declared before the record, whose pipeline belongs to it.
    std::shared_ptr<const config::Snapshot> snap = worker_.snapshot();
    RequestRecord record(worker_, listener_, Protocol::kHttp2);
    record.ex = &st.ex;
    st.record = &record;
    FinishStream finish{this, &st};  // destroyed first: unlinks st.record
    const config::Limits& limits = snap->limits;

    // The header block is complete: its views can be taken now.
    std::string_view bytes = st.header_bytes;
    std::vector<std::string_view> cookies;
    for (const auto& r : st.ranges) {
      std::string_view name = bytes.substr(r[0], r[1]);
      std::string_view value = bytes.substr(r[2], r[3]);
      if (!name.empty() && name.front() == ':') {
        if (name == ":method") st.method = value;
        if (name == ":path") st.path = value;
        if (name == ":authority") st.authority = value;
        if (name == ":scheme") st.scheme = value;
        continue;
      }
      st.fields.push_back({name, value});
    }
    for (const HeaderField& f : st.fields) {
      if (st.authority.empty() && f.name == "host") st.authority = f.value;
    }

    Exchange& ex = st.ex;
    ex.method = st.method;
    ex.set_target(st.path);
    ex.host = host_of(st.authority);
    ex.headers = st.fields;
    ex.protocol = Protocol::kHttp2;
    ex.tls = std::is_same_v<Stream, TlsStream>;
    ex.h2_fingerprint = fingerprint_.text();
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      if (const TlsFingerprints* fp = tls_fingerprints(socket_.native_handle())) fp->fill(ex);
    }
    ex.client_ip = client_ip_;
    ex.client_port = client_port_;
    const bool trusted = snap->is_trusted(client_addr_);
    std::string_view incoming_id = ex.header("x-request-id");
    if (trusted && !incoming_id.empty() && incoming_id.size() <= 64) {
      ex.request_id = incoming_id;
    } else {
      worker_.next_request_id(st.request_id);
      ex.request_id = std::string_view(st.request_id, sizeof st.request_id);
    }
    bool has_cl = false;
    std::string_view cl_text = ex.header("content-length", &has_cl);
    std::uint64_t content_length = 0;
    if (has_cl) {
      auto [p, ec] =
          std::from_chars(cl_text.data(), cl_text.data() + cl_text.size(), content_length);
      if (ec != std::errc() || p != cl_text.data() + cl_text.size()) has_cl = false;
    }
    // DATA may already be here (and the stream ended) by the time this coroutine runs.
    ex.has_body = !st.request_end || !st.request_body.empty();
    ex.content_length = content_length;
    std::string_view accept = ex.header("accept");
    auto refuse = [&](std::uint16_t status, std::string_view detail, std::string_view allow = {},
                      const Verdict* from = nullptr) {
      respond_local(st,
                    {.status = status,
                     .detail = detail,
                     .request_id = ex.request_id,
                     .accept = accept,
                     .allow = allow,
                     .retry_after_s = from != nullptr ? from->retry_after_s : 0,
                     .head = st.method == "HEAD",
                     .body = from != nullptr ? from->body : std::string_view(),
                     .content_type = from != nullptr ? from->content_type : std::string_view(),
                     .headers = from != nullptr ? from->headers : std::span<const HeaderField>()});
    };

    if (st.headers_too_large) co_return refuse(431, "request header fields too large");
    if (!valid_path(st.path)) co_return refuse(400, "invalid :path");
    if (st.path == "*" && st.method != "OPTIONS") co_return refuse(400, "invalid :path");
    if (!st.authority.empty() && !valid_authority(st.authority)) {
      co_return refuse(400, "invalid :authority");
    }
    if (st.method == "CONNECT") co_return refuse(405, "CONNECT is not supported");
    if (st.path.size() > limits.uri_bytes) co_return refuse(414, "request-target too long");

    const config::Route* route = snap->match(ex.host, ex.path);
    if (route == nullptr) co_return refuse(404, "no route for this host and path");
    ex.route_id = route->id;
    ex.policy_id = route->pipeline->name();
    record.route = route->slot;
    record.pipeline = route->pipeline.get();
    Verdict verdict = route->pipeline->on_headers(ex);
    if (!verdict.is_continue()) {
      worker_.security_event(ex, verdict, false, verdict.status);
      record.enforced = verdict;
      bool is405 = verdict.status == 405;
      co_return refuse(verdict.status, is405 ? "method not allowed" : verdict.reason,
                       is405 ? verdict.reason : std::string_view(), &verdict);
    }
    if (limits.body_bytes && has_cl && content_length > limits.body_bytes) {
      co_return refuse(413, "request body larger than the limit");
    }

    if (route->pipeline->wants_body() && ex.has_body) {
      // Hold the body (bounded) for the stages that inspect it.
      const BodyInspection& inspection = route->pipeline->body_inspection();
      while (!st.request_end && !st.closed && st.request_body.size() <= inspection.limit) {
        co_await st.wake.wait();
      }
      if (st.closed) co_return;
      bool complete = st.request_end;
      if (!complete && inspection.reject_over_limit) {
        co_return refuse(413, "request body larger than the inspection limit");
      }
      ex.body = std::span<const char>(st.request_body.data(),
                                      std::min(st.request_body.size(), inspection.limit));
      ex.body_complete = complete;
      Verdict body_verdict = route->pipeline->on_body(ex);
      if (!body_verdict.is_continue()) {
        worker_.security_event(ex, body_verdict, false, body_verdict.status);
        record.enforced = body_verdict;
        co_return refuse(body_verdict.status, body_verdict.reason, {}, &body_verdict);
      }
    }

    const auto index = route->upstream;
    record.admission = worker_.pool().admit(index);
    if (record.admission.refused) {
      Verdict shed;
      shed.retry_after_s = snap->upstreams[index].concurrency->retry_after_s;
      co_return refuse(503, "upstream concurrency limit reached", {}, &shed);
    }
    if (snap->upstreams[index].protocol != config::UpstreamProtocol::kHttp1) {
      co_await forward_h2(st, *snap, index, trusted);
      co_return;
    }
    auto acquired = co_await worker_.pool().acquire(*snap, index);
    if (st.closed) co_return;
    if (acquired.status) {
      co_return refuse(static_cast<std::uint16_t>(acquired.status), acquired.detail);
    }
    st.upstream = std::move(acquired.conn);

    // ---- request head and body upstream
    const bool body_known = st.request_end;
    const bool chunked = !has_cl && (!body_known || !st.request_trailers.empty());
    std::string head;
    head.reserve(512 + st.header_bytes.size());
    head.append(st.method).append(" ").append(st.path).append(" HTTP/1.1\r\nhost: ");
    head.append(st.authority.empty() ? snap->upstreams[index].endpoints.front().to_string()
                                     : std::string(st.authority));
    head += "\r\n";
    Forwarded fwd;
    for (const HeaderField& f : st.fields) {
      if (f.name == "host" || f.name == "cookie" || f.name == "te" || f.name == "x-request-id" ||
          http1::is_hop_by_hop(f.name, st.fields) || fwd.take(f.name, f.value, trusted) ||
          added_by_stage(f.name, ex.upstream_headers)) {
        continue;
      }
      if (f.name == "content-length" && !has_cl) continue;
      head.append(f.name).append(": ").append(f.value).append("\r\n");
    }
    // HTTP/2 splits cookies into crumbs; HTTP/1.1 wants one header (RFC 9113 8.2.3).
    bool first_cookie = true;
    for (const HeaderField& f : st.fields) {
      if (f.name != "cookie") continue;
      head += first_cookie ? "cookie: " : "; ";
      head.append(f.value);
      first_cookie = false;
    }
    if (!first_cookie) head += "\r\n";
    head += "x-forwarded-for: ";
    if (!fwd.for_.empty()) head.append(fwd.for_).append(", ");
    head.append(client_ip_).append("\r\nx-forwarded-proto: ");
    head.append(!fwd.proto.empty() ? fwd.proto : (ex.tls ? "https" : "http"));
    head += "\r\n";
    std::string_view fwd_host = !fwd.host.empty() ? fwd.host : st.authority;
    if (!fwd_host.empty()) head.append("x-forwarded-host: ").append(fwd_host).append("\r\n");
    head.append("x-request-id: ").append(ex.request_id).append("\r\n");
    append_added_fields(head, ex.upstream_headers);
    if (chunked) {
      head += "transfer-encoding: chunked\r\n";
    } else if (!has_cl && body_known && !st.request_body.empty()) {
      head.append("content-length: ").append(std::to_string(st.request_body.size())).append("\r\n");
    }
    head += "\r\n";

    UpstreamConnection& up = *st.upstream;
    std::uint64_t sent_body = 0;
    bool first = true;
    while (true) {
      std::string out;
      std::size_t taken = st.request_body.size();
      if (first) out = std::move(head);
      if (taken) {
        if (chunked) {
          char size[20];
          auto [end, ec] = std::to_chars(size, size + sizeof size, taken, 16);
          out.append(size, end).append("\r\n").append(st.request_body).append("\r\n");
        } else {
          out.append(st.request_body);
        }
        sent_body += taken;
        st.request_body.clear();
      }
      if (limits.body_bytes && sent_body > limits.body_bytes) {
        st.upstream.reset();
        co_return refuse(413, "request body larger than the limit");
      }
      bool last = st.request_end;
      if (last && chunked) http1::append_last_chunk(out, st.request_trailers);
      if (!out.empty()) {
        auto [ec, n] = co_await asio::async_write(up, asio::buffer(out), kNoThrow);
        if (st.closed) co_return;
        if (ec) {
          st.upstream.reset();
          co_return refuse(502, "upstream connection failed");
        }
        // The bytes are upstream: the client may send that much more.
        if (taken) {
          nghttp2_session_consume(session_, st.id, taken);
          flush();
        }
      }
      first = false;
      if (last) break;
      // A wake-up only counts while someone waits: look at the state before waiting.
      while (!st.request_end && st.request_body.empty() && !st.closed) {
        co_await st.wake.wait();
      }
      if (st.closed) co_return;
    }

    // ---- the response head
    const TimePoint sent_at = Clock::now();
    WorkerMetrics::PerUpstream& upstream_metrics =
        worker_.metrics().upstream(snap->upstreams[index].slot);
    auto count_error = [&](UpstreamError kind) {
      upstream_metrics.errors[static_cast<std::size_t>(kind)].add();
    };
    Buffer& ub = st.upstream->buffer;
    std::vector<HeaderField> resp_fields(256);
    http1::ResponseHead resp;
    http1::ParseError perr;
    asio::steady_timer timeout(worker_.io());
    timeout.expires_after(snap->timeouts.upstream_response);
    bool timed_out = false;
    timeout.async_wait([&timed_out, &up](const boost::system::error_code& tec) {
      if (tec) return;
      timed_out = true;
      boost::system::error_code ignored;
      up.lowest().cancel(ignored);
    });
    while (true) {
      auto ps = http1::parse_response(ub.pending(), st.method, limits.response_header_bytes,
                                      resp_fields, resp, perr);
      if (ps == http1::ParseState::kComplete) {
        if (resp.status < 200) {  // interim responses (and 101, never asked for) are dropped
          ub.consume(resp.head_bytes);
          continue;
        }
        break;
      }
      if (ps == http1::ParseState::kIncomplete && ub.write_space() == 0 &&
          ub.capacity() < limits.response_header_bytes + UpstreamPool::kBufferBytes) {
        ub.grow(limits.response_header_bytes + UpstreamPool::kBufferBytes);
      }
      if (ps == http1::ParseState::kError || ub.write_space() == 0) {
        timeout.cancel();
        count_error(UpstreamError::kBadResponse);
        st.upstream.reset();
        co_return refuse(502, ps == http1::ParseState::kError ? perr.reason
                                                              : "upstream response head too large");
      }
      auto [ec, n] =
          co_await up.async_read_some(asio::buffer(ub.write_ptr(), ub.write_space()), kNoThrow);
      if (st.closed) co_return;
      if (ec) {
        timeout.cancel();
        st.upstream.reset();
        count_error(timed_out ? UpstreamError::kTimeout : UpstreamError::kReset);
        if (timed_out) co_return refuse(504, "upstream response timeout");
        co_return refuse(502, "upstream closed the connection before responding");
      }
      ub.commit(n);
    }

    upstream_metrics.response_time.observe(Clock::now() - sent_at);

    // ---- the stages that inspect responses see the head before the client does, and the
    // first `hold` bytes of the body when they ask for them (then the client gets nothing
    // before they have seen those)
    std::size_t hold = 0;
    if (route->pipeline->inspects_responses()) {
      ex.response_status = static_cast<std::uint16_t>(resp.status);
      ex.response_protocol = resp.version_minor == 0 ? Protocol::kHttp10 : Protocol::kHttp11;
      // The head moves to the arena: the stages keep it until the exchange ends (the logging
      // phase), and reading the body reuses the buffer it is in.
      resp.headers = ex.keep(resp.headers);
      resp.reason = ex.keep(resp.reason);
      ex.response_headers = resp.headers;
      Verdict v = route->pipeline->on_response_headers(ex);
      if (!v.is_continue()) {
        worker_.security_event(ex, v, false, v.status);
        record.enforced = v;
        st.upstream.reset();
        co_return refuse(v.status, v.reason);
      }
      if (resp.body != BodyKind::kNone) hold = route->pipeline->response_body_limit(ex);
    }

    // ---- response head to the client: lowercase names, no connection-specific fields
    std::string names;  // lowercased names, packed
    names.reserve(512);
    std::vector<std::pair<std::size_t, std::size_t>> name_ranges;
    for (const HeaderField& f : resp.headers) {
      if (http1::is_hop_by_hop(f.name, resp.headers) || iequals(f.name, "x-request-id") ||
          added_by_stage(f.name, ex.response_fields)) {
        name_ranges.push_back({std::string::npos, 0});
        continue;
      }
      name_ranges.push_back({names.size(), f.name.size()});
      for (char c : f.name) names.push_back((c >= 'A' && c <= 'Z') ? char(c + 32) : c);
    }
    std::string status = std::to_string(resp.status);
    std::vector<nghttp2_nv> nva;
    nva.reserve(resp.headers.size() + 2 + ex.response_fields.size());
    add(nva, ":status", status);
    for (std::size_t i = 0; i < resp.headers.size(); ++i) {
      if (name_ranges[i].first == std::string::npos) continue;
      add(nva, std::string_view(names).substr(name_ranges[i].first, name_ranges[i].second),
          resp.headers[i].value);
    }
    add(nva, "x-request-id", ex.request_id);
    for (const HeaderField& f : ex.response_fields) add(nva, f.name, f.value);
    ub.set_floor(0);
    ub.consume(resp.head_bytes);
    const bool has_body = resp.body != BodyKind::kNone;
    st.response_end = !has_body;
    nghttp2_data_provider provider{};
    provider.source.ptr = &st;
    provider.read_callback = &H2Session::read_response;
    auto submit = [&] {
      nghttp2_submit_response(session_, st.id, nva.data(), nva.size(), &provider);
      if (st.record) st.record->status = resp.status;
      flush();
    };
    if (hold == 0) submit();

    // ---- response body, as fast as the client's window lets it out
    http1::ChunkedDecoder decoder;
    std::string trailer_section;
    std::uint64_t remaining = resp.content_length;
    bool reusable = resp.keep_alive && resp.body != BodyKind::kUntilClose;
    while (has_body && !st.response_end) {
      if (ub.empty()) {
        timeout.expires_after(snap->timeouts.upstream_response);
        timed_out = false;
        timeout.async_wait([&timed_out, &up](const boost::system::error_code& tec) {
          if (tec) return;
          timed_out = true;
          boost::system::error_code ignored;
          up.lowest().cancel(ignored);
        });
        auto [ec, n] =
            co_await up.async_read_some(asio::buffer(ub.write_ptr(), ub.write_space()), kNoThrow);
        timeout.cancel();
        if (st.closed) co_return;
        if (ec) {
          if (resp.body == BodyKind::kUntilClose && !timed_out) {
            st.response_end = true;
          } else {
            // The response broke off: the client must not take it for complete.
            st.upstream.reset();
            nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, NGHTTP2_INTERNAL_ERROR);
            flush();
            co_return;
          }
        } else {
          ub.commit(n);
        }
      }
      std::string_view in = ub.pending();
      switch (resp.body) {
        case BodyKind::kContentLength: {
          std::size_t take =
              static_cast<std::size_t>(std::min<std::uint64_t>(remaining, in.size()));
          st.response_body.append(in.substr(0, take));
          remaining -= take;
          ub.consume(take);
          if (remaining == 0) st.response_end = true;
          break;
        }
        case BodyKind::kChunked: {
          std::size_t used = 0;
          while (used < in.size() && !decoder.done()) {
            auto step = decoder.next(in.substr(used));
            if (!decoder.error().empty()) {
              st.upstream.reset();
              nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, NGHTTP2_INTERNAL_ERROR);
              flush();
              co_return;
            }
            st.response_body.append(step.data);
            trailer_section.append(step.trailer);
            used += step.consumed;
          }
          ub.consume(used);
          if (decoder.done()) {
            st.trailers = http1::trailer_fields(trailer_section);  // the HTTP/2 trailers
            st.response_end = true;
          }
          break;
        }
        case BodyKind::kUntilClose:
          st.response_body.append(in);
          ub.consume(in.size());
          break;
        case BodyKind::kNone:
          break;
      }
      if (hold > 0 && (st.response_body.size() >= hold || st.response_end)) {
        ex.response_body =
            std::span<const char>(st.response_body.data(), std::min(st.response_body.size(), hold));
        ex.response_body_complete = st.response_end;
        Verdict v = route->pipeline->on_response_body(ex);
        ex.response_body = {};  // the buffer moves on as the body goes out
        hold = 0;
        if (!v.is_continue()) {
          worker_.security_event(ex, v, false, v.status);
          record.enforced = v;
          st.upstream.reset();
          co_return refuse(v.status, v.reason);
        }
        submit();
      }
      if (st.deferred) {
        st.deferred = false;
        nghttp2_session_resume_data(session_, st.id);
      }
      flush();
      while (hold == 0 && !st.closed && !closed_ &&
             st.response_body.size() - st.response_offset > kResponseBufferHigh) {
        co_await st.wake.wait();
      }
      if (st.closed) co_return;
    }
    if (st.deferred) {
      st.deferred = false;
      nghttp2_session_resume_data(session_, st.id);
      flush();
    }
    if (reusable && ub.empty()) {
      std::size_t max_idle = snap->upstreams[index].max_idle;
      worker_.pool().release(std::move(st.upstream), max_idle);
    }
    st.upstream.reset();
  }

  // Forwards the stream to an HTTP/2 upstream: headers, body both ways and trailers as they
  // come, so that gRPC calls (streaming included) pass through.
  awaitable<void> forward_h2(H2Stream& st, const config::Snapshot& snap, std::size_t index,
                             bool trusted) {
    Exchange& ex = st.ex;
    auto got = co_await worker_.h2_upstreams().get(snap, index);
    if (st.closed || closed_) co_return;
    auto refuse = [&](std::uint16_t status, std::string_view detail) {
      respond_local(st, {.status = status, .detail = detail, .accept = ex.header("accept")});
    };
    if (got.status) co_return refuse(static_cast<std::uint16_t>(got.status), got.detail);

    std::string authority = st.authority.empty()
                                ? snap.upstreams[index].endpoints.front().to_string()
                                : std::string(st.authority);
    Forwarded fwd;
    std::vector<H2Header> headers = {
        {":method", st.method}, {":scheme", "http"}, {":authority", authority}, {":path", st.path}};
    for (const HeaderField& f : st.fields) {
      if (f.name == "host" || f.name == "x-request-id" || fwd.take(f.name, f.value, trusted) ||
          added_by_stage(f.name, ex.upstream_headers)) {
        continue;
      }
      headers.push_back({f.name, f.value});
    }
    std::string xff = fwd.for_.empty() ? client_ip_ : std::string(fwd.for_) + ", " + client_ip_;
    headers.push_back({"x-forwarded-for", xff});
    headers.push_back({"x-forwarded-proto", !fwd.proto.empty() ? fwd.proto
                                            : ex.tls           ? "https"
                                                               : "http"});
    if (!fwd.host.empty() || !st.authority.empty()) {
      headers.push_back({"x-forwarded-host", !fwd.host.empty() ? fwd.host : st.authority});
    }
    headers.push_back({"x-request-id", ex.request_id});
    for (const HeaderField& f : ex.upstream_headers) {
      if (!f.value.empty()) headers.push_back({f.name, f.value});
    }

    auto up = std::make_shared<H2UpstreamStream>();
    up->metrics = &worker_.metrics().upstream(snap.upstreams[index].slot);
    up->wake = &st.wake;
    up->request_body = std::move(st.request_body);
    st.request_body.clear();
    up->request_end = st.request_end;
    if (up->request_end) up->request_trailers = std::move(st.request_trailers);
    std::int32_t id = st.id;
    up->on_request_sent = [this, id](std::size_t n) {
      // Request bytes are upstream: the client may send that much more.
      if (closed_ || streams_.find(id) == streams_.end()) return;
      nghttp2_session_consume(session_, id, n);
      flush();
    };
    if (!got.conn->submit(up, headers)) {
      up->on_request_sent = nullptr;
      co_return refuse(502, "upstream refused a new stream");
    }

    bool headers_sent = false;
    // The stages that inspect responses see the head, then the first `hold` bytes of the body
    // when they ask for them (a streamed gRPC reply is not of a type they hold), before the
    // client gets anything.
    const Pipeline* pipeline = st.record != nullptr ? st.record->pipeline : nullptr;
    bool inspected = pipeline == nullptr || !pipeline->inspects_responses();
    std::size_t hold = 0;
    auto refuse_response = [&](const Verdict& v) {
      worker_.security_event(ex, v, false, v.status);
      if (st.record) st.record->enforced = v;
      got.conn->reset(*up);
      up->on_request_sent = nullptr;
      up->wake = nullptr;
      refuse(v.status, v.reason);
    };
    while (true) {
      if (st.closed || closed_) {
        got.conn->reset(*up);
        break;
      }
      if (!st.request_body.empty()) {
        up->request_body.append(st.request_body);
        st.request_body.clear();
        got.conn->resume(*up);
      }
      if (st.request_end && !up->request_end) {
        up->request_trailers = std::move(st.request_trailers);
        up->request_end = true;
        got.conn->resume(*up);
      }
      if (up->headers_done && !inspected) {
        inspected = true;
        describe_response(*up, ex);
        Verdict v = pipeline->on_response_headers(ex);
        if (!v.is_continue()) {
          refuse_response(v);
          co_return;
        }
        if (!(up->end && up->body.empty())) hold = pipeline->response_body_limit(ex);
      }
      if (up->headers_done && hold > 0) {
        std::size_t n = up->body.size();
        st.response_body.append(up->body);
        up->body.clear();
        if (n > 0) got.conn->consume(*up, n);
        if (st.response_body.size() >= hold || up->end) {
          ex.response_body = std::span<const char>(st.response_body.data(),
                                                   std::min(st.response_body.size(), hold));
          ex.response_body_complete = up->end;
          Verdict v = pipeline->on_response_body(ex);
          ex.response_body = {};  // the buffer moves on as the body goes out
          hold = 0;
          if (!v.is_continue()) {
            refuse_response(v);
            co_return;
          }
        }
      }
      if (up->headers_done && !headers_sent && hold == 0) {
        headers_sent = true;
        std::string status = std::to_string(up->status);
        std::vector<nghttp2_nv> nva;
        add(nva, ":status", status);
        for (const auto& [name, value] : up->headers) {
          if (name == "x-request-id" || added_by_stage(name, ex.response_fields)) continue;
          add(nva, name, value);
        }
        add(nva, "x-request-id", ex.request_id);
        for (const HeaderField& f : ex.response_fields) add(nva, f.name, f.value);
        st.response_end = false;
        nghttp2_data_provider provider{};
        provider.source.ptr = &st;
        provider.read_callback = &H2Session::read_response;
        nghttp2_submit_response(session_, st.id, nva.data(), nva.size(), &provider);
        if (st.record) st.record->status = up->status;
      }
      if (headers_sent) {
        if (!up->body.empty() &&
            st.response_body.size() - st.response_offset < kResponseBufferHigh) {
          std::size_t n = up->body.size();
          st.response_body.append(up->body);
          up->body.clear();
          got.conn->consume(*up, n);
        }
        if (up->end && up->body.empty()) {
          st.trailers = std::move(up->trailers);
          st.response_end = true;
        }
        if (st.deferred && (st.response_end || st.response_body.size() > st.response_offset)) {
          st.deferred = false;
          nghttp2_session_resume_data(session_, st.id);
        }
      }
      if (up->closed && !up->end) {
        if (!headers_sent) {
          up->on_request_sent = nullptr;
          co_return refuse(502, "upstream reset the stream");
        }
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, st.id, NGHTTP2_INTERNAL_ERROR);
        break;
      }
      flush();
      if (st.response_end) break;
      co_await st.wake.wait();
    }
    up->on_request_sent = nullptr;
    up->wake = nullptr;
    flush();
  }

  Worker& worker_;
  std::uint16_t listener_;
  Stream socket_;
  std::string initial_;
  nghttp2_session* session_ = nullptr;
  std::map<std::int32_t, std::shared_ptr<H2Stream>> streams_;
  std::string out_;
  bool writing_ = false;
  bool flush_again_ = false;
  bool closed_ = false;
  bool close_after_flush_ = false;
  bool goaway_sent_ = false;
  std::size_t empty_data_frames_ = 0;
  std::size_t max_empty_data_frames_ = 64;
  bots::H2FingerprintBuilder fingerprint_;  // of the connection, complete at the first request
  TimePoint last_activity_ = Clock::now();
  TimePoint write_started_ = TimePoint::max();
  std::string client_ip_;
  std::uint16_t client_port_ = 0;
  std::array<std::uint8_t, 16> client_addr_{};
};

}  // namespace

void start_h2_session(Worker& worker, std::uint16_t listener, tcp::socket socket,
                      std::string initial) {
  std::make_shared<H2Session<tcp::socket>>(worker, listener, std::move(socket), std::move(initial))
      ->start();
}

void start_h2_session(Worker& worker, std::uint16_t listener, TlsStream stream,
                      std::string initial) {
  std::make_shared<H2Session<TlsStream>>(worker, listener, std::move(stream), std::move(initial))
      ->start();
}

}  // namespace portcullis::proxy
