// t:base64Decode — decodes strict Base64, as ModSecurity v3 does through mbedTLS:
//   - only the value up to its first NUL byte is read
//   - spaces and line breaks (\n, \r\n) may appear between lines, a space inside a line may not
//   - at most two '=', only at the end; padding is optional
//   - any other byte outside the alphabet makes the whole value invalid
// Each complete group of four symbols gives its bytes; a last, incomplete group gives none
// ("QUJDRA" is "ABC"). An invalid value decodes to the empty string.
// Returns the decoded bytes; false only for the empty value.
//
//   SecRule REQUEST_HEADERS:X-Token "@rx ^admin:" "id:1027,phase:1,deny,t:none,t:base64Decode"
#include <cstdint>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

bool valid_base64(std::string_view text) noexcept {
  unsigned pads = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool spaces = false;
    while (i < text.size() && text[i] == ' ') {
      ++i;
      spaces = true;
    }
    if (i == text.size()) break;
    if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      continue;
    }
    if (spaces) return false;
    if (text[i] == '=') {
      if (++pads > 2) return false;
    } else if (pads != 0 || base64_symbol_value(text[i]) < 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool base64_decode(std::string_view in, std::pmr::string& out) noexcept {
  if (in.empty()) return false;
  std::string_view text = in.substr(0, in.find('\0'));
  out.clear();
  if (!valid_base64(text)) return true;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  unsigned symbols = 0;
  unsigned pads = 0;
  for (char c : text) {
    if (c == '\r' || c == '\n' || c == ' ') continue;
    group <<= 6;
    if (c == '=') {
      ++pads;
    } else {
      group |= static_cast<std::uint32_t>(base64_symbol_value(c));
    }
    if (++symbols == 4) {
      symbols = 0;
      out.push_back(static_cast<char>(group >> 16));
      if (pads <= 1) out.push_back(static_cast<char>(group >> 8));
      if (pads == 0) out.push_back(static_cast<char>(group));
    }
  }
  return out != in;
}

}  // namespace portcullis::waf::transformations
