// Fuzz target: the JSON body processor. Besides memory safety it checks what parse_json
// promises: every argument name starts with "json", no more arguments than the limit, no
// deeper nesting than the limit is accepted, an error always comes with a "JSON parsing error"
// message, only an empty body or a complete JSON value parses without error, and parsing is
// deterministic.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <string_view>

#include "waf/bodies/bodies.h"

using namespace portcullis::waf;

namespace {

// The deepest nesting of brackets outside strings; only meaningful for accepted input.
std::size_t nesting(std::string_view in) {
  std::size_t depth = 0;
  std::size_t deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > deepest) deepest = depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return deepest;
}

void check(std::string_view in, const bodies::Limits& limits) {
  std::pmr::monotonic_buffer_resource arena;
  bodies::Parsed parsed(&arena);
  bodies::parse_json(in, limits, parsed);
  if (parsed.args.size() > limits.max_args) std::abort();
  for (const bodies::Arg& a : parsed.args) {
    if (!a.name.starts_with("json")) std::abort();
  }
  if (parsed.error) {
    if (!parsed.error_message.starts_with("JSON parsing error: ")) std::abort();
    if (parsed.error_offset > in.size()) std::abort();
  } else {
    if (!in.empty() && in.find_first_not_of(" \t\r\n") == std::string_view::npos) std::abort();
    if (nesting(in) > limits.json_max_depth) std::abort();
  }
  std::pmr::monotonic_buffer_resource again_arena;
  bodies::Parsed again(&again_arena);
  bodies::parse_json(in, limits, again);
  if (again.error != parsed.error || again.args.size() != parsed.args.size()) std::abort();
  for (std::size_t i = 0; i < parsed.args.size(); ++i) {
    if (again.args[i].name != parsed.args[i].name) std::abort();
    if (again.args[i].value != parsed.args[i].value) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in, bodies::Limits{});
  bodies::Limits tight;
  tight.max_args = 8;
  tight.json_max_depth = 4;
  tight.json_max_name_bytes = 256;
  check(in, tight);
  return 0;
}
