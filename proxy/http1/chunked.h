// Incremental decoder of the chunked transfer coding (RFC 9112 7.1). Allocation-free: data comes
// back as views into the input. Strict: chunk sizes are 1..16 hex digits, every line ends in
// CRLF, extensions and trailers are bounded and may not carry control bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::http1 {

class ChunkedDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // input bytes used by this step
    std::string_view data;     // body bytes found (a view into the input), may be empty
    // Trailer section bytes found (a view into the input): whole or partial lines with their
    // CRLFs, without the final empty line. The views of successive steps, joined, are the
    // trailer section; for_each_trailer() reads it.
    std::string_view trailer;
  };

  // Consumes a prefix of `in`. Call again with the rest while it is not empty and !done().
  // After an error, error() is non-empty and no more input is taken.
  Step next(std::string_view in) noexcept;

  bool done() const noexcept { return state_ == State::kDone; }
  std::string_view error() const noexcept { return error_; }
  std::uint64_t body_bytes() const noexcept { return total_; }
  void reset() noexcept { *this = ChunkedDecoder{}; }

  static constexpr std::size_t kMaxExtensionBytes = 4096;
  static constexpr std::size_t kMaxTrailerBytes = 16 * 1024;

 private:
  enum class State : std::uint8_t {
    kSize,          // hex digits of the chunk size
    kExtension,     // after ';' up to CR
    kSizeLf,        // LF after the size line's CR
    kData,          // chunk data
    kDataCr,        // CR after the data
    kDataLf,        // LF after the data
    kTrailerStart,  // start of a trailer line or of the final empty line
    kTrailer,       // inside a trailer line
    kTrailerLf,     // LF after a trailer line's CR
    kFinalLf,       // LF of the final empty line
    kDone,
    kError,
  };

  Step fail(std::string_view why, std::size_t consumed) noexcept;

  State state_ = State::kSize;
  std::uint64_t remaining_ = 0;
  std::uint64_t total_ = 0;
  std::size_t digits_ = 0;
  std::size_t side_bytes_ = 0;  // extension or trailer bytes so far
  std::string_view error_;
};

// Calls `fn(name, value)` for each field of a trailer section (as joined from Step::trailer)
// that may be forwarded: a valid "token: value" line whose name is not one that trailers must
// not carry (framing, routing, authentication, hop-by-hop: RFC 9110 6.5.1). The value has its
// surrounding whitespace removed. Lines that are not fields are skipped.
template <typename Fn>
void for_each_trailer(std::string_view section, Fn&& fn);

bool is_forwardable_trailer(std::string_view name) noexcept;
bool split_field_line(std::string_view line, std::string_view& name,
                      std::string_view& value) noexcept;

// Trailer fields as one list of (name, value), for HTTP/2 and for the last chunk.
using TrailerFields = std::vector<std::pair<std::string, std::string>>;

// The forwardable fields of `section`, names in lower case (as HTTP/2 wants them).
TrailerFields trailer_fields(std::string_view section);

// The last chunk and trailer section of a chunked body: "0\r\n", "name: value\r\n" per field,
// "\r\n".
void append_last_chunk(std::string& out, const TrailerFields& trailers);

template <typename Fn>
void for_each_trailer(std::string_view section, Fn&& fn) {
  while (!section.empty()) {
    std::size_t end = section.find("\r\n");
    std::string_view line = section.substr(0, end);
    section.remove_prefix(end == std::string_view::npos ? section.size() : end + 2);
    std::string_view name, value;
    if (split_field_line(line, name, value) && is_forwardable_trailer(name)) fn(name, value);
  }
}

}  // namespace portcullis::http1
