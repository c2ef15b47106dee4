// Parsed, and the few things every body processor needs to write into it: arena copies,
// arguments under SecArgumentsLimit, and the first error with where it was found.
#include "waf/bodies/bodies.h"

#include <charconv>
#include <cstring>
#include <new>

#include "waf/bodies/output.h"

namespace portcullis::waf::bodies {

Parsed::Parsed(std::pmr::memory_resource* arena)
    : arena(arena), args(arena), files(arena), part_headers(arena), xml_attributes(arena) {}

namespace output {

char* allocate(Parsed& out, std::size_t n) {
  if (n == 0) return nullptr;
  return static_cast<char*>(out.arena->allocate(n, 1));
}

std::string_view concat(Parsed& out, std::initializer_list<std::string_view> pieces) {
  std::size_t n = 0;
  for (std::string_view p : pieces) n += p.size();
  char* dst = allocate(out, n);
  std::size_t at = 0;
  for (std::string_view p : pieces) {
    if (!p.empty()) std::memcpy(dst + at, p.data(), p.size());
    at += p.size();
  }
  return {dst, n};
}

bool add_arg(Parsed& out, const Limits& limits, std::string_view name, std::string_view value) {
  if (out.args.size() >= limits.max_args) {
    out.limit_exceeded = true;
    return false;
  }
  out.args.push_back({name, value});
  return true;
}

void fail(Parsed& out, std::string_view message, std::size_t offset) noexcept {
  if (out.error) return;
  out.error = true;
  out.error_offset = offset;
  out.error_message = message;
  // The offset is worth a few arena bytes to whoever reads the log; without them, the message
  // alone still says what went wrong.
  try {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, offset);
    out.error_message =
        concat(out, {message, " at offset ", std::string_view(digits, end - digits)});
  } catch (...) {
  }
}

void fail(Parsed& out, std::string_view message) noexcept {
  if (out.error) return;
  out.error = true;
  out.error_message = message;
}

void fail_out_of_memory(Parsed& out, std::string_view processor) noexcept {
  if (out.error) return;
  out.error = true;
  if (processor == "JSON") {
    out.error_message = "JSON parsing error: out of request memory";
  } else if (processor == "XML") {
    out.error_message = "XML parsing error: out of request memory";
  } else if (processor == "Multipart") {
    out.error_message = "Multipart parsing error: out of request memory";
  } else {
    out.error_message = "Request body parsing error: out of request memory";
  }
}

}  // namespace output
std::string_view media_type(std::string_view content_type) noexcept {
  std::string_view t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  return t;
}

}  // namespace portcullis::waf::bodies
