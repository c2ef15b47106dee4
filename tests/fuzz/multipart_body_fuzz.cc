// Fuzz target: the multipart body processor. The input's first line is the Content-Type header
// value, the rest the body. Besides memory safety it checks what parse_multipart promises:
// argument values and file contents are pieces of the body, file sizes are their content's,
// MULTIPART_STRICT_ERROR is set exactly when ModSecurity's formula (or an error) says so, the
// derived flags agree, and an error comes with a "Multipart parsing error" message.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <string_view>

#include "waf/bodies/bodies.h"

using namespace portcullis::waf;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

void check(std::string_view type, std::string_view body, const bodies::Limits& limits) {
  std::pmr::monotonic_buffer_resource arena;
  bodies::Parsed parsed(&arena);
  bodies::parse_multipart(body, type, limits, parsed);
  const bodies::MultipartFlags& f = parsed.multipart;
  bool strict = parsed.error || f.boundary_quoted || f.boundary_whitespace || f.data_before ||
                f.data_after || f.header_folding || f.lf_line || f.missing_semicolon ||
                f.invalid_quoting || f.invalid_part || f.invalid_header_folding ||
                f.file_limit_exceeded;
  if (f.strict_error != strict) std::abort();
  if (f.crlf_lf_lines && !f.lf_line) std::abort();
  if (f.unmatched_boundary != (f.unmatched_boundary_value == 1)) std::abort();
  if (f.unmatched_boundary_value > 2) std::abort();
  if (parsed.error && !parsed.error_message.starts_with("Multipart parsing error: ")) std::abort();
  if (parsed.args.size() > limits.max_args) std::abort();
  for (const bodies::Arg& a : parsed.args) {
    if (a.name.empty() || !inside(a.value, body)) std::abort();
  }
  for (const bodies::FilePart& file : parsed.files) {
    if (file.name.empty() || file.filename.empty()) std::abort();
    if (!inside(file.content, body) || file.size != file.content.size()) std::abort();
  }
  if (f.file_limit_exceeded && (limits.max_files == 0 || parsed.files.size() <= limits.max_files)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::size_t newline = in.find('\n');
  std::string_view type = in.substr(0, newline);
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : in.substr(newline + 1);
  check(type, body, bodies::Limits{});
  bodies::Limits tight;
  tight.max_args = 2;
  tight.max_files = 1;
  check(type, body, tight);
  return 0;
}
