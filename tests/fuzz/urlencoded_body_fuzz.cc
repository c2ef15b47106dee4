// Fuzz target: the urlencoded body processor (also the query string parser) against a plain
// std::string rendition of libmodsecurity's extractArguments (split on '&' with getline, split
// once on '=', urldecode_nonstrict on both halves). Any difference in the arguments, in
// URLENCODED_ERROR or in the limit handling aborts; so does an error, which it never reports.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "waf/bodies/bodies.h"

using namespace portcullis::waf;

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

std::string reference_decode(const std::string& in, bool& invalid) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 < in.size() && is_hex(in[i + 1]) && is_hex(in[i + 2])) {
        out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
        i += 2;
      } else {
        out.push_back('%');
        invalid = true;
      }
    } else {
      out.push_back(in[i] == '+' ? ' ' : in[i]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> reference(const std::string& text, bool& invalid) {
  std::vector<std::pair<std::string, std::string>> args;
  std::stringstream pieces(text);
  std::string piece;
  while (std::getline(pieces, piece, '&')) {
    std::size_t eq = piece.find('=');
    std::string name = piece.substr(0, eq);
    std::string value = eq == std::string::npos ? std::string() : piece.substr(eq + 1);
    args.emplace_back(reference_decode(name, invalid), reference_decode(value, invalid));
  }
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  bool invalid = false;
  auto expected = reference(text, invalid);
  for (std::size_t max_args : {std::size_t{1000}, std::size_t{3}}) {
    std::pmr::monotonic_buffer_resource arena;
    bodies::Parsed parsed(&arena);
    bodies::Limits limits;
    limits.max_args = max_args;
    bodies::parse_urlencoded(text, limits, parsed);
    if (parsed.error) std::abort();
    if (parsed.urlencoded_error != invalid) std::abort();
    std::size_t kept = expected.size() < max_args ? expected.size() : max_args;
    if (parsed.args.size() != kept) std::abort();
    if (parsed.limit_exceeded != (expected.size() > max_args)) std::abort();
    for (std::size_t i = 0; i < kept; ++i) {
      if (parsed.args[i].name != expected[i].first) std::abort();
      if (parsed.args[i].value != expected[i].second) std::abort();
    }
  }
  return 0;
}
