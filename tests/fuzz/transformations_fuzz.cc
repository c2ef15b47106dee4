// Fuzz target: every registered transformation on arbitrary bytes. Besides memory safety it
// checks the TransformFn contract ("changed" means a different value) and what each one
// promises about its output: decoders never grow the value, encoders have exact sizes, filters
// leave nothing to filter, and encoding then decoding gives the input back.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "waf/transformations/all.h"
#include "waf/transformations/transformation.h"

using namespace portcullis::waf;

namespace {

// Decoders and filters: the value never gets longer.
constexpr std::string_view kNeverGrow[] = {
    "urlDecode",
    "urlDecodeUni",
    "htmlEntityDecode",
    "jsDecode",
    "cssDecode",
    "cmdLine",
    "removeWhitespace",
    "compressWhitespace",
    "removeNulls",
    "replaceNulls",
    "replaceComments",
    "removeComments",
    "removeCommentsChar",
    "normalizePath",
    "normalisePath",
    "normalizePathWin",
    "normalisePathWin",
    "escapeSeqDecode",
    "base64Decode",
    "base64DecodeExt",
    "hexDecode",
    "sqlHexDecode",
    "trim",
    "trimLeft",
    "trimRight",
    "lowercase",
    "uppercase",
};

// Applying these a second time changes nothing.
constexpr std::string_view kIdempotent[] = {
    "lowercase",          "uppercase", "removeNulls", "replaceNulls", "removeWhitespace",
    "compressWhitespace", "trim",      "trimLeft",    "trimRight",    "cmdLine",
};

bool listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_c_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// The value after transformation `name`; aborts if the contract is broken.
std::string run(const TransformationInfo& info, std::string_view in) {
  std::pmr::string out("stale bytes");
  if (!info.fn(in, out)) return std::string(in);
  if (std::string_view(out) == in) std::abort();
  return std::string(out);
}

std::string run(std::string_view name, std::string_view in) {
  return run(*find_transformation(name), in);
}

void check_output(std::string_view name, std::string_view in, std::string_view value) {
  std::size_t n = in.size();
  if (listed(kNeverGrow, name) && value.size() > n) std::abort();
  if ((name == "lowercase" || name == "uppercase" || name == "replaceNulls") && value.size() != n) {
    std::abort();
  }
  if (name == "hexEncode" && value.size() != 2 * n) std::abort();
  if (name == "base64Encode" && value.size() != (n + 2) / 3 * 4) std::abort();
  if (name == "sha1" && value.size() != 20) std::abort();
  if (name == "md5" && value.size() != 16) std::abort();
  if (name == "length" && value != std::to_string(n)) std::abort();
  if (name == "removeNulls" && value.find('\0') != std::string_view::npos) std::abort();
  if (name == "removeWhitespace") {
    for (char c : value) {
      if (is_c_space(c) || c == '\xa0' || c == '\xc2') std::abort();
    }
  }
  if (name == "compressWhitespace") {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (is_c_space(value[i]) && value[i] != ' ') std::abort();
      if (value[i] == ' ' && i + 1 < value.size() && value[i + 1] == ' ') std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (const TransformationInfo& info : transformations::registered_transformations()) {
    if (info.fn == nullptr) continue;
    std::string value = run(info, in);
    check_output(info.name, in, value);
    if (listed(kIdempotent, info.name)) {
      std::pmr::string again;
      if (info.fn(value, again)) std::abort();
    }
  }
  // Encoding and decoding give the input back.
  if (run("hexDecode", run("hexEncode", in)) != in) std::abort();
  if (run("base64Decode", run("base64Encode", in)) != in) std::abort();
  if (run("base64DecodeExt", run("base64Encode", in)) != in) std::abort();
  return 0;
}
