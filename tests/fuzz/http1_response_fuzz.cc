// Fuzz target: the HTTP/1.1 response head parser, on bytes as an upstream would send them.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "proxy/http1/parser.h"

using namespace portcullis;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<HeaderField> fields(64);
  http1::ResponseHead head;
  http1::ParseError error;
  for (std::string_view method : {"GET", "HEAD"}) {
    http1::ParseState state = http1::parse_response(input, method, 8192, fields, head, error);
    if (state == http1::ParseState::kError && error.status != 502) std::abort();
    if (state == http1::ParseState::kComplete &&
        (head.head_bytes > input.size() || head.status < 100 || head.status > 599)) {
      std::abort();
    }
  }
  return 0;
}
