#include "tests/crs/http_client.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "tests/crs/socket_io.h"

namespace portcullis::testing::crs {
namespace {

constexpr size_t kMaxHead = 1 << 20;
constexpr size_t kMaxBody = 64 << 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string io_error(std::string_view what, IoStatus status, const SocketBuffer* reader) {
  std::string out = std::string(what) + ": " + describe(status);
  if (status == IoStatus::kError && reader && reader->last_errno() != 0) {
    out += std::string(" (") + std::strerror(reader->last_errno()) + ")";
  }
  return out;
}

// Reads the response after the request went out (or failed to).
HttpResult read_response(int fd, std::string_view method, Clock::time_point deadline) {
  HttpResult result;
  SocketBuffer reader(fd);
  std::string head;
  if (IoStatus s = reader.read_head(kMaxHead, deadline, head); s != IoStatus::kOk) {
    if (s == IoStatus::kClosed && !reader.buffered().empty()) {
      result.error = "connection closed in the middle of the response head";
    } else {
      result.error = io_error("reading the response", s, &reader);
    }
    return result;
  }
  auto response = parse_response_head(head);
  if (!response) {
    result.error = "malformed response head: " + head.substr(0, head.find('\n'));
    return result;
  }
  const int status = response->status;
  const bool no_body =
      method == "HEAD" || (status >= 100 && status < 200) || status == 204 || status == 304;
  if (!no_body) {
    // go-ftw reads only the head; a body that does not arrive whole is no error.
    auto te = response->header("Transfer-Encoding");
    auto cl = response->header("Content-Length");
    if (te && icontains(*te, "chunked")) {
      reader.read_chunked(kMaxBody, deadline, response->body);
    } else if (cl) {
      size_t n = 0;
      bool ok = !trim(*cl).empty();
      for (char c : trim(*cl)) {
        ok = ok && c >= '0' && c <= '9' && n < kMaxBody;
        if (ok) n = n * 10 + static_cast<size_t>(c - '0');
      }
      if (ok && n <= kMaxBody) reader.read_exact(n, deadline, response->body);
    } else {
      reader.read_to_close(kMaxBody, deadline, response->body);
    }
  }
  result.response = std::move(response);
  return result;
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
}

std::optional<HttpResponse> parse_response_head(std::string_view head) {
  HttpResponse response;
  response.head = std::string(head);
  size_t eol = head.find('\n');
  std::string_view line = head.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Go: "HTTP/x.y" SP 3DIGIT [SP reason]
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return std::nullopt;
  std::string_view proto = line.substr(0, sp);
  if (proto.size() != 8 || !proto.starts_with("HTTP/") || !std::isdigit(proto[5]) ||
      proto[6] != '.' || !std::isdigit(proto[7])) {
    return std::nullopt;
  }
  std::string_view rest = line.substr(sp + 1);
  std::string_view code = rest.substr(0, rest.find(' '));
  if (code.size() != 3) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  response.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  if (response.status < 100) return std::nullopt;
  std::string_view fields =
      eol == std::string_view::npos ? std::string_view() : head.substr(eol + 1);
  while (!fields.empty()) {
    size_t end = fields.find('\n');
    std::string_view field = fields.substr(0, end);
    fields = end == std::string_view::npos ? std::string_view() : fields.substr(end + 1);
    if (!field.empty() && field.back() == '\r') field.remove_suffix(1);
    if (field.empty()) continue;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    response.headers.emplace_back(std::string(field.substr(0, colon)),
                                  std::string(trim(field.substr(colon + 1))));
  }
  return response;
}

HttpResult http_exchange(std::uint16_t port, std::string_view request, std::string_view method,
                         std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  HttpResult result;
  std::string why;
  int fd = connect_loopback(port, deadline, &why);
  if (fd < 0) {
    result.error = why;
    return result;
  }
  IoStatus sent = send_all(fd, request, deadline);
  const int send_errno = errno;
  if (sent != IoStatus::kOk) {
    // The server may have answered early and closed; a waiting response is worth reading.
    result = read_response(fd, method, std::min(deadline, Clock::now() + timeout / 10));
    if (!result.response) {
      result.error = std::string("sending the request: ") + describe(sent) +
                     (sent == IoStatus::kError ? std::string(" (") + std::strerror(send_errno) + ")"
                                               : std::string());
    }
    ::close(fd);
    return result;
  }
  result = read_response(fd, method, deadline);
  ::close(fd);
  return result;
}

}  // namespace portcullis::testing::crs
