#include "proxy/http1/chunked.h"

#include <algorithm>

#include "core/exchange.h"
#include "proxy/http1/parser.h"

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
  // Trailer bytes of this call start at `tb`; they are contiguous up to the final empty line.
  std::size_t tb = std::string_view::npos;
  auto trailer_to = [&](std::size_t end) {
    return tb == std::string_view::npos ? std::string_view{} : in.substr(tb, end - tb);
  };
  if (state_ == State::kTrailer || state_ == State::kTrailerLf) tb = 0;
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
          if (tb != std::string_view::npos) return {i + 1, {}, trailer_to(i)};
          ++i;
          break;
        }
        if (c == ' ' || c == '\t') return fail("folded trailer line", i);
        state_ = State::kTrailer;
        if (tb == std::string_view::npos) tb = i;
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
  return {i, {}, trailer_to(i)};
}

bool split_field_line(std::string_view line, std::string_view& name,
                      std::string_view& value) noexcept {
  std::size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  name = line.substr(0, colon);
  if (!is_token(name)) return false;
  value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return true;
}

bool is_forwardable_trailer(std::string_view name) noexcept {
  static constexpr std::string_view kNever[] = {"content-length",
                                                "transfer-encoding",
                                                "content-encoding",
                                                "content-type",
                                                "content-range",
                                                "host",
                                                "connection",
                                                "keep-alive",
                                                "te",
                                                "trailer",
                                                "upgrade",
                                                "proxy-connection",
                                                "authorization",
                                                "set-cookie",
                                                "cookie",
                                                "cache-control",
                                                "expect",
                                                "max-forwards",
                                                "x-request-id"};
  for (std::string_view never : kNever) {
    if (iequals(name, never)) return false;
  }
  return true;
}

TrailerFields trailer_fields(std::string_view section) {
  TrailerFields out;
  for_each_trailer(section, [&](std::string_view name, std::string_view value) {
    std::string lower(name);
    for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    out.emplace_back(std::move(lower), std::string(value));
  });
  return out;
}

void append_last_chunk(std::string& out, const TrailerFields& trailers) {
  out += "0\r\n";
  for (const auto& [name, value] : trailers) out.append(name).append(": ").append(value) += "\r\n";
  out += "\r\n";
}

}  // namespace portcullis::http1
