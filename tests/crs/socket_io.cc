#include "tests/crs/socket_io.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace portcullis::testing::crs {
namespace {

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 60'000));
}

// Waits for `events` on fd; false at the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    int ms = remaining_ms(deadline);
    pollfd p{fd, events, 0};
    int n = ::poll(&p, 1, ms);
    if (n > 0) return true;
    if (n < 0 && errno == EINTR) continue;
    if (ms == 0 || Clock::now() >= deadline) return false;
  }
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

const char* describe(IoStatus status) {
  switch (status) {
    case IoStatus::kOk:
      return "ok";
    case IoStatus::kClosed:
      return "connection closed";
    case IoStatus::kTimeout:
      return "timed out";
    case IoStatus::kError:
      return "connection error";
    case IoStatus::kTooLarge:
      return "too large";
  }
  return "?";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

int connect_loopback(std::uint16_t port, Clock::time_point deadline, std::string* why) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    if (why) *why = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 &&
      errno != EINPROGRESS) {
    if (why) *why = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (!wait_for(fd, POLLOUT, deadline)) {
    if (why) *why = "connect: timed out";
    ::close(fd);
    return -1;
  }
  int error = 0;
  socklen_t len = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  if (error != 0) {
    if (why) *why = std::string("connect: ") + std::strerror(error);
    ::close(fd);
    return -1;
  }
  return fd;
}

IoStatus send_all(int fd, std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd, POLLOUT, deadline)) return IoStatus::kTimeout;
      continue;
    }
    return IoStatus::kError;
  }
  return IoStatus::kOk;
}

void SocketBuffer::compact() {
  if (pos_ > 65536 && pos_ * 2 > buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
}

IoStatus SocketBuffer::fill(Clock::time_point deadline) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      compact();
      buffer_.append(chunk, static_cast<size_t>(n));
      return IoStatus::kOk;
    }
    if (n == 0) return IoStatus::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd_, POLLIN, deadline)) return IoStatus::kTimeout;
      continue;
    }
    errno_ = errno;
    return IoStatus::kError;
  }
}

IoStatus SocketBuffer::read_head(size_t max, Clock::time_point deadline, std::string& head) {
  size_t scanned = 0;
  for (;;) {
    std::string_view data = buffered();
    // The head ends at the first empty line, whichever line end the peer uses.
    for (size_t i = scanned; i < data.size(); ++i) {
      if (data[i] != '\n') continue;
      if (i >= 1 && data[i - 1] == '\n') {
        head.assign(data.substr(0, i - 1));
        pos_ += i + 1;
        return IoStatus::kOk;
      }
      if (i >= 2 && data[i - 1] == '\r' && data[i - 2] == '\n') {
        head.assign(data.substr(0, i - 2));
        pos_ += i + 1;
        return IoStatus::kOk;
      }
    }
    scanned = data.empty() ? 0 : data.size() - 1;
    if (data.size() > max) return IoStatus::kTooLarge;
    if (IoStatus s = fill(deadline); s != IoStatus::kOk) return s;
  }
}

IoStatus SocketBuffer::read_line(size_t max, Clock::time_point deadline, std::string& line) {
  for (;;) {
    std::string_view data = buffered();
    size_t lf = data.find('\n');
    if (lf != std::string_view::npos) {
      std::string_view l = data.substr(0, lf);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      line.assign(l);
      pos_ += lf + 1;
      return IoStatus::kOk;
    }
    if (data.size() > max) return IoStatus::kTooLarge;
    if (IoStatus s = fill(deadline); s != IoStatus::kOk) return s;
  }
}

IoStatus SocketBuffer::read_exact(size_t n, Clock::time_point deadline, std::string& out) {
  while (buffered().size() < n) {
    if (IoStatus s = fill(deadline); s != IoStatus::kOk) {
      out.append(buffered());
      pos_ = buffer_.size();
      return s;
    }
  }
  out.append(buffered().substr(0, n));
  pos_ += n;
  return IoStatus::kOk;
}

IoStatus SocketBuffer::read_to_close(size_t max, Clock::time_point deadline, std::string& out) {
  for (;;) {
    out.append(buffered());
    pos_ = buffer_.size();
    if (out.size() > max) return IoStatus::kTooLarge;
    IoStatus s = fill(deadline);
    if (s == IoStatus::kClosed) return IoStatus::kOk;
    if (s != IoStatus::kOk) return s;
  }
}

IoStatus SocketBuffer::read_chunked(size_t max, Clock::time_point deadline, std::string& body) {
  for (;;) {
    std::string line;
    if (IoStatus s = read_line(4096, deadline, line); s != IoStatus::kOk) return s;
    size_t size = 0;
    size_t digits = 0;
    for (char c : line) {
      int v = std::isxdigit(static_cast<unsigned char>(c))
                  ? (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : lower(c) - 'a' + 10)
                  : -1;
      if (v < 0) break;
      if (++digits > 15) return IoStatus::kTooLarge;
      size = size * 16 + static_cast<size_t>(v);
    }
    if (digits == 0) return IoStatus::kError;
    if (size == 0) break;
    if (body.size() + size > max) return IoStatus::kTooLarge;
    if (IoStatus s = read_exact(size, deadline, body); s != IoStatus::kOk) return s;
    if (IoStatus s = read_line(4096, deadline, line); s != IoStatus::kOk) return s;
  }
  for (;;) {  // trailer section, up to the empty line
    std::string line;
    if (IoStatus s = read_line(65536, deadline, line); s != IoStatus::kOk) return s;
    if (line.empty()) return IoStatus::kOk;
  }
}

}  // namespace portcullis::testing::crs
