#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#ifndef PORTCULLIS_BINARY
#error "PORTCULLIS_BINARY must be defined as the path of the portcullis executable"
#endif

extern char** environ;

namespace portcullis::testing {
namespace {

constexpr size_t kMaxHeadBytes = 1 << 20;
constexpr size_t kMaxBodyBytes = size_t{1} << 30;
// Followed by "http://127.0.0.1:PORT" or, on a TLS listener, "https://127.0.0.1:PORT".
constexpr std::string_view kListeningPrefix = "portcullis: listening on ";
constexpr std::string_view kListeningHost = "://127.0.0.1:";
constexpr milliseconds kStartTimeout = std::chrono::seconds(10);

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

std::vector<std::string_view> split(std::string_view s, std::string_view separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t found = s.find(separator, start);
    if (found == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, found - start));
    start = found + separator.size();
  }
}

std::optional<uint64_t> parse_decimal(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// Field lines separated by CRLF, strictly: no obs-fold, token names, no CR, LF, NUL or other
// control characters except HTAB in values.
bool parse_field_lines(std::string_view block, Headers& out, std::string& why) {
  if (block.empty()) return true;
  for (std::string_view line : split(block, "\r\n")) {
    if (line.empty()) {
      why = "empty field line";
      return false;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      why = "obs-fold continuation line";
      return false;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      why = "invalid field line: " + std::string(line);
      return false;
    }
    std::string_view value = trim_ows(line.substr(colon + 1));
    for (char c : value) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
        why = "control character in the value of " + std::string(line.substr(0, colon));
        return false;
      }
    }
    out.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

bool parse_request_head(std::string_view head, ReceivedRequest& request, std::string& why) {
  size_t end_of_line = head.find("\r\n");
  std::string_view request_line = head.substr(0, end_of_line);
  std::vector<std::string_view> parts = split(request_line, " ");
  if (parts.size() != 3 || !is_token(parts[0]) || parts[1].empty() ||
      (parts[2] != "HTTP/1.1" && parts[2] != "HTTP/1.0")) {
    why = "invalid request line: " + std::string(request_line);
    return false;
  }
  for (char c : parts[1]) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f) {
      why = "invalid request target";
      return false;
    }
  }
  request.method = parts[0];
  request.target = parts[1];
  request.version = parts[2];
  request.raw_head = head;
  if (end_of_line == std::string_view::npos) return true;
  return parse_field_lines(head.substr(end_of_line + 2), request.headers, why);
}

bool has_token(const Headers& headers, std::string_view name, std::string_view token) {
  for (const std::string& element : header_list(headers, name)) {
    if (equals_ignore_case(element, token)) return true;
  }
  return false;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 426:
      return "Upgrade Required";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string response_head(int status, const Headers& headers) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " ";
  head += reason_phrase(status);
  head += "\r\n";
  for (const auto& [name, value] : headers) head += name + ": " + value + "\r\n";
  head += "\r\n";
  return head;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> values;
  if (query.empty()) return values;
  for (std::string_view pair : split(query, "&")) {
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      values[std::string(pair)] = "";
    } else {
      values[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
    }
  }
  return values;
}

uint64_t query_number(const std::map<std::string, std::string>& query, const std::string& key,
                      uint64_t fallback) {
  auto it = query.find(key);
  if (it == query.end()) return fallback;
  return parse_decimal(it->second).value_or(fallback);
}

std::string hex(size_t n) {
  char digits[32];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), n, 16);
  return std::string(digits, end);
}

struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

// Starts argv with stdin from /dev/null and stdout/stderr on pipes. All descriptors of this
// process are close-on-exec, so the child inherits nothing else.
std::optional<Child> spawn_child(const std::vector<std::string>& argv, bool search_path,
                                 std::string& why) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    why = std::string("pipe2: ") + std::strerror(errno);
    return std::nullopt;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    why = std::string("pipe2: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return std::nullopt;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t no_signals;
  sigemptyset(&no_signals);
  posix_spawnattr_setsigmask(&attributes, &no_signals);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaddset(&default_signals, signal);
  }
  posix_spawnattr_setsigdefault(&attributes, &default_signals);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  int rc = search_path ? ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ)
                       : ::posix_spawn(&pid, args[0], &actions, &attributes, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    why = "cannot start " + argv[0] + ": " + std::strerror(rc);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return std::nullopt;
  }
  return Child{pid, out_pipe[0], err_pipe[0]};
}

ExitStatus decode_wait_status(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

// Reads what is available from fd into out; false at EOF or on an error.
bool read_available(int fd, std::string& out) {
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string printable(std::string_view bytes, size_t max = 512) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    char c = bytes[i];
    if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", static_cast<unsigned char>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  if (bytes.size() > max) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Strings and headers

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool contains_ignore_case(std::string_view haystack, std::string_view needle) {
  return to_lower(haystack).find(to_lower(needle)) != std::string::npos;
}

std::optional<std::string> find_header(const Headers& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (equals_ignore_case(field, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> header_values(const Headers& headers, std::string_view name) {
  std::vector<std::string> values;
  for (const auto& [field, value] : headers) {
    if (equals_ignore_case(field, name)) values.push_back(value);
  }
  return values;
}

std::vector<std::string> header_list(const Headers& headers, std::string_view name) {
  std::vector<std::string> elements;
  for (const std::string& value : header_values(headers, name)) {
    for (std::string_view element : split(value, ",")) {
      element = trim_ows(element);
      if (!element.empty()) elements.emplace_back(element);
    }
  }
  return elements;
}

std::string fill_template(std::string_view text,
                          const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out(text);
  for (const auto& [key, value] : values) {
    const std::string placeholder = "${" + key + "}";
    for (size_t at = out.find(placeholder); at != std::string::npos;
         at = out.find(placeholder, at + value.size())) {
      out.replace(at, placeholder.size(), value);
    }
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const ExitStatus& status) {
  if (status.exited) return os << "exited with code " << status.code;
  return os << "killed by signal " << status.signal << " (" << strsignal(status.signal) << ")";
}

// ---------------------------------------------------------------------------------------------
// TempDir

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "portcullis-it-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw_errno("mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(std::string_view name, std::string_view contents) const {
  std::filesystem::path file = path_ / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

// ---------------------------------------------------------------------------------------------
// SocketReader

std::string_view describe(SocketReader::Status status) {
  switch (status) {
    case SocketReader::Status::kOk:
      return "ok";
    case SocketReader::Status::kClosed:
      return "connection closed by peer";
    case SocketReader::Status::kTimeout:
      return "timed out";
    case SocketReader::Status::kTooLarge:
      return "too large";
    case SocketReader::Status::kMalformed:
      return "malformed";
    case SocketReader::Status::kError:
      return "socket error";
  }
  return "unknown";
}

SocketReader::Status SocketReader::fill(Deadline deadline) {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ > (size_t{1} << 20)) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  for (;;) {
    int wait_ms = -1;
    if (deadline) {
      auto left = *deadline - Clock::now();
      if (left <= Clock::duration::zero()) return Status::kTimeout;
      wait_ms = static_cast<int>(std::chrono::ceil<milliseconds>(left).count());
    }
    pollfd descriptor{fd_, POLLIN, 0};
    int ready = ::poll(&descriptor, 1, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      errno_ = errno;
      return Status::kError;
    }
    if (ready == 0) continue;
    char chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return Status::kOk;
    }
    if (n == 0) return Status::kClosed;
    if (errno == EINTR || errno == EAGAIN) continue;
    errno_ = errno;
    // A reset is the peer's way of closing too; the tests treat both alike.
    if (errno == ECONNRESET || errno == EPIPE) return Status::kClosed;
    return Status::kError;
  }
}

void SocketReader::consume(size_t n) { pos_ = std::min(buffer_.size(), pos_ + n); }

std::string SocketReader::take_all() {
  std::string out(buffered());
  buffer_.clear();
  pos_ = 0;
  return out;
}

SocketReader::Status SocketReader::read_until(std::string_view delimiter, size_t max_bytes,
                                              Deadline deadline, std::string& out) {
  size_t scan_from = 0;
  for (;;) {
    std::string_view view = buffered();
    size_t found = view.find(delimiter, scan_from);
    if (found != std::string_view::npos) {
      if (found > max_bytes) return Status::kTooLarge;
      out.assign(view.substr(0, found));
      consume(found + delimiter.size());
      return Status::kOk;
    }
    if (view.size() > max_bytes) return Status::kTooLarge;
    scan_from = view.size() >= delimiter.size() ? view.size() - delimiter.size() + 1 : 0;
    Status status = fill(deadline);
    if (status != Status::kOk) return status;
  }
}

SocketReader::Status SocketReader::read_exact(size_t n, Deadline deadline, std::string& out) {
  while (buffered().size() < n) {
    Status status = fill(deadline);
    if (status != Status::kOk) return status;
  }
  out.assign(buffered().substr(0, n));
  consume(n);
  return Status::kOk;
}

SocketReader::Status SocketReader::read_to_close(Deadline deadline, std::string& out) {
  for (;;) {
    Status status = fill(deadline);
    if (status == Status::kOk) continue;
    out = take_all();
    return status == Status::kClosed ? Status::kOk : status;
  }
}

SocketReader::Status SocketReader::read_chunked(Deadline deadline, size_t max_bytes,
                                                std::string& body, Headers* trailers) {
  for (;;) {
    std::string line;
    Status status = read_until("\r\n", 4096, deadline, line);
    if (status == Status::kTooLarge) return Status::kMalformed;
    if (status != Status::kOk) return status;
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return Status::kMalformed;
    }
    uint64_t size = 0;
    size_t i = 0;
    while (i < line.size() && std::isxdigit(static_cast<unsigned char>(line[i]))) {
      if (i == 16) return Status::kMalformed;
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line[i])));
      size = size * 16 + static_cast<uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++i;
    }
    if (i == 0) return Status::kMalformed;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i < line.size() && line[i] != ';') return Status::kMalformed;
    if (size == 0) break;
    if (size > max_bytes || body.size() + size > max_bytes) return Status::kTooLarge;
    std::string data;
    status = read_exact(static_cast<size_t>(size), deadline, data);
    if (status != Status::kOk) return status;
    body += data;
    std::string crlf;
    status = read_exact(2, deadline, crlf);
    if (status != Status::kOk) return status;
    if (crlf != "\r\n") return Status::kMalformed;
  }
  for (int fields = 0; fields < 1000; ++fields) {
    std::string line;
    Status status = read_until("\r\n", 65536, deadline, line);
    if (status == Status::kTooLarge) return Status::kMalformed;
    if (status != Status::kOk) return status;
    if (line.empty()) return Status::kOk;
    Headers parsed;
    std::string why;
    if (!parse_field_lines(line, parsed, why)) return Status::kMalformed;
    if (trailers != nullptr) trailers->insert(trailers->end(), parsed.begin(), parsed.end());
  }
  return Status::kMalformed;
}

// ---------------------------------------------------------------------------------------------
// TestUpstream

TestUpstream::TestUpstream() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw_errno("socket");
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(listen_fd_);
    throw_errno("bind");
  }
  if (::listen(listen_fd_, 256) != 0) {
    ::close(listen_fd_);
    throw_errno("listen");
  }
  socklen_t length = sizeof(address);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

TestUpstream::~TestUpstream() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Wakes connection threads blocked in poll/recv; each closes its own descriptor.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connection_threads_);
  }
  for (std::thread& thread : threads) thread.join();
}

std::string TestUpstream::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<ReceivedRequest> TestUpstream::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t TestUpstream::request_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

size_t TestUpstream::head_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return heads_;
}

size_t TestUpstream::connection_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_;
}

size_t TestUpstream::malformed_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return malformed_;
}

size_t TestUpstream::distinct_request_connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<int> indexes;
  for (const ReceivedRequest& request : requests_) indexes.insert(request.connection_index);
  return indexes.size();
}

bool TestUpstream::wait_for_requests(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

bool TestUpstream::wait_for_heads(size_t n, milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return heads_ >= n; });
}

bool TestUpstream::pause_for(milliseconds duration) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !changed_.wait_for(lock, duration, [&] { return stopping_.load(); });
}

void TestUpstream::record_head() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++heads_;
  }
  changed_.notify_all();
}

void TestUpstream::record_request(ReceivedRequest request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.push_back(std::move(request));
  }
  changed_.notify_all();
}

void TestUpstream::record_malformed() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++malformed_;
  }
  changed_.notify_all();
}

void TestUpstream::accept_loop() {
  while (!stopping_) {
    pollfd descriptor{listen_fd_, POLLIN, 0};
    int ready = ::poll(&descriptor, 1, 50);
    if (ready <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(fd);
      break;
    }
    int index = static_cast<int>(connections_++);
    open_fds_.insert(fd);
    connection_threads_.emplace_back([this, fd, index] { serve_connection(fd, index); });
    changed_.notify_all();
  }
}

void TestUpstream::serve_connection(int fd, int index) {
  SocketReader reader(fd);
  while (!stopping_) {
    // Tolerate the empty lines RFC 9112 section 2.2 lets a server ignore before a request.
    while (reader.buffered().substr(0, 2) == "\r\n") reader.consume(2);
    std::string head;
    SocketReader::Status status = reader.read_until("\r\n\r\n", kMaxHeadBytes, std::nullopt, head);
    if (status != SocketReader::Status::kOk) {
      if (status == SocketReader::Status::kTooLarge) record_malformed();
      break;
    }
    ReceivedRequest request;
    request.connection_index = index;
    std::string why;
    if (!parse_request_head(head, request, why)) {
      record_malformed();
      send_all(fd, response_head(400, {{"Content-Length", "0"}, {"Connection", "close"}}));
      break;
    }
    record_head();

    std::vector<std::string> lengths = header_values(request.headers, "content-length");
    std::vector<std::string> codings = header_list(request.headers, "transfer-encoding");
    bool has_te = !header_values(request.headers, "transfer-encoding").empty();
    std::optional<uint64_t> length;
    bool framing_ok = true;
    if (has_te) {
      framing_ok = lengths.empty() && codings.size() == 1 &&
                   equals_ignore_case(codings[0], "chunked") && request.version == "HTTP/1.1";
    } else if (!lengths.empty()) {
      length = parse_decimal(lengths[0]);
      framing_ok = lengths.size() == 1 && length.has_value();
    }
    if (!framing_ok) {
      record_malformed();
      send_all(fd, response_head(400, {{"Content-Length", "0"}, {"Connection", "close"}}));
      break;
    }
    bool has_body = has_te || length.value_or(0) > 0;
    if (has_body && has_token(request.headers, "expect", "100-continue")) {
      if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) break;
    }
    if (has_te) {
      request.chunked = true;
      status = reader.read_chunked(std::nullopt, kMaxBodyBytes, request.body, &request.trailers);
      if (status == SocketReader::Status::kMalformed || status == SocketReader::Status::kTooLarge) {
        record_malformed();
        send_all(fd, response_head(400, {{"Content-Length", "0"}, {"Connection", "close"}}));
        break;
      }
    } else if (length.value_or(0) > 0) {
      if (*length > kMaxBodyBytes) {
        record_malformed();
        break;
      }
      status = reader.read_exact(static_cast<size_t>(*length), std::nullopt, request.body);
    }
    if (status != SocketReader::Status::kOk) break;

    bool keep_alive = request.version == "HTTP/1.1"
                          ? !has_token(request.headers, "connection", "close")
                          : has_token(request.headers, "connection", "keep-alive");
    ReceivedRequest logged = request;
    record_request(std::move(logged));
    if (!respond(fd, reader, request, keep_alive)) break;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  open_fds_.erase(fd);
  ::close(fd);
}

bool TestUpstream::respond(int fd, SocketReader& reader, const ReceivedRequest& request,
                           bool keep_alive) {
  std::string_view target = request.target;
  if (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://") {
    size_t slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::map<std::string, std::string> query =
      parse_query(question == std::string_view::npos ? "" : target.substr(question + 1));
  const bool head_only = request.method == "HEAD";

  Headers headers = {{"x-upstream-target", request.target},
                     {"x-upstream-connection", std::to_string(request.connection_index)}};
  if (!keep_alive) {
    headers.emplace_back("Connection", "close");
  } else if (request.version == "HTTP/1.0") {
    headers.emplace_back("Connection", "keep-alive");
  }
  auto answer = [&](int status, Headers extra, std::string_view body) {
    Headers all = headers;
    all.insert(all.end(), extra.begin(), extra.end());
    bool bodyless = status == 204 || status == 304 || (status >= 100 && status < 200);
    if (!bodyless) all.emplace_back("Content-Length", std::to_string(body.size()));
    std::string bytes = response_head(status, all);
    if (!bodyless && !head_only) bytes += body;
    return send_all(fd, bytes) && keep_alive;
  };

  if (const int latency = latency_ms_.load(); latency > 0) {
    if (!pause_for(milliseconds(latency))) return false;
  }
  if (path == "/hello") {
    return answer(200, {{"Content-Type", "text/plain"}}, "hello from upstream\n");
  }
  if (path == "/drop-after") {
    // A keep-alive response, then the connection is closed without notice, as an upstream
    // with a short keep-alive timeout does.
    answer(200, {{"Content-Type", "text/plain"}}, "dropping\n");
    return false;
  }
  if (path == "/slow") {
    if (!pause_for(milliseconds(query_number(query, "ms", 1000)))) return false;
    return answer(200, {{"Content-Type", "text/plain"}}, "slow\n");
  }
  if (path == "/chunked") {
    uint64_t n = query_number(query, "n", 3);
    headers.emplace_back("Content-Type", "text/plain");
    headers.emplace_back("Transfer-Encoding", "chunked");
    if (!send_all(fd, response_head(200, headers))) return false;
    if (head_only) return keep_alive;
    for (uint64_t i = 0; i < n; ++i) {
      std::string data = "chunk-" + std::to_string(i) + "\n";
      if (!send_all(fd, hex(data.size()) + "\r\n" + data + "\r\n")) return false;
    }
    // With trailers=1: a checksum trailer, and one that a trailer section must not carry.
    std::string last = "0\r\n";
    if (query_number(query, "trailers", 0)) last += "X-Checksum: abc123\r\nContent-Length: 99\r\n";
    return send_all(fd, last + "\r\n") && keep_alive;
  }
  if (path == "/close") {
    headers.emplace_back("Content-Type", "text/plain");
    if (keep_alive) headers.emplace_back("Connection", "close");
    std::string bytes = response_head(200, headers);
    if (!head_only) bytes += "until-close";
    send_all(fd, bytes);
    return false;
  }
  if (path.substr(0, 8) == "/status/") {
    int status = static_cast<int>(parse_decimal(path.substr(8)).value_or(500));
    if (status < 200 || status > 999) status = 500;
    return answer(status, {{"Content-Type", "text/plain"}},
                  "status " + std::to_string(status) + "\n");
  }
  if (path == "/big") {
    uint64_t bytes = query_number(query, "bytes", 1024);
    headers.emplace_back("Content-Type", "application/octet-stream");
    headers.emplace_back("Content-Length", std::to_string(bytes));
    if (!send_all(fd, response_head(200, headers))) return false;
    if (head_only) return keep_alive;
    const std::string block(65536, 'x');
    while (bytes > 0) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(bytes, block.size()));
      if (!send_all(fd, std::string_view(block).substr(0, n))) return false;
      bytes -= n;
    }
    return keep_alive;
  }
  if (path == "/big-header") {
    uint64_t bytes = query_number(query, "bytes", 1024);
    return answer(200, {{"x-big", std::string(static_cast<size_t>(bytes), 'h')}}, "ok\n");
  }
  if (path == "/reset") {
    linger abortive{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive));
    return false;
  }
  if (path == "/ws") {
    if (!contains_ignore_case(request.header("upgrade").value_or(""), "websocket")) {
      return answer(426, {{"Content-Type", "text/plain"}}, "websocket upgrade expected\n");
    }
    if (!send_all(fd, response_head(101, {{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}))) {
      return false;
    }
    std::string pending = reader.take_all();
    if (!pending.empty() && !send_all(fd, pending)) return false;
    while (!stopping_ && reader.fill(std::nullopt) == SocketReader::Status::kOk) {
      if (!send_all(fd, reader.take_all())) break;
    }
    return false;
  }
  if (path == "/headers") {
    std::string body;
    for (const auto& [name, value] : request.headers) body += name + ": " + value + "\n";
    return answer(200, {{"Content-Type", "text/plain"}}, body);
  }
  if (path == "/hop") {
    return answer(200,
                  {{"Content-Type", "text/plain"},
                   {"Connection", "keep-alive, X-Hop-Secret"},
                   {"X-Hop-Secret", "upstream-private"},
                   {"Keep-Alive", "timeout=7, max=77"},
                   {"Proxy-Connection", "keep-alive"},
                   {"Trailer", "X-Checksum"},
                   {"TE", "trailers"},
                   {"Upgrade", "h2c"},
                   {"X-End-To-End", "kept"}},
                  "hop\n");
  }
  return answer(200, {{"Content-Type", "text/plain"}, {"x-upstream-seen-method", request.method}},
                request.body);
}

// ---------------------------------------------------------------------------------------------
// Processes

ProcessResult run_process(const std::vector<std::string>& argv, milliseconds timeout) {
  ProcessResult result;
  std::string why;
  std::optional<Child> child = spawn_child(argv, /*search_path=*/true, why);
  if (!child) {
    result.err = why;
    return result;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<pollfd> descriptors = {{child->out_fd, POLLIN, 0}, {child->err_fd, POLLIN, 0}};
  std::string* sinks[] = {&result.out, &result.err};
  while ((descriptors[0].fd >= 0 || descriptors[1].fd >= 0) && Clock::now() < deadline) {
    auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now()).count();
    int ready = ::poll(descriptors.data(), descriptors.size(), static_cast<int>(left));
    if (ready < 0 && errno != EINTR) break;
    for (size_t i = 0; i < descriptors.size(); ++i) {
      if (descriptors[i].fd < 0 || descriptors[i].revents == 0) continue;
      if (!read_available(descriptors[i].fd, *sinks[i])) {
        ::close(descriptors[i].fd);
        descriptors[i].fd = -1;
      }
    }
  }
  for (const pollfd& descriptor : descriptors) {
    if (descriptor.fd >= 0) ::close(descriptor.fd);
  }
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(child->pid, &status, WNOHANG);
    if (done == child->pid) {
      result.exit = decode_wait_status(status);
      return result;
    }
    if (done < 0 && errno != EINTR) return result;
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  ::kill(child->pid, SIGKILL);
  ::waitpid(child->pid, &status, 0);
  return result;
}

const CertificateFiles& loopback_certificate() {
  static const TempDir dir;  // removed when the executable exits
  static const CertificateFiles files = [] {
    CertificateFiles f{(dir.path() / "cert.pem").string(), (dir.path() / "key.pem").string()};
    ProcessResult r =
        run_process({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                     "ec_paramgen_curve:P-256", "-nodes", "-keyout", f.key, "-out", f.cert, "-days",
                     "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"},
                    std::chrono::seconds(20));
    EXPECT_TRUE(r.exit && r.exit->success()) << r.err;
    return f;
  }();
  return files;
}

ProcessResult run_portcullis(const std::vector<std::string>& args, milliseconds timeout) {
  std::vector<std::string> argv = {PORTCULLIS_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, timeout);
}

ProxyProcess::~ProxyProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }
  stop_draining_ = true;
  if (drain_thread_.joinable()) drain_thread_.join();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
  if (stderr_fd_ >= 0) ::close(stderr_fd_);
}

::testing::AssertionResult ProxyProcess::start(const std::vector<std::string>& args,
                                               const std::optional<std::string>& config_yaml) {
  if (pid_ > 0) return ::testing::AssertionFailure() << "ProxyProcess started twice";
  std::vector<std::string> argv = {PORTCULLIS_BINARY};
  if (config_yaml) {
    temp_dir_.emplace();
    config_path_ = temp_dir_->write("portcullis.yaml", *config_yaml);
    argv.push_back("-c");
    argv.push_back(config_path_.string());
  }
  argv.insert(argv.end(), args.begin(), args.end());
  // Tests run side by side: the admin listener takes a free port unless the test chose one.
  // (`portcullis inject`, the webhook, has no admin listener.)
  bool admin_chosen = std::find(args.begin(), args.end(), "--admin") != args.end() ||
                      (config_yaml && config_yaml->find("admin:") != std::string::npos) ||
                      (!args.empty() && args.front() == "inject");
  if (!admin_chosen) {
    argv.push_back("--admin");
    argv.push_back("127.0.0.1:0");
  }
  std::string command_line;
  for (const std::string& arg : argv) command_line += (command_line.empty() ? "" : " ") + arg;

  std::string why;
  std::optional<Child> child = spawn_child(argv, /*search_path=*/false, why);
  if (!child) return ::testing::AssertionFailure() << why;
  pid_ = child->pid;
  stdout_fd_ = child->out_fd;
  stderr_fd_ = child->err_fd;
  drain_thread_ = std::thread([this] { drain_output(); });

  std::unique_lock<std::mutex> lock(mutex_);
  size_t line_at = std::string::npos;
  changed_.wait_for(lock, kStartTimeout, [&] {
    line_at = stderr_.find(kListeningPrefix);
    // Wait for the complete line, so that the port has all its digits.
    return (line_at != std::string::npos && stderr_.find('\n', line_at) != std::string::npos) ||
           output_closed_;
  });
  if (line_at != std::string::npos) {
    std::string_view rest = std::string_view(stderr_).substr(line_at + kListeningPrefix.size());
    std::size_t host_at = rest.find(kListeningHost);
    rest = host_at == std::string_view::npos ? std::string_view()
                                             : rest.substr(host_at + kListeningHost.size());
    uint32_t port = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), port);
    if (ec == std::errc() && port > 0 && port <= 65535) {
      port_ = static_cast<uint16_t>(port);
      return ::testing::AssertionSuccess();
    }
  }
  auto failure = ::testing::AssertionFailure();
  failure << "portcullis did not print \"" << kListeningPrefix << "PORT\" within "
          << kStartTimeout.count() << " ms" << (output_closed_ ? " (it exited)" : "")
          << "\ncommand: " << command_line << "\nstderr:\n"
          << stderr_ << "\nstdout:\n"
          << stdout_;
  if (config_yaml) failure << "\nconfig:\n" << *config_yaml;
  return failure;
}

::testing::AssertionResult ProxyProcess::start_with_config(
    const std::string& config_yaml, const std::vector<std::string>& extra_args) {
  return start(extra_args, config_yaml);
}

void ProxyProcess::drain_output() {
  pollfd descriptors[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
  bool open[2] = {true, true};
  while ((open[0] || open[1]) && !stop_draining_) {
    int ready = ::poll(descriptors, 2, 50);
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || descriptors[i].revents == 0) continue;
      std::string bytes;
      if (!read_available(descriptors[i].fd, bytes)) {
        open[i] = false;
        descriptors[i].fd = -1;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        (i == 0 ? stdout_ : stderr_) += bytes;
      }
      changed_.notify_all();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    output_closed_ = true;
  }
  changed_.notify_all();
}

uint16_t ProxyProcess::admin_port() const {
  static constexpr std::string_view kAdmin = "portcullis: admin on http://127.0.0.1:";
  uint16_t port = 0;
  wait_for_log(
      [&](const std::string& log) {
        std::size_t at = log.find(kAdmin);
        if (at == std::string::npos || log.find('\n', at) == std::string::npos) return false;
        port = static_cast<uint16_t>(std::atoi(log.c_str() + at + kAdmin.size()));
        return true;
      },
      milliseconds(5000));
  return port;
}

std::string ProxyProcess::log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stderr_;
}

std::string ProxyProcess::stdout_log() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stdout_;
}

bool ProxyProcess::wait_for_log(const std::function<bool(const std::string&)>& predicate,
                                milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(stderr_); });
}

bool ProxyProcess::wait_for_stdout(const std::function<bool(const std::string&)>& predicate,
                                   milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(stdout_); });
}

bool ProxyProcess::terminate(int signal) {
  if (pid_ <= 0 || reaped_) return false;
  return ::kill(pid_, signal) == 0;
}

std::optional<ExitStatus> ProxyProcess::wait_exit(milliseconds timeout) {
  if (reaped_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      reaped_ = true;
      exit_status_ = decode_wait_status(status);
      return exit_status_;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

bool ProxyProcess::running() {
  if (pid_ <= 0 || reaped_) return false;
  return !wait_exit(milliseconds(0)).has_value();
}

// ---------------------------------------------------------------------------------------------
// RawClient

std::ostream& operator<<(std::ostream& os, const HttpResponse& response) {
  os << response.version << " " << response.status << " " << response.reason << "\n";
  for (const auto& [name, value] : response.headers) os << name << ": " << value << "\n";
  return os << "\n" << printable(response.body);
}

RawClient::RawClient(uint16_t port, milliseconds io_timeout) : io_timeout_(io_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = std::string("socket: ") + std::strerror(errno);
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    error_ = "connect to port " + std::to_string(port) + ": " + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval send_timeout{};
  send_timeout.tv_sec = static_cast<time_t>(io_timeout.count() / 1000);
  send_timeout.tv_usec = static_cast<suseconds_t>((io_timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
  reader_.emplace(fd_);
}

RawClient::~RawClient() { close(); }

void RawClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool RawClient::send(std::string_view bytes) {
  if (fd_ < 0) {
    error_ = "not connected";
    return false;
  }
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno == EAGAIN ? std::string("send timed out")
                               : std::string("send: ") + std::strerror(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void RawClient::shutdown_write() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void RawClient::note(SocketReader::Status status, std::string_view what) {
  error_ = std::string(what) + ": " + std::string(describe(status));
  if (status == SocketReader::Status::kClosed) peer_closed_ = true;
  if (reader_ && reader_->last_errno() != 0) {
    error_ += std::string(" (") + std::strerror(reader_->last_errno()) + ")";
  }
}

std::optional<HttpResponse> RawClient::read_response(std::string_view request_method) {
  if (fd_ < 0) {
    error_ = "not connected";
    return std::nullopt;
  }
  const Deadline until = deadline();
  std::string head;
  SocketReader::Status status = reader_->read_until("\r\n\r\n", kMaxHeadBytes, until, head);
  if (status != SocketReader::Status::kOk) {
    note(status, "reading the response head");
    if (status == SocketReader::Status::kClosed && !reader_->buffered().empty()) {
      error_ += "; received only: " + printable(reader_->buffered());
    }
    return std::nullopt;
  }
  HttpResponse response;
  size_t end_of_line = head.find("\r\n");
  std::string_view status_line = std::string_view(head).substr(0, end_of_line);
  size_t space = status_line.find(' ');
  if (status_line.substr(0, 5) != "HTTP/" || space == std::string_view::npos ||
      status_line.size() < space + 4) {
    error_ = "malformed status line: " + printable(status_line);
    return std::nullopt;
  }
  response.version = status_line.substr(0, space);
  std::string_view code = status_line.substr(space + 1, 3);
  std::optional<uint64_t> number = parse_decimal(code);
  if (!number || (status_line.size() > space + 4 && status_line[space + 4] != ' ')) {
    error_ = "malformed status line: " + printable(status_line);
    return std::nullopt;
  }
  response.status = static_cast<int>(*number);
  if (status_line.size() > space + 5) response.reason = status_line.substr(space + 5);
  std::string why;
  if (end_of_line != std::string::npos &&
      !parse_field_lines(std::string_view(head).substr(end_of_line + 2), response.headers, why)) {
    error_ = "malformed response header section (" + why + "):\n" + printable(head);
    return std::nullopt;
  }

  const bool bodyless = equals_ignore_case(request_method, "HEAD") ||
                        (response.status >= 100 && response.status < 200) ||
                        response.status == 204 || response.status == 304;
  if (bodyless) return response;
  std::vector<std::string> codings = header_list(response.headers, "transfer-encoding");
  std::vector<std::string> lengths = header_values(response.headers, "content-length");
  if (!codings.empty() && equals_ignore_case(codings.back(), "chunked")) {
    response.chunked = true;
    status = reader_->read_chunked(until, kMaxBodyBytes, response.body, &response.trailers);
    if (status != SocketReader::Status::kOk) {
      note(status, "reading a chunked response body");
      return std::nullopt;
    }
  } else if (codings.empty() && !lengths.empty()) {
    std::optional<uint64_t> length = parse_decimal(lengths[0]);
    if (lengths.size() != 1 || !length || *length > kMaxBodyBytes) {
      error_ = "invalid Content-Length in the response";
      return std::nullopt;
    }
    status = reader_->read_exact(static_cast<size_t>(*length), until, response.body);
    if (status != SocketReader::Status::kOk) {
      note(status, "reading a response body of " + lengths[0] + " bytes");
      return std::nullopt;
    }
  } else {
    response.close_delimited = true;
    status = reader_->read_to_close(until, response.body);
    if (status != SocketReader::Status::kOk) {
      note(status, "reading a close-delimited response body");
      return std::nullopt;
    }
    peer_closed_ = true;
  }
  return response;
}

std::optional<HttpResponse> RawClient::read_final_response(std::string_view request_method) {
  for (;;) {
    std::optional<HttpResponse> response = read_response(request_method);
    if (!response || response->status < 100 || response->status >= 200 || response->status == 101) {
      return response;
    }
  }
}

std::optional<std::string> RawClient::read_exact(size_t n) {
  if (fd_ < 0) {
    error_ = "not connected";
    return std::nullopt;
  }
  std::string out;
  SocketReader::Status status = reader_->read_exact(n, deadline(), out);
  if (status != SocketReader::Status::kOk) {
    note(status, "reading " + std::to_string(n) + " bytes");
    return std::nullopt;
  }
  return out;
}

std::string RawClient::read_until_closed() {
  if (fd_ < 0) return {};
  std::string out;
  SocketReader::Status status = reader_->read_to_close(deadline(), out);
  if (status == SocketReader::Status::kOk) {
    peer_closed_ = true;
  } else {
    note(status, "waiting for the connection to close");
  }
  return out;
}

bool RawClient::is_closed(milliseconds timeout) {
  if (peer_closed_) return true;
  if (fd_ < 0) return false;
  const Deadline until = Clock::now() + timeout;
  for (;;) {
    SocketReader::Status status = reader_->fill(until);
    if (status == SocketReader::Status::kOk) {
      reader_->take_all();
      continue;
    }
    if (status == SocketReader::Status::kTimeout) return false;
    peer_closed_ = true;
    return true;
  }
}

bool RawClient::wait_readable(milliseconds timeout) {
  if (fd_ < 0) return false;
  if (!reader_->buffered().empty()) return true;
  pollfd descriptor{fd_, POLLIN, 0};
  int ready = ::poll(&descriptor, 1, static_cast<int>(timeout.count()));
  return ready > 0;
}

bool can_connect(uint16_t port) {
  RawClient client(port, milliseconds(500));
  return client.connected();
}

std::string proxy_url(uint16_t port, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

// ---------------------------------------------------------------------------------------------
// curl

std::ostream& operator<<(std::ostream& os, const CurlResult& result) {
  os << "curl exit " << result.exit_code << ", status " << result.status << ", " << result.seconds
     << " s";
  if (!result.error.empty()) os << ", stderr: " << result.error;
  os << "\n";
  for (const auto& [name, value] : result.headers) os << name << ": " << value << "\n";
  return os << "\n" << printable(result.body);
}

::testing::AssertionResult check_refuses(const std::string& config_yaml, const std::string& key) {
  TempDir dir;
  ProcessResult r =
      run_portcullis({"--check", "-c", dir.write("portcullis.yaml", config_yaml).string()},
                     std::chrono::seconds(10));
  if (!r.exit || !r.exit->exited || r.exit->code != 1) {
    return ::testing::AssertionFailure() << "--check did not exit 1: " << r.out << r.err;
  }
  if ((r.out + r.err).find(key) == std::string::npos) {
    return ::testing::AssertionFailure() << "the error does not name " << key << ": " << r.err;
  }
  return ::testing::AssertionSuccess();
}

CurlResult run_curl(const std::vector<std::string>& args, std::chrono::seconds max_time) {
  TempDir dir;
  const std::filesystem::path body_path = dir.path() / "body";
  const std::filesystem::path headers_path = dir.path() / "headers";
  std::vector<std::string> argv = {"curl",
                                   "-q",
                                   "-s",
                                   "-S",
                                   "--http1.1",
                                   "--noproxy",
                                   "*",
                                   "--max-time",
                                   std::to_string(max_time.count()),
                                   "-o",
                                   body_path.string(),
                                   "-D",
                                   headers_path.string(),
                                   "-w",
                                   "%{http_code} %{time_total}"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult run = run_process(argv, max_time + std::chrono::seconds(10));

  CurlResult result;
  if (run.exit && run.exit->exited) result.exit_code = run.exit->code;
  result.error = run.err;
  std::istringstream written(run.out);
  written.imbue(std::locale::classic());
  written >> result.status >> result.seconds;
  result.body = read_file(body_path);

  // -D writes every response head, interim ones included; the last one is the final response.
  std::string dump = read_file(headers_path);
  std::string_view final_head;
  for (std::string_view block : split(dump, "\r\n\r\n")) {
    if (block.substr(0, 5) == "HTTP/") final_head = block;
  }
  std::vector<std::string_view> lines = split(final_head, "\r\n");
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    result.headers.emplace_back(std::string(lines[i].substr(0, colon)),
                                std::string(trim_ows(lines[i].substr(colon + 1))));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Configs and requests

std::string single_route_config(const TestUpstream& upstream, std::string_view extra_yaml,
                                int workers) {
  std::string config = fill_template(
      "listen: [127.0.0.1:0]\n"
      "workers: ${WORKERS}\n"
      "upstreams:\n"
      "  - name: app\n"
      "    endpoints: [${ENDPOINT}]\n"
      "routes:\n"
      "  - upstream: app\n",
      {{"WORKERS", std::to_string(workers)}, {"ENDPOINT", upstream.endpoint()}});
  config += extra_yaml;
  if (!config.empty() && config.back() != '\n') config += '\n';
  return config;
}

std::string test_payload(size_t n, uint32_t seed) {
  std::string payload(n, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    payload[i] = static_cast<char>(state >> 24);
  }
  return payload;
}

std::string request_head(std::string_view method, std::string_view target, std::string_view host,
                         std::string_view extra_headers) {
  std::string head;
  head += method;
  head += " ";
  head += target;
  head += " HTTP/1.1\r\nHost: ";
  head += host;
  head += "\r\n";
  head += extra_headers;
  head += "\r\n";
  return head;
}

::testing::AssertionResult ProxyTest::start_proxy(std::string_view extra_yaml, int workers,
                                                  const std::vector<std::string>& extra_args) {
  return proxy_.start_with_config(single_route_config(upstream_, extra_yaml, workers), extra_args);
}

namespace {

// A loopback port that was free a moment ago, for peers that cannot listen on port 0.
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Starts `argv` with its output written to `log` (discarded when empty); waits until `port`
// accepts (5 s at most).
pid_t spawn_server(std::vector<std::string> argv, uint16_t port, const std::string& log = {}) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int out = log.empty() ? ::open("/dev/null", O_WRONLY)
                          : ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  for (int i = 0; i < 100 && !can_connect(port); ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  return pid;
}

void stop_server(pid_t pid) {
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
  }
}

}  // namespace

Nghttpd::Nghttpd(const std::string& cert, const std::string& key) {
  dir_.write("stream.bin", test_payload(2 * 1024 * 1024, 9));
  dir_.write("index.html", "hello from nghttpd\n");
  port_ = free_port();
  std::vector<std::string> argv = {"nghttpd",           "-v",        "--echo-upload", "--trailer",
                                   "grpc-status: 0",    "--address", "127.0.0.1",     "-d",
                                   dir_.path().string()};
  if (cert.empty()) argv.push_back("--no-tls");
  argv.push_back(std::to_string(port_));
  if (!cert.empty()) {
    argv.push_back(key);
    argv.push_back(cert);
  }
  pid_ = spawn_server(std::move(argv), port_, (dir_.path() / "frames.log").string());
}

std::string Nghttpd::frames() const { return read_file(dir_.path() / "frames.log"); }

Nghttpd::~Nghttpd() { stop_server(pid_); }

Nginx::Nginx(std::string_view listen_params, std::string_view server_body) {
  port_ = free_port();
  std::string d = dir_.path().string();
  std::string conf = "daemon off;\nmaster_process off;\npid " + d + "/nginx.pid;\nerror_log " + d +
                     "/error.log warn;\n";
  if (::geteuid() == 0) conf += "user root;\n";  // else it would switch to nobody
  conf += "events { worker_connections 256; }\nhttp {\n  access_log off;\n";
  for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf += "  " + std::string(temp) + "_temp_path " + d + "/" + temp + ";\n";
  }
  conf += "  server {\n    listen 127.0.0.1:" + std::to_string(port_) + " " +
          std::string(listen_params) + ";\n" + std::string(server_body) + "\n  }\n}\n";
  dir_.write("nginx.conf", conf);
  // Debian installs nginx in /usr/sbin, which is not on every user's PATH.
  std::string bin = std::filesystem::exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";
  pid_ = spawn_server({bin, "-p", d, "-c", d + "/nginx.conf"}, port_);
}

Nginx::~Nginx() { stop_server(pid_); }

std::string Nginx::error_log() const { return read_file(dir_.path() / "error.log"); }

RedisServer::RedisServer() : port_(free_port()) { start(); }

RedisServer::~RedisServer() { stop_server(pid_); }

void RedisServer::start() {
  if (pid_ > 0) return;
  // Debian installs redis-server in /usr/bin; its default config is not read.
  pid_ = spawn_server(
      {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no", "--dir", dir_.path().string(), "--daemonize", "no"},
      port_);
}

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

}  // namespace portcullis::testing
