// Incremental decoder of the chunked transfer coding (RFC 9112 7.1). Allocation-free: data comes
// back as views into the input. Strict: chunk sizes are 1..16 hex digits, every line ends in
// CRLF, extensions and trailers are bounded and may not carry control bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::http1 {

class ChunkedDecoder {
 public:
  struct Step {
    std::size_t consumed = 0;  // input bytes used by this step
    std::string_view data;     // body bytes found (a view into the input), may be empty
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

}  // namespace portcullis::http1
