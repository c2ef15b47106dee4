#include "proxy/h2_upstream.h"

#include <nghttp2/nghttp2.h>

#include <cstring>

#include "config/snapshot.h"
#include "proxy/upstream_pool.h"

namespace portcullis::proxy {
namespace {

constexpr std::int32_t kStreamWindow = 1024 * 1024;
constexpr std::int32_t kConnectionWindow = 8 * 1024 * 1024;

H2UpstreamStream* stream_of(nghttp2_session* session, std::int32_t id) {
  return static_cast<H2UpstreamStream*>(nghttp2_session_get_stream_user_data(session, id));
}

void wake(H2UpstreamStream& s) {
  if (s.wake) s.wake->notify();
}

// A stream that closes before its response head, and that this side did not reset, is an
// upstream failure: counted as a reset.
void count_unanswered(const H2UpstreamStream& s) {
  if (s.metrics && !s.closed && !s.headers_done && !s.cancelled) {
    s.metrics->errors[static_cast<std::size_t>(UpstreamError::kReset)].add();
  }
}

}  // namespace

void collect_output(nghttp2_session* session, std::string& out, std::size_t max) {
  while (out.size() < max) {
    const std::uint8_t* data = nullptr;
    ssize_t n = nghttp2_session_mem_send(session, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(n));
  }
}

ssize_t provide_data(nghttp2_session* session, std::int32_t stream_id, std::string& pending,
                     std::size_t& offset, bool ended,
                     const std::vector<std::pair<std::string, std::string>>& trailers,
                     bool& deferred, std::uint8_t* out, std::size_t length, std::uint32_t* flags,
                     std::size_t& taken) {
  taken = std::min(pending.size() - offset, length);
  if (taken) {
    std::memcpy(out, pending.data() + offset, taken);
    offset += taken;
    if (offset == pending.size()) {
      pending.clear();
      offset = 0;
    }
  }
  if (ended && offset == pending.size()) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!trailers.empty()) {
      *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      std::vector<nghttp2_nv> nva;
      nva.reserve(trailers.size());
      for (const auto& [name, value] : trailers) {
        nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                       reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())),
                       name.size(), value.size(), NGHTTP2_NV_FLAG_NONE});
      }
      nghttp2_submit_trailer(session, stream_id, nva.data(), nva.size());
    }
    return static_cast<ssize_t>(taken);
  }
  if (taken == 0) {
    deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(taken);
}

struct H2UpstreamConnection::Callbacks {
  static int on_header(nghttp2_session* session, const nghttp2_frame* frame,
                       const std::uint8_t* name, std::size_t namelen, const std::uint8_t* value,
                       std::size_t valuelen, std::uint8_t, void*) {
    H2UpstreamStream* s = stream_of(session, frame->hd.stream_id);
    if (s == nullptr || frame->hd.type != NGHTTP2_HEADERS) return 0;
    std::string n(reinterpret_cast<const char*>(name), namelen);
    std::string v(reinterpret_cast<const char*>(value), valuelen);
    if (s->headers_done) {
      s->trailers.emplace_back(std::move(n), std::move(v));
    } else if (n == ":status") {
      s->status = std::atoi(v.c_str());
    } else {
      s->headers.emplace_back(std::move(n), std::move(v));
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void*) {
    H2UpstreamStream* s = stream_of(session, frame->hd.stream_id);
    if (s == nullptr) return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && (frame->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
      if (!s->headers_done) {
        if (s->status >= 100 && s->status < 200) {
          s->headers.clear();  // interim response
          s->status = 0;
        } else {
          s->headers_done = true;
          if (s->metrics) s->metrics->response_time.observe(Clock::now() - s->submitted);
        }
      }
    }
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      s->end = true;
    }
    wake(*s);
    return 0;
  }

  static int on_data_chunk(nghttp2_session* session, std::uint8_t, std::int32_t id,
                           const std::uint8_t* data, std::size_t len, void*) {
    H2UpstreamStream* s = stream_of(session, id);
    if (s == nullptr) {
      nghttp2_session_consume(session, id, len);
      return 0;
    }
    s->body.append(reinterpret_cast<const char*>(data), len);
    wake(*s);
    return 0;
  }

  static int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t error_code,
                             void* user_data) {
    auto* self = static_cast<H2UpstreamConnection*>(user_data);
    auto it = self->streams_.find(id);
    if (it == self->streams_.end()) return 0;
    H2UpstreamStream& s = *it->second;
    count_unanswered(s);
    s.closed = true;
    s.error_code = error_code;
    wake(s);
    nghttp2_session_set_stream_user_data(session, id, nullptr);
    self->streams_.erase(it);
    return 0;
  }

  static ssize_t read_request(nghttp2_session* session, std::int32_t stream_id, std::uint8_t* buf,
                              std::size_t length, std::uint32_t* flags, nghttp2_data_source* src,
                              void*) {
    auto* s = static_cast<H2UpstreamStream*>(src->ptr);
    std::size_t n = 0;
    ssize_t r = provide_data(session, stream_id, s->request_body, s->request_offset, s->request_end,
                             s->request_trailers, s->deferred, buf, length, flags, n);
    if (n && s->on_request_sent) s->on_request_sent(n);
    return r;
  }
};

H2UpstreamConnection::H2UpstreamConnection(asio::io_context& io, tcp::socket socket)
    : io_(io), socket_(std::move(socket)) {}

H2UpstreamConnection::H2UpstreamConnection(asio::io_context& io, std::unique_ptr<TlsStream> tls)
    : io_(io), socket_(io), tls_(std::move(tls)) {}

H2UpstreamConnection::~H2UpstreamConnection() {
  if (session_) nghttp2_session_del(session_);
}

bool H2UpstreamConnection::start() {
  nghttp2_session_callbacks* cbs = nullptr;
  if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
  nghttp2_session_callbacks_set_on_header_callback(cbs, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &Callbacks::on_data_chunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &Callbacks::on_stream_close);
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  // Response bytes are acknowledged only as fast as the client takes them.
  nghttp2_option_set_no_auto_window_update(opt, 1);
  int rv = nghttp2_session_client_new2(&session_, cbs, this, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);
  if (rv != 0) return false;
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<std::uint32_t>(kStreamWindow)},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
  auto self = shared_from_this();
  asio::co_spawn(
      io_, [self]() { return self->read_loop(); }, asio::detached);
  flush();
  return true;
}

bool H2UpstreamConnection::usable() const noexcept {
  return !closed_ && session_ && nghttp2_session_check_request_allowed(session_) != 0;
}

bool H2UpstreamConnection::submit(const std::shared_ptr<H2UpstreamStream>& stream,
                                  const std::vector<H2Header>& headers) {
  if (!usable()) return false;
  std::vector<nghttp2_nv> nva;
  nva.reserve(headers.size());
  for (const H2Header& h : headers) {
    nva.push_back({reinterpret_cast<std::uint8_t*>(const_cast<char*>(h.name.data())),
                   reinterpret_cast<std::uint8_t*>(const_cast<char*>(h.value.data())),
                   h.name.size(), h.value.size(), NGHTTP2_NV_FLAG_NONE});
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = stream.get();
  provider.read_callback = &Callbacks::read_request;
  bool has_body =
      !stream->request_end || !stream->request_body.empty() || !stream->request_trailers.empty();
  std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                           has_body ? &provider : nullptr, stream.get());
  if (id < 0) return false;
  stream->id = id;
  streams_[id] = stream;
  if (stream->metrics) {
    stream->metrics->requests.add();
    stream->submitted = Clock::now();
  }
  flush();
  return true;
}

void H2UpstreamConnection::resume(H2UpstreamStream& stream) {
  if (closed_ || stream.closed || !stream.deferred) return;
  stream.deferred = false;
  nghttp2_session_resume_data(session_, stream.id);
  flush();
}

void H2UpstreamConnection::consume(H2UpstreamStream& stream, std::size_t n) {
  if (closed_ || stream.closed) return;
  nghttp2_session_consume(session_, stream.id, n);
  flush();
}

void H2UpstreamConnection::reset(H2UpstreamStream& stream) {
  stream.cancelled = true;
  if (closed_ || stream.closed || stream.id < 0) return;
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_CANCEL);
  flush();
}

void H2UpstreamConnection::fail_all(std::uint32_t error_code) {
  for (auto& [id, s] : streams_) {
    count_unanswered(*s);
    s->closed = true;
    s->error_code = error_code;
    wake(*s);
  }
  streams_.clear();
}

awaitable<void> H2UpstreamConnection::read_loop() {
  std::vector<std::uint8_t> buf(32 * 1024);
  while (!closed_) {
    auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(buf), kNoThrow)
                        : co_await socket_.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) break;
    if (nghttp2_session_mem_recv(session_, buf.data(), n) < 0) break;
    flush();
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) break;
  }
  closed_ = true;
  fail_all(NGHTTP2_REFUSED_STREAM);
  boost::system::error_code ignored;
  (tls_ ? lowest_of(*tls_) : socket_).close(ignored);
}

void H2UpstreamConnection::flush() {
  if (closed_) return;
  if (writing_) {
    flush_again_ = true;
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  asio::co_spawn(
      io_, [self]() { return self->write_loop(); }, asio::detached);
}

awaitable<void> H2UpstreamConnection::write_loop() {
  while (!closed_) {
    flush_again_ = false;
    out_.clear();
    collect_output(session_, out_);
    if (out_.empty()) {
      if (flush_again_) continue;
      break;
    }
    auto [ec, n] = tls_ ? co_await asio::async_write(*tls_, asio::buffer(out_), kNoThrow)
                        : co_await asio::async_write(socket_, asio::buffer(out_), kNoThrow);
    if (ec) {
      closed_ = true;
      boost::system::error_code ignored;
      (tls_ ? lowest_of(*tls_) : socket_).cancel(ignored);
      break;
    }
  }
  writing_ = false;
}

awaitable<H2UpstreamPool::Got> H2UpstreamPool::get(const config::Snapshot& snapshot,
                                                   std::size_t index) {
  // Keyed by name and identity, not index: a reload may renumber the upstreams.
  const config::Upstream& upstream = snapshot.upstreams[index];
  std::string key = upstream.name + '\n' + upstream.identity;
  auto it = conns_.find(key);
  if (it != conns_.end() && it->second->usable()) co_return Got{it->second};
  auto acquired = co_await tcp_pool_.acquire(snapshot, index, /*count_request=*/false);
  if (acquired.status) co_return Got{nullptr, acquired.status, acquired.detail};
  std::shared_ptr<H2UpstreamConnection> conn;
  if (acquired.conn->tls) {
    conn = std::make_shared<H2UpstreamConnection>(io_, std::move(acquired.conn->tls));
  } else {
    conn = std::make_shared<H2UpstreamConnection>(io_, std::move(acquired.conn->socket));
  }
  if (!conn->start()) co_return Got{nullptr, 502, "cannot start an HTTP/2 upstream session"};
  conns_[key] = conn;
  co_return Got{conn};
}

void describe_response(const H2UpstreamStream& stream, Exchange& exchange) {
  std::vector<HeaderField> fields;
  fields.reserve(stream.headers.size());
  for (const auto& [name, value] : stream.headers) fields.push_back({name, value});
  exchange.response_status = static_cast<std::uint16_t>(stream.status);
  exchange.response_protocol = Protocol::kHttp2;
  exchange.response_headers = exchange.keep(fields);
}

}  // namespace portcullis::proxy
