// Fuzz target: the SQL injection and XSS detectors on hostile bytes. Besides memory safety it
// checks what they promise: a SQL match names a shape and a fingerprint of at most 8 letters,
// an XSS match names a reason and an offset inside the value, and both answer the same twice.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "waf/detect/sqli.h"
#include "waf/detect/xss.h"

using namespace portcullis::waf::detect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view value(reinterpret_cast<const char*>(data), size);
  SqliMatch sqli = detect_sqli(value);
  if (sqli.found != !sqli.shape.empty()) std::abort();
  if (sqli.found && (sqli.fingerprint().empty() || sqli.fingerprint().size() > 8)) std::abort();
  if (detect_sqli(value).found != sqli.found) std::abort();
  XssMatch xss = detect_xss(value);
  if (xss.found && (xss.reason.empty() || xss.offset > size)) std::abort();
  if (detect_xss(value).found != xss.found) std::abort();
  return 0;
}
