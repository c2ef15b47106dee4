#include "proxy/admin.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "config/loader.h"
#include "core/csp.h"
#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/dashboard_assets.h"
#include "proxy/event_log.h"
#include "proxy/http1/parser.h"
#include "proxy/local_response.h"
#include "proxy/server.h"

namespace portcullis::proxy {

struct AdminServer::Impl {
  explicit Impl(Server& s) : server(s), io(1), debounce(io), sampler(io) {
    // The key that turns the admin token into the dashboard's session cookie: new at every
    // start, so a cookie is good only for this process and the token it was given for.
    if (RAND_bytes(session_key, sizeof session_key) != 1) {
      throw std::runtime_error("admin: no random bytes for the session key");
    }
  }

  Server& server;
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::posix::stream_descriptor> inotify;
  std::string watched_name;  // the config file's name in its directory
  bool writing = false;      // the file was written to and not yet closed
  bool retrying = false;     // the last file read failed and is being tried once more
  asio::steady_timer debounce;
  asio::steady_timer sampler;
  UpstreamHistory upstream_history;
  unsigned char session_key[32];

  awaitable<void> accept_loop();
  awaitable<void> sample_loop();
  std::string session_for(std::string_view token) const;
  ConfigState config_state() const;
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

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::string_view kSessionCookie = "portcullis_admin";

// The page's policy: its own script and style only, fetches to itself, no frames.
constexpr std::string_view kPagePolicy =
    "content-security-policy: default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'\r\n"
    "x-content-type-options: nosniff\r\n"
    "referrer-policy: no-referrer\r\n";

constexpr std::string_view kLoginStyle =
    "body{font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f4f6f9;display:flex;"
    "justify-content:center;padding-top:12vh;margin:0}form{background:#fff;border:1px solid "
    "#d5d9e0;border-radius:8px;padding:24px 28px;width:320px}h1{font-size:20px;margin:0 0 12px}"
    "label{display:block;margin-bottom:6px;color:#5b6475}input{width:100%;box-sizing:border-box;"
    "padding:8px;font:inherit;border:1px solid #b9c0cc;border-radius:4px}button{margin-top:14px;"
    "padding:8px 16px;font:inherit;border:0;border-radius:4px;background:#2e6bd8;color:#fff}"
    "p.error{color:#b42318;margin:0 0 10px}";

// The dashboard's sign-in form: the token, posted to /login, becomes a session cookie.
std::string login_page(int status, std::string_view error) {
  std::string body =
      "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>Portcullis admin: sign "
      "in</title><link rel=\"icon\" href=\"/assets/icon.svg\"><style>";
  body += kLoginStyle;
  body +=
      "</style></head><body><form method=\"post\" action=\"/login\"><h1>Portcullis "
      "admin</h1>";
  if (!error.empty()) {
    body += "<p class=\"error\">";
    body += error;  // one of this file's fixed messages
    body += "</p>";
  }
  body +=
      "<label for=\"token\">Admin token</label><input id=\"token\" name=\"token\" "
      "type=\"password\" autocomplete=\"current-password\" autofocus required>"
      "<button type=\"submit\">Sign in</button></form></body></html>\n";
  std::string headers = "content-security-policy: default-src 'none'; style-src " +
                        csp_hash(kLoginStyle) +
                        "; img-src 'self'; form-action 'self'; base-uri 'none'; "
                        "frame-ancestors 'none'\r\n"
                        "x-content-type-options: nosniff\r\nreferrer-policy: no-referrer\r\n";
  return response(status, "text/html; charset=utf-8", body, headers);
}

// A report's window as a duration ("24h", "90m", "3600s", config::parse_duration), rounded up
// to whole hours, 1 to 24; 0 when it is not one.
std::int64_t report_hours(std::string_view text) {
  if (text.empty()) return 24;
  auto d = config::parse_duration(text);
  if (!d) return 0;
  const std::chrono::hours hour(1);
  const std::int64_t hours = (d.value() + hour - Duration(1)) / hour;  // rounded up
  return hours >= 1 && hours <= 24 ? hours : 0;
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

awaitable<void> AdminServer::Impl::sample_loop() {
  while (true) {
    upstream_history.sample(unix_now(), server.upstream_totals());
    sampler.expires_after(std::chrono::seconds(UpstreamHistory::kSampleSeconds));
    auto [ec] = co_await sampler.async_wait(kNoThrow);
    if (ec) co_return;
  }
}

// The cookie value for a token: HMAC-SHA256 of it under this process's key, in hex.
std::string AdminServer::Impl::session_for(std::string_view token) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), session_key, sizeof session_key,
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 15];
  }
  return out;
}

ConfigState AdminServer::Impl::config_state() const {
  ConfigState c;
  auto snap = server.snapshot();
  const ReloadResult& last = server.last_reload();
  c.generation = server.last_success().generation;
  c.hash = snap->hash;
  c.source = snap->source;
  c.last_reload_ok = last.ok;
  c.last_reload_trigger = last.trigger;
  c.last_reload_error = last.error;
  c.last_reload_time = last.unix_time;
  c.json = "{\"generation\":" + std::to_string(c.generation) + ",\"hash\":";
  append_json_string(c.json, c.hash);
  c.json += ",\"source\":";
  append_json_string(c.json, c.source);
  c.json += ",\"last_reload\":" + reload_json(last) + "}";
  return c;
}

std::string AdminServer::Impl::respond(const http1::RequestHead& req, std::string_view body) {
  const bool head = req.method == "HEAD";
  const bool get = req.method == "GET" || head;
  auto only = [&](std::string_view allow) {
    return response(405, "application/json", json_error("method not allowed"),
                    "allow: " + std::string(allow) + "\r\n");
  };
  const std::string_view path = req.path;
  auto header = [&](std::string_view name) {
    std::string_view value;
    for (const HeaderField& f : req.headers) {
      if (iequals(f.name, name)) value = f.value;
    }
    return value;
  };
  auto same = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  };
  const std::string token = server.snapshot()->admin_token;
  // With admin.token set, the endpoints that change things need "Authorization: Bearer
  // TOKEN"; the dashboard and its APIs take that or the session cookie /login gives.
  auto bearer = [&] { return token.empty() || same(header("authorization"), "Bearer " + token); };
  auto authorized = [&] {
    if (bearer()) return true;
    const std::string expected = session_for(token);
    std::string_view cookies = header("cookie");
    while (!cookies.empty()) {
      std::size_t semi = cookies.find(';');
      std::string_view c = cookies.substr(0, semi);
      cookies = semi == std::string_view::npos ? std::string_view() : cookies.substr(semi + 1);
      while (!c.empty() && c.front() == ' ') c.remove_prefix(1);
      if (c.size() > kSessionCookie.size() &&
          c.substr(0, kSessionCookie.size()) == kSessionCookie && c[kSessionCookie.size()] == '=' &&
          same(c.substr(kSessionCookie.size() + 1), expected)) {
        return true;
      }
    }
    return false;
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
  // ---- The dashboard: its page, its files, its sign-in and its APIs.
  if (path == "/" || path == "/index.html" || path.starts_with("/assets/")) {
    if (!get) return only("GET, HEAD");
    std::string_view name = path.starts_with("/assets/") ? path.substr(8) : "index.html";
    const EmbeddedAsset* asset = nullptr;
    for (const EmbeddedAsset& a : dashboard_assets()) {
      if (a.name == name && (name == "index.html") == !path.starts_with("/assets/")) asset = &a;
    }
    if (asset == nullptr) {
      return response(404, "application/json", json_error("no such admin endpoint"), {}, head);
    }
    // The page needs the token; its script, style and icon hold nothing secret and are the
    // same for everyone (the sign-in form uses none of them).
    if (name == "index.html" && !authorized()) {
      if (header("accept").find("text/html") == std::string_view::npos) return unauthorized();
      return response(303, "text/plain", "sign in at /login\n", "location: /login\r\n", head);
    }
    std::string headers = std::string(kPagePolicy) + "etag: " + std::string(asset->etag) + "\r\n";
    if (header("if-none-match") == asset->etag) {
      return response(304, asset->content_type, {}, headers, true);
    }
    return response(200, asset->content_type, asset->body, headers, head);
  }
  if (path == "/login") {
    if (token.empty()) {
      return response(303, "text/plain", "no admin token is configured\n", "location: /\r\n");
    }
    if (get) return login_page(200, {});
    if (req.method != "POST") return only("GET, HEAD, POST");
    if (!same(query_value(body, "token"), token)) {
      return login_page(401, "That is not the admin token.");
    }
    return response(303, "text/plain", "signed in\n",
                    "location: /\r\nset-cookie: " + std::string(kSessionCookie) + "=" +
                        session_for(token) + "; Path=/; HttpOnly; SameSite=Strict\r\n");
  }
  if (path == "/logout") {
    if (req.method != "POST") return only("POST");
    return response(303, "text/plain", "signed out\n",
                    "location: /login\r\nset-cookie: " + std::string(kSessionCookie) +
                        "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n");
  }
  if (path == "/api/summary") {
    if (!get) return only("GET, HEAD");
    if (!authorized()) return unauthorized();
    const std::int64_t now = unix_now();
    Dashboard::View view(Dashboard::Range::kLive);
    server.dashboard_view(view, now, Dashboard::kLiveSeconds);
    auto upstreams = upstream_history.window(now, 300, server.upstream_totals());
    return response(200, "application/json", render_summary(view, now, upstreams, config_state()),
                    {}, head);
  }
  if (path == "/api/report") {
    if (!get) return only("GET, HEAD");
    if (!authorized()) return unauthorized();
    const std::string window = query_value(req.query, "window");
    const std::int64_t hours = report_hours(window);
    if (hours == 0) {
      return response(400, "application/json",
                      json_error("window must be a duration from 1h to 24h, such as 24h or 90m"),
                      {}, head);
    }
    std::string format = query_value(req.query, "format");
    if (format.empty()) {
      format =
          header("accept").find("application/json") != std::string_view::npos ? "json" : "html";
    }
    if (format != "html" && format != "json") {
      return response(400, "application/json", json_error("format must be html or json"), {}, head);
    }
    const std::int64_t now = unix_now();
    Dashboard::View view(Dashboard::Range::kDay);
    server.dashboard_view(view, now, hours * 3600);
    auto upstreams = upstream_history.window(now, hours * 3600, server.upstream_totals());
    const ConfigState config = config_state();
    char date[32];
    std::time_t t = static_cast<std::time_t>(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
    const std::string file = "portcullis-report-" + std::string(date) + "." + format;
    if (format == "json") {
      return response(200, "application/json", render_summary(view, now, upstreams, config),
                      "content-disposition: inline; filename=\"" + file + "\"\r\n", head);
    }
    std::string style_hash;
    std::string page = render_report_html(view, now, upstreams, config, style_hash);
    return response(200, "text/html; charset=utf-8", page,
                    "content-security-policy: default-src 'none'; style-src " + style_hash +
                        "; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n"
                        "x-content-type-options: nosniff\r\n"
                        "content-disposition: inline; filename=\"" +
                        file + "\"\r\n",
                    head);
  }
  if (path == "/events" || path == "/api/events") {
    if (!get) return only("GET, HEAD");
    // Events name clients and carry what they sent: guarded like the dashboard.
    if (!authorized()) return unauthorized();
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
                                {"request_id", "request_id"},
                                {"route", "route"},
                                {"ja4", "ja4"}}) {
      std::string v = query_value(req.query, param);
      if (v.empty()) continue;
      std::string f = "\"" + std::string(field) + "\":";
      append_json_string(f, v);
      filters.push_back(std::move(f));
    }
    std::optional<std::chrono::system_clock::time_point> since;
    if (std::string v = query_value(req.query, "since"); !v.empty()) {
      char* end = nullptr;
      const double unix_s = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(unix_s >= 0) || unix_s > 32503680000.0) {
        return response(400, "application/json",
                        json_error("since must be a time in seconds since 1970 (1764430000)"), {},
                        head);
      }
      since = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::duration<double>(unix_s)));
    }
    auto events = server.event_log().recent(limit, filters, since);
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
    if (!bearer()) return unauthorized();
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
    // Only POST /login reads a body (a form with the token). The body is read in after the
    // head, which stays where it is (the request's fields point into it); one that does not fit
    // in the buffer is refused.
    const std::uint64_t body = req.body == http1::BodyKind::kContentLength ? req.content_length : 0;
    if (req.body == http1::BodyKind::kChunked || req.head_bytes + body > kMaxRequestBytes) {
      std::string out = response(413, "application/json", json_error("request body not accepted"),
                                 "connection: close\r\n");
      co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
      co_return;
    }
    while (buf.size() < req.head_bytes + body) {
      auto [ec, n] = co_await socket.async_read_some(
          asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
      if (ec) co_return;
      buf.commit(n);
    }
    std::string out = respond(req, buf.pending().substr(req.head_bytes, body));
    bool keep = req.keep_alive;
    buf.consume(req.head_bytes + body);
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
  asio::co_spawn(impl_->io, impl_->sample_loop(), asio::detached);
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
