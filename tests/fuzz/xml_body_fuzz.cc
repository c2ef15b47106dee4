// Fuzz target: the XML body processor. Besides memory safety it checks what parse_xml promises:
// decoding never makes the text or an attribute longer than the document, an error comes with an
// "XML parsing error" message and an offset inside the input, a document too deep for the limit
// is never accepted, and nothing is accepted without a root element.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <string_view>

#include "waf/bodies/bodies.h"

using namespace portcullis::waf;

namespace {

void check(std::string_view in, const bodies::Limits& limits) {
  std::pmr::monotonic_buffer_resource arena;
  bodies::Parsed parsed(&arena);
  bodies::parse_xml(in, limits, parsed);
  if (parsed.xml_text.size() > in.size()) std::abort();
  for (std::string_view a : parsed.xml_attributes) {
    if (a.size() > in.size()) std::abort();
  }
  if (parsed.error) {
    if (!parsed.error_message.starts_with("XML parsing error: ")) std::abort();
    if (parsed.error_offset > in.size()) std::abort();
    return;
  }
  if (in.find('<') == std::string_view::npos) std::abort();
  // Accepted: no element may sit deeper than the limit. Counting tags is exact for accepted
  // documents without quotes (attribute values), comments, CDATA, PIs or a DOCTYPE.
  if (in.find_first_of("'\"") != std::string_view::npos ||
      in.find("<!") != std::string_view::npos || in.find("<?") != std::string_view::npos) {
    return;
  }
  std::size_t depth = 0;
  bool in_start_tag = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '<' && i + 1 < in.size() && in[i + 1] == '/') {
      if (depth == 0) std::abort();
      --depth;
    } else if (in[i] == '<') {
      if (++depth > limits.xml_max_depth) std::abort();
      in_start_tag = true;
    } else if (in[i] == '>' && in_start_tag) {
      in_start_tag = false;
      if (in[i - 1] == '/') --depth;
    }
  }
  if (depth != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check(in, bodies::Limits{});
  bodies::Limits tight;
  tight.xml_max_depth = 3;
  check(in, tight);
  return 0;
}
