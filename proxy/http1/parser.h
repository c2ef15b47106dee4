// HTTP/1.1 message heads: a strict, allocation-free parser for request and response heads.
//
// Strict on purpose: a proxy that reads framing differently from its upstream can be used to
// smuggle requests, so every ambiguity (CL+TE, two Content-Lengths, obs-fold, bare CR or LF,
// unknown Transfer-Encoding, ...) is refused rather than resolved. Every view in the results
// points into the caller's input and is valid as long as those bytes are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/exchange.h"

namespace portcullis::http1 {

struct Limits {
  std::size_t header_bytes = 32 * 1024;  // request line + headers + the empty line
  std::size_t header_count = 100;
  std::size_t uri_bytes = 8 * 1024;
};

enum class ParseState : std::uint8_t {
  kComplete,    // the head is parsed; `head_bytes` says how much input it took
  kIncomplete,  // more input is needed; call again with the same bytes and more appended
  kError,       // the input is refused; `error` says with which status and why
};

struct ParseError {
  std::uint16_t status = 0;  // 400, 414, 431, 505 for requests; 502 for responses
  std::string_view reason;   // static text, safe to log and to send
};

enum class BodyKind : std::uint8_t {
  kNone,           // no body follows the head
  kContentLength,  // exactly `content_length` bytes follow
  kChunked,        // chunked coding follows
  kUntilClose,     // responses only: the body ends when the connection closes
};

// Resumable search for the end of a head. Keeps its position so that a head arriving a few
// bytes at a time is scanned once in all, not once per read.
class HeadScanner {
 public:
  // Looks at `data` (the whole buffered input since the head started). Returns kComplete with
  // head_end() set once the empty line is found; kError on a bare LF or when the head grows past
  // `max_bytes` (431) or the first line past `max_first_line` (414 for requests).
  ParseState scan(std::string_view data, std::size_t max_bytes, std::size_t max_first_line,
                  ParseError& error) noexcept;

  // Offset just past the empty line that ends the head (valid after kComplete).
  std::size_t head_end() const noexcept { return head_end_; }
  // Bytes of empty lines skipped before the first line (tolerated between keep-alive requests).
  std::size_t leading_empty() const noexcept { return leading_empty_; }
  bool started() const noexcept { return pos_ > 0; }
  void reset() noexcept { *this = HeadScanner{}; }

 private:
  std::size_t pos_ = 0;         // next byte to look at
  std::size_t line_start_ = 0;  // start of the line being scanned
  std::size_t head_end_ = 0;
  std::size_t leading_empty_ = 0;
  bool in_first_line_ = true;
};

struct RequestHead {
  std::string_view method;
  std::string_view target;         // as received
  std::string_view path;           // origin-form path (from an absolute-form target too)
  std::string_view query;          // after '?', without it
  std::string_view authority;      // Host header, or the authority of an absolute-form target
  std::string_view host;           // authority without the port
  int version_minor = 1;           // HTTP/1.<minor>, 0 or 1
  std::span<HeaderField> headers;  // in wire order, within the caller's storage
  std::size_t head_bytes = 0;      // including leading empty lines

  BodyKind body = BodyKind::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;
  bool upgrade = false;  // Connection: upgrade and an Upgrade header
  bool absolute_form = false;
  bool asterisk_form = false;
};

// Parses one request head at the start of `data`. `storage` receives the header fields; its
// size bounds nothing (limits.header_count does) but must be at least limits.header_count.
ParseState parse_request(std::string_view data, const Limits& limits,
                         std::span<HeaderField> storage, RequestHead& out,
                         ParseError& error) noexcept;

struct ResponseHead {
  int version_minor = 1;
  std::uint16_t status = 0;
  std::string_view reason;
  std::span<HeaderField> headers;
  std::size_t head_bytes = 0;
  BodyKind body = BodyKind::kNone;
  std::uint64_t content_length = 0;
  bool keep_alive = true;  // the upstream connection may be reused after this response
};

// Parses one response head at the start of `data`. `request_method` decides bodiless HEAD
// responses. Errors have status 502.
ParseState parse_response(std::string_view data, std::string_view request_method,
                          std::size_t max_bytes, std::span<HeaderField> storage, ResponseHead& out,
                          ParseError& error) noexcept;

// True for the headers a proxy must not forward (RFC 9110 7.6.1), plus any header named in a
// Connection header among `headers`.
bool is_hop_by_hop(std::string_view name, std::span<const HeaderField> headers) noexcept;

// True when `s` is a non-empty token (RFC 9110 5.6.2): a valid field name or method.
bool is_token(std::string_view s) noexcept;

// True when `token` appears in the comma-separated `list` (case-insensitive).
bool has_token(std::string_view list, std::string_view token) noexcept;

}  // namespace portcullis::http1
