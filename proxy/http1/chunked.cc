#include "proxy/http1/chunked.h"

#include <algorithm>

namespace portcullis::http1 {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_line_byte(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::fail(std::string_view why, std::size_t consumed) noexcept {
  state_ = State::kError;
  error_ = why;
  return {consumed, {}};
}

ChunkedDecoder::Step ChunkedDecoder::next(std::string_view in) noexcept {
  std::size_t i = 0;
  while (i < in.size()) {
    char c = in[i];
    switch (state_) {
      case State::kSize: {
        int v = hex_value(c);
        if (v >= 0) {
          if (++digits_ > 15) return fail("chunk size too large", i);
          remaining_ = remaining_ * 16 + static_cast<std::uint64_t>(v);
          ++i;
          break;
        }
        if (digits_ == 0) return fail("invalid chunk size", i);
        if (c == ';') {
          state_ = State::kExtension;
          side_bytes_ = 0;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return fail("invalid chunk size", i);
        }
        ++i;
        break;
      }
      case State::kExtension:
        if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_line_byte(c) || ++side_bytes_ > kMaxExtensionBytes) {
          return fail("invalid chunk extension", i);
        }
        ++i;
        break;
      case State::kSizeLf:
        if (c != '\n') return fail("chunk size line not ended by CRLF", i);
        ++i;
        digits_ = 0;
        if (remaining_ == 0) {
          state_ = State::kTrailerStart;
          side_bytes_ = 0;
        } else {
          state_ = State::kData;
        }
        break;
      case State::kData: {
        std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size() - i));
        remaining_ -= n;
        total_ += n;
        if (remaining_ == 0) state_ = State::kDataCr;
        return {i + n, in.substr(i, n)};
      }
      case State::kDataCr:
        if (c != '\r') return fail("chunk data not followed by CRLF", i);
        state_ = State::kDataLf;
        ++i;
        break;
      case State::kDataLf:
        if (c != '\n') return fail("chunk data not followed by CRLF", i);
        state_ = State::kSize;
        ++i;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
          ++i;
          break;
        }
        if (c == ' ' || c == '\t') return fail("folded trailer line", i);
        state_ = State::kTrailer;
        break;
      case State::kTrailer:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!is_line_byte(c) || ++side_bytes_ > kMaxTrailerBytes) {
          return fail("invalid trailer", i);
        }
        ++i;
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail("trailer line not ended by CRLF", i);
        state_ = State::kTrailerStart;
        ++i;
        break;
      case State::kFinalLf:
        if (c != '\n') return fail("chunked body not ended by CRLF", i);
        state_ = State::kDone;
        return {i + 1, {}};
      case State::kDone:
      case State::kError:
        return {i, {}};
    }
  }
  return {i, {}};
}

}  // namespace portcullis::http1
