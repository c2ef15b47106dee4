#include "tests/crs/backend.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "proxy/local_response.h"
#include "tests/crs/request_builder.h"
#include "tests/crs/socket_io.h"

namespace portcullis::testing::crs {
namespace {

constexpr size_t kMaxHead = 1 << 20;
constexpr size_t kMaxBody = 64 << 20;
constexpr auto kIdleTimeout = std::chrono::seconds(30);
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr std::string_view kDefaultBody = "ok\n";

struct Request {
  std::string method;
  std::string target;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
      if (iequals(field, name)) return value;
    }
    return std::nullopt;
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether a comma-separated field has `token`.
bool has_token(const std::optional<std::string>& value, std::string_view token) {
  if (!value) return false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (iequals(trim(rest.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool parse_head(std::string_view head, Request& request) {
  // Stray empty lines before a request line are tolerated, as servers do.
  while (head.starts_with("\r\n") || head.starts_with("\n")) {
    head.remove_prefix(head.front() == '\r' ? 2 : 1);
  }
  size_t eol = head.find('\n');
  std::string_view line = trim(head.substr(0, eol));
  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) return false;
  request.method = line.substr(0, sp1);
  request.target = trim(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request.version = line.substr(sp2 + 1);
  if (!request.version.starts_with("HTTP/1.")) return false;
  std::string_view fields =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
  while (!fields.empty()) {
    size_t end = fields.find('\n');
    std::string_view field = trim(fields.substr(0, end));
    fields = end == std::string_view::npos ? std::string_view() : fields.substr(end + 1);
    if (field.empty()) continue;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    request.headers.emplace_back(std::string(field.substr(0, colon)),
                                 std::string(trim(field.substr(colon + 1))));
  }
  return true;
}

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buffer;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool valid_value(std::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

std::string serialize(const ReflectedResponse& response, bool head_only, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " ";
  out += proxy::reason_phrase(static_cast<std::uint16_t>(response.status));
  out += "\r\n";
  bool has_type = false;
  for (const auto& [name, value] : response.headers) {
    // Framing is the server's: a spec cannot break the connection it is answered on.
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Connection")) {
      continue;
    }
    has_type = has_type || iequals(name, "Content-Type");
    out += name + ": " + value + "\r\n";
  }
  if (!has_type && !response.body.empty()) {
    out += "Content-Type: " + sniff_content_type(response.body) + "\r\n";
  }
  out += "Date: " + http_date() + "\r\n";
  const bool bodiless = response.status == 204 || response.status == 304;
  if (!bodiless) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only && !bodiless) out += response.body;
  return out;
}

}  // namespace

std::string sniff_content_type(std::string_view body) {
  std::string_view s = body.substr(0, 512);
  size_t ws = 0;
  while (ws < s.size() &&
         (s[ws] == '\t' || s[ws] == '\n' || s[ws] == '\x0c' || s[ws] == '\r' || s[ws] == ' ')) {
    ++ws;
  }
  std::string_view t = s.substr(ws);
  static constexpr std::string_view kHtml[] = {"<!DOCTYPE HTML",
                                               "<HTML",
                                               "<HEAD",
                                               "<SCRIPT",
                                               "<IFRAME",
                                               "<H1",
                                               "<DIV",
                                               "<FONT",
                                               "<TABLE",
                                               "<A",
                                               "<STYLE",
                                               "<TITLE",
                                               "<B",
                                               "<BODY",
                                               "<BR",
                                               "<P",
                                               "<!--"};
  for (std::string_view tag : kHtml) {
    if (t.size() > tag.size() && iequals(t.substr(0, tag.size()), tag) &&
        (t[tag.size()] == ' ' || t[tag.size()] == '>')) {
      return "text/html; charset=utf-8";
    }
  }
  if (t.starts_with("<?xml")) return "text/xml; charset=utf-8";
  if (s.starts_with("%PDF-")) return "application/pdf";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x08 || u == 0x0b || (u >= 0x0e && u <= 0x1a) || (u >= 0x1c && u <= 0x1f)) {
      return "application/octet-stream";
    }
  }
  return "text/plain; charset=utf-8";
}

ReflectedResponse reflect(std::string_view spec_json) {
  ReflectedResponse response;
  nlohmann::json spec = nlohmann::json::parse(spec_json, nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded() || !spec.is_object()) {
    response.status = 400;
    response.body = "Invalid JSON in request body";
    return response;
  }
  auto text = [&](const char* key) {
    auto it = spec.find(key);
    return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  int status = 0;
  if (auto it = spec.find("status"); it != spec.end() && it->is_number_integer()) {
    status = it->get<int>();
  }
  if ((status > 0 && status < 100) || status >= 600 || status < 0) {
    response.status = 400;
    response.body = "Invalid status code: " + std::to_string(status);
    return response;
  }
  response.status = status == 0 ? 200 : status;
  if (auto it = spec.find("headers"); it != spec.end() && it->is_object()) {
    for (const auto& [name, value] : it->items()) {
      if (!value.is_string()) continue;
      std::string v = value.get<std::string>();
      // net/http drops fields it cannot write.
      if (is_token(name) && valid_value(v)) response.headers.emplace_back(name, v);
    }
  }
  response.body = text("body");
  if (response.body.empty()) {
    std::string encoded = text("encodedBody");
    if (!encoded.empty()) {
      auto decoded = base64_decode(encoded);
      response.body = decoded ? *decoded : "invalid base64 encoding of response body";
    }
  }
  if (response.status < 200) {
    // Go sends a 1xx as an interim response and then an implicit 200 with the body.
    response.status = 200;
  }
  return response;
}

Backend::~Backend() { stop(); }

bool Backend::start(std::string* why) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    if (why) *why = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (why) *why = std::string("backend listener: ") + std::strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    return false;
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
  return true;
}

void Backend::stop() {
  if (stopping_.exchange(true)) return;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::unique_lock<std::mutex> lock(mutex_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  // Connection threads are detached (a long run opens thousands); wait until all have left.
  idle_.wait(lock, [this] { return open_fds_.empty(); });
}

void Backend::accept_loop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    open_fds_.insert(fd);
    std::thread([this, fd] { serve(fd); }).detach();
  }
}

void Backend::serve(int fd) {
  SocketBuffer reader(fd);
  for (;;) {
    std::string head;
    if (reader.read_head(kMaxHead, Clock::now() + kIdleTimeout, head) != IoStatus::kOk) break;
    Request request;
    const auto deadline = Clock::now() + kReadTimeout;
    if (!parse_head(head, request)) {
      ++malformed_;
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
               deadline);
      break;
    }
    if (request.version == "HTTP/1.1" && has_token(request.header("Expect"), "100-continue")) {
      send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", deadline);
    }
    bool ok = true;
    if (has_token(request.header("Transfer-Encoding"), "chunked")) {
      ok = reader.read_chunked(kMaxBody, deadline, request.body) == IoStatus::kOk;
    } else if (auto cl = request.header("Content-Length")) {
      size_t n = 0;
      for (char c : trim(*cl)) {
        ok = ok && c >= '0' && c <= '9' && n <= kMaxBody;
        if (ok) n = n * 10 + static_cast<size_t>(c - '0');
      }
      ok = ok && n <= kMaxBody && reader.read_exact(n, deadline, request.body) == IoStatus::kOk;
    }
    if (!ok) {
      ++malformed_;
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
               deadline);
      break;
    }
    ++requests_;
    const bool close = request.version == "HTTP/1.0"
                           ? !has_token(request.header("Connection"), "keep-alive")
                           : has_token(request.header("Connection"), "close");
    std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
    ReflectedResponse response;
    if (request.method == "POST" && (path == "/reflect" || path == "/reflect/")) {
      response = reflect(request.body);
    } else {
      response.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      response.body = kDefaultBody;
    }
    if (send_all(fd, serialize(response, request.method == "HEAD", close), deadline) !=
            IoStatus::kOk ||
        close) {
      break;
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  open_fds_.erase(fd);
  ::close(fd);
  idle_.notify_all();
}

}  // namespace portcullis::testing::crs
