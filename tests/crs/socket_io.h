// Small blocking-socket helpers with deadlines, shared by the CRS runner's client and backend.
// Every wait is bounded by a deadline so that a misbehaving peer fails one stage instead of
// hanging the suite. Functions take a file descriptor and share no state.

#ifndef PORTCULLIS_TESTS_CRS_SOCKET_IO_H_
#define PORTCULLIS_TESTS_CRS_SOCKET_IO_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::testing::crs {

using Clock = std::chrono::steady_clock;

enum class IoStatus {
  kOk,
  kClosed,   // orderly end of stream
  kTimeout,  // the deadline passed
  kError,    // reset or another socket error (errno is kept by the reader)
  kTooLarge,
};

const char* describe(IoStatus status);

// Connects to 127.0.0.1:port before the deadline; -1 and `why` on failure.
int connect_loopback(std::uint16_t port, Clock::time_point deadline, std::string* why);

// Sends everything before the deadline (never raises SIGPIPE).
IoStatus send_all(int fd, std::string_view bytes, Clock::time_point deadline);

// Buffered reads from a socket. Not thread-safe.
class SocketBuffer {
 public:
  explicit SocketBuffer(int fd) : fd_(fd) {}

  // Receives what is available (at least one byte) before the deadline.
  IoStatus fill(Clock::time_point deadline);
  // Reads until `\r\n\r\n` or `\n\n`; `head` gets the bytes before it. kTooLarge past `max`.
  IoStatus read_head(size_t max, Clock::time_point deadline, std::string& head);
  // Reads through the next LF; `line` excludes the CRLF or LF.
  IoStatus read_line(size_t max, Clock::time_point deadline, std::string& line);
  IoStatus read_exact(size_t n, Clock::time_point deadline, std::string& out);
  IoStatus read_to_close(size_t max, Clock::time_point deadline, std::string& out);
  // A chunked body, leniently: hex size (extensions ignored), data, line end; then trailers.
  IoStatus read_chunked(size_t max, Clock::time_point deadline, std::string& body);

  std::string_view buffered() const { return std::string_view(buffer_).substr(pos_); }
  int last_errno() const { return errno_; }

 private:
  void compact();

  int fd_;
  std::string buffer_;
  size_t pos_ = 0;
  int errno_ = 0;
};

// ASCII case-insensitive comparison and search, as HTTP names and tokens compare.
bool iequals(std::string_view a, std::string_view b);
bool icontains(std::string_view haystack, std::string_view needle);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_SOCKET_IO_H_
