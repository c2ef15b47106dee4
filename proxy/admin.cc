#include "proxy/admin.h"

#include <openssl/crypto.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/event_log.h"
#include "proxy/http1/parser.h"
#include "proxy/local_response.h"
#include "proxy/server.h"

namespace portcullis::proxy {

struct AdminServer::Impl {
  explicit Impl(Server& s) : server(s), io(1), debounce(io) {}

  Server& server;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::posix::stream_descriptor> inotify;
  std::string watched_name;  // the config file's name in its directory
  bool writing = false;      // the file was written to and not yet closed
  bool retrying = false;     // the last file read failed and is being tried once more
  asio::steady_timer debounce;

  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);
  awaitable<void> watch_loop();
  void settle();
  bool take_pending_events();
  std::string respond(const http1::RequestHead& req, std::string_view body);
};

namespace {

constexpr std::size_t kMaxRequestBytes = 16 * 1024;

std::string response(int status, std::string_view content_type, std::string_view body,
                     std::string_view extra_headers = {}, bool head_only = false) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(reason_phrase(static_cast<std::uint16_t>(status))) + "\r\n";
  out += "content-type: ";
  out += content_type;
  out += "\r\ncontent-length: " + std::to_string(body.size()) + "\r\n";
  out += "cache-control: no-store\r\n";
  out += extra_headers;
  out += "\r\n";
  if (!head_only) out += body;
  return out;
}

std::string json_error(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  out += "}\n";
  return out;
}

// The value of `key` in a query string, percent-decoded; empty when absent.
std::string query_value(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != key || eq == std::string_view::npos) continue;
    auto hex = [](char c) {
      if (c >= '0' && c <= '9') return c - '0';
      c = static_cast<char>(c | 32);
      return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    std::string out;
    std::string_view v = pair.substr(eq + 1);
    for (std::size_t i = 0; i < v.size(); ++i) {
      int hi = i + 2 < v.size() ? hex(v[i + 1]) : -1;
      int lo = i + 2 < v.size() ? hex(v[i + 2]) : -1;
      if (v[i] == '+') {
        out += ' ';
      } else if (v[i] == '%' && hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out += v[i];
      }
    }
    return out;
  }
  return {};
}

// Whether the inotify events in `buf` name the config file or Kubernetes' `..data` link that a
// ConfigMap update swaps. `writing` follows the file: a write (IN_MODIFY) opens it, a close, a
// rename or a link change ends it. Headers are copied out: the buffer need not be aligned.
bool names_config(const char* buf, std::size_t n, std::string_view watched, bool& writing) {
  bool relevant = false;
  for (std::size_t off = 0; off + sizeof(inotify_event) <= n;) {
    inotify_event e;
    std::memcpy(&e, buf + off, sizeof e);
    const char* name_at = buf + off + sizeof e;
    std::size_t len = std::min<std::size_t>(e.len, n - off - sizeof e);
    std::string_view name(name_at, strnlen(name_at, len));
    if (name == watched || name == "..data") {
      relevant = true;
      if (e.mask & IN_MODIFY) writing = true;
      if (e.mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB)) {
        writing = false;
      }
    }
    off += sizeof e + e.len;
  }
  return relevant;
}

std::string reload_json(const ReloadResult& r) {
  std::string out = "{\"result\":";
  out += r.ok ? "\"success\"" : "\"failure\"";
  out += ",\"trigger\":";
  append_json_string(out, r.trigger);
  out += ",\"changed\":";
  out += r.changed ? "true" : "false";
  out += ",\"generation\":" + std::to_string(r.generation);
  out += ",\"hash\":";
  append_json_string(out, r.hash);
  char t[32];
  std::snprintf(t, sizeof t, "%.3f", r.unix_time);
  out += ",\"time\":";
  out += t;
  if (!r.ok) {
    out += ",\"error\":";
    append_json_string(out, r.error);
  }
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < r.warnings.size(); ++i) {
    if (i) out += ",";
    append_json_string(out, r.warnings[i]);
  }
  out += "]}";
  return out;
}

}  // namespace

std::string AdminServer::Impl::respond(const http1::RequestHead& req, std::string_view /*body*/) {
  const bool head = req.method == "HEAD";
  const bool get = req.method == "GET" || head;
  auto only = [&](std::string_view allow) {
    return response(405, "application/json", json_error("method not allowed"),
                    "allow: " + std::string(allow) + "\r\n");
  };
  const std::string_view path = req.path;
  // With admin.token set, the endpoints that change things and the dashboard's need
  // "Authorization: Bearer TOKEN".
  auto authorized = [&] {
    auto snap = server.snapshot();
    if (snap->admin_token.empty()) return true;
    std::string_view auth;
    bool found = false;
    for (const HeaderField& f : req.headers) {
      if (iequals(f.name, "authorization")) {
        auth = f.value;
        found = true;
      }
    }
    std::string expected = "Bearer " + snap->admin_token;
    return found && auth.size() == expected.size() &&
           CRYPTO_memcmp(auth.data(), expected.data(), expected.size()) == 0;
  };
  auto unauthorized = [&] {
    return response(401, "application/json", json_error("a valid bearer token is required"),
                    "www-authenticate: Bearer realm=\"portcullis-admin\"\r\n");
  };
  if (path == "/healthz") {
    if (!get) return only("GET, HEAD");
    return response(200, "text/plain", "ok\n", {}, head);
  }
  if (path == "/readyz") {
    if (!get) return only("GET, HEAD");
    if (server.draining()) return response(503, "text/plain", "draining\n", {}, head);
    return response(200, "text/plain", "ready\n", {}, head);
  }
  if (path == "/metrics") {
    if (!get) return only("GET, HEAD");
    return response(200, "text/plain; version=0.0.4; charset=utf-8", server.render_metrics(), {},
                    head);
  }
  if (path == "/config/status") {
    if (!get) return only("GET, HEAD");
    auto snap = server.snapshot();
    std::string out = "{\"generation\":" + std::to_string(server.last_success().generation);
    out += ",\"hash\":";
    append_json_string(out, snap->hash);
    out += ",\"source\":";
    append_json_string(out, snap->source);
    out += ",\"reloads\":{\"success\":" + std::to_string(server.reloads_ok()) +
           ",\"failure\":" + std::to_string(server.reloads_failed()) + "}";
    out += ",\"last_success\":" + reload_json(server.last_success());
    out += ",\"last_reload\":" + reload_json(server.last_reload());
    out += "}\n";
    return response(200, "application/json", out, {}, head);
  }
  if (path == "/api/summary") {
    if (!get) return only("GET, HEAD");
    if (!authorized()) return unauthorized();
    std::string config = "{\"generation\":" + std::to_string(server.last_success().generation);
    config += ",\"hash\":";
    append_json_string(config, server.snapshot()->hash);
    config += ",\"last_reload\":" + reload_json(server.last_reload()) + "}";
    return response(200, "application/json", server.render_summary(config), {}, head);
  }
  if (path == "/events") {
    if (!get) return only("GET, HEAD");
    std::size_t limit = 100;
    if (std::string l = query_value(req.query, "limit"); !l.empty()) {
      limit = std::strtoul(l.c_str(), nullptr, 10);
      if (limit == 0 || limit > EventLog::kRecent) limit = EventLog::kRecent;
    }
    std::vector<std::string> filters;
    for (auto [param, field] : {std::pair<const char*, const char*>{"client", "client_ip"},
                                {"stage", "stage"},
                                {"rule", "id"},
                                {"action", "action"},
                                {"request_id", "request_id"}}) {
      std::string v = query_value(req.query, param);
      if (v.empty()) continue;
      std::string f = "\"" + std::string(field) + "\":";
      append_json_string(f, v);
      filters.push_back(std::move(f));
    }
    auto events = server.event_log().recent(limit, filters);
    std::string out = "{\"events\":[";
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (i) out += ",\n";
      out += events[i];
    }
    out += "]}\n";
    return response(200, "application/json", out, {}, head);
  }
  if (path == "/reload") {
    if (req.method != "POST") return only("POST");
    if (!authorized()) return unauthorized();
    ReloadResult r = server.reload("POST /reload");
    return response(r.ok ? 200 : 422, "application/json", reload_json(r) + "\n");
  }
  return response(404, "application/json", json_error("no such admin endpoint"), {}, head);
}

awaitable<void> AdminServer::Impl::accept_loop() {
  while (acceptor && acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) break;
    if (ec) continue;
    asio::co_spawn(io, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> AdminServer::Impl::serve(tcp::socket socket) {
  Buffer buf(kMaxRequestBytes);
  std::vector<HeaderField> fields(100);
  asio::steady_timer timer(io);
  while (true) {
    // One request at a time; a slow or idle client is dropped after 30 s.
    timer.expires_after(std::chrono::seconds(30));
    timer.async_wait([&socket](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket.close(ignored);
      }
    });
    http1::RequestHead req;
    http1::ParseError perr;
    http1::ParseState state = http1::ParseState::kIncomplete;
    while (true) {
      state = http1::parse_request(buf.pending(), {kMaxRequestBytes, fields.size(), 4096}, fields,
                                   req, perr);
      if (state != http1::ParseState::kIncomplete || buf.write_space() == 0) break;
      auto [ec, n] = co_await socket.async_read_some(
          asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
      if (ec) co_return;
      buf.commit(n);
    }
    if (state != http1::ParseState::kComplete) {
      std::string out =
          response(state == http1::ParseState::kError ? perr.status : 431, "application/json",
                   json_error("malformed request"), "connection: close\r\n");
      co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
      co_return;
    }
    // Bodies are not used by any endpoint: read and drop a small one, refuse a large one.
    std::uint64_t body = req.body == http1::BodyKind::kContentLength ? req.content_length : 0;
    if (req.body == http1::BodyKind::kChunked || body > 64 * 1024) {
      std::string out = response(413, "application/json", json_error("request body not accepted"),
                                 "connection: close\r\n");
      co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
      co_return;
    }
    std::string out = respond(req, {});
    bool keep = req.keep_alive;
    buf.consume(req.head_bytes);
    while (body > 0) {
      if (buf.empty()) {
        buf.compact();
        auto [ec, n] = co_await socket.async_read_some(
            asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
        if (ec) co_return;
        buf.commit(n);
      }
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(body, buf.size()));
      buf.consume(take);
      body -= take;
    }
    auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
    timer.cancel();
    if (wec || !keep) co_return;
    buf.compact();
  }
}

awaitable<void> AdminServer::Impl::watch_loop() {
  std::vector<char> events(4096);
  while (inotify && inotify->is_open()) {
    auto [ec, n] = co_await inotify->async_read_some(asio::buffer(events), kNoThrow);
    if (ec) break;
    if (!names_config(events.data(), n, watched_name, writing)) continue;
    settle();
  }
}

// An editor's save or a ConfigMap swap is several events: reload once they settle, and never
// while the file is being written (a half-written file is not read).
void AdminServer::Impl::settle() {
  debounce.expires_after(std::chrono::milliseconds(50));
  debounce.async_wait([this](const boost::system::error_code& dec) {
    if (dec) return;
    // Events the kernel has queued but the watch loop has not read yet (a writer may have
    // just truncated the file) count before deciding.
    if (take_pending_events()) return settle();
    if (writing) return;  // read once its writer closes it
    // A failed read is reported only when a second read, after the file settled again, fails
    // too: the events of a writer that has just truncated the file may already be read off the
    // descriptor by the event loop and not yet seen here.
    bool again = false;
    server.reload("file", /*only_if_changed=*/true, [this, &again] {
      again = take_pending_events() || !retrying;
      return again;
    });
    retrying = again;
    if (again) settle();
  });
}

// Reads the events already queued, without waiting; true when one concerns the config file.
bool AdminServer::Impl::take_pending_events() {
  if (!inotify) return false;
  char buf[4096];
  bool relevant = false;
  while (true) {
    ssize_t n = ::read(inotify->native_handle(), buf, sizeof buf);
    if (n <= 0) break;
    relevant = names_config(buf, static_cast<std::size_t>(n), watched_name, writing) || relevant;
  }
  return relevant;
}

AdminServer::AdminServer(Server& server) : impl_(std::make_unique<Impl>(server)) {}

AdminServer::~AdminServer() = default;

std::uint16_t AdminServer::listen(const config::SocketAddress& address) {
  tcp::endpoint endpoint(asio::ip::make_address(address.ip), address.port);
  impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor->bind(endpoint);
  impl_->acceptor->listen();
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  return impl_->acceptor->local_endpoint().port();
}

std::string AdminServer::watch(const std::string& path) {
  std::filesystem::path p(path);
  std::filesystem::path dir = p.parent_path().empty() ? "." : p.parent_path();
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0) return "inotify_init1 failed";
  if (::inotify_add_watch(
          fd, dir.c_str(),
          IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_ATTRIB) < 0) {
    ::close(fd);
    return "cannot watch " + dir.string();
  }
  impl_->watched_name = p.filename().string();
  impl_->inotify = std::make_unique<asio::posix::stream_descriptor>(impl_->io, fd);
  asio::co_spawn(impl_->io, impl_->watch_loop(), asio::detached);
  return {};
}

void AdminServer::run() {
  auto guard = asio::make_work_guard(impl_->io);
  impl_->io.run();
}

void AdminServer::stop() { impl_->io.stop(); }

void AdminServer::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

}  // namespace portcullis::proxy
