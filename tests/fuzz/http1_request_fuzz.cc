// Fuzz target: the HTTP/1.1 request head parser and the chunked decoder, on bytes as a client
// would send them. Checks the parser's own invariants besides memory safety.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"

using namespace portcullis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http1::Limits limits{4096, 32, 1024};
  std::vector<HeaderField> fields(limits.header_count);
  http1::RequestHead head;
  http1::ParseError error;
  http1::ParseState state = http1::parse_request(input, limits, fields, head, error);
  if (state == http1::ParseState::kError && error.status < 400) std::abort();
  if (state != http1::ParseState::kComplete) return 0;
  if (head.head_bytes > input.size() || head.headers.size() > limits.header_count) std::abort();
  if (head.body == http1::BodyKind::kUntilClose) std::abort();  // never for requests

  // Whatever follows the head is decoded as a chunked body, in two pieces.
  std::string_view rest = input.substr(head.head_bytes);
  http1::ChunkedDecoder decoder;
  std::size_t split = rest.size() / 2;
  std::string trailers;
  for (std::string_view piece : {rest.substr(0, split), rest.substr(split)}) {
    while (!piece.empty() && !decoder.done() && decoder.error().empty()) {
      auto step = decoder.next(piece);
      if (step.consumed > piece.size() || step.data.size() + step.trailer.size() > step.consumed) {
        std::abort();
      }
      trailers.append(step.trailer);
      piece.remove_prefix(step.consumed);
    }
  }
  // Each line holds at least one counted byte besides its CRLF.
  if (trailers.size() > 3 * http1::ChunkedDecoder::kMaxTrailerBytes) std::abort();
  // What would be forwarded re-encodes to lines without CR or LF inside them.
  std::string last;
  http1::append_last_chunk(last, http1::trailer_fields(trailers));
  if (last.find("\r\n\r\n") != last.size() - 4 && last != "0\r\n\r\n") std::abort();
  return 0;
}
