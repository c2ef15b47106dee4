// @validateUtf8Encoding — UTF-8 check: matches when the value is not valid UTF-8 as
// ModSecurity v3 judges it: a stray continuation byte or 0xF8..0xFF lead byte, a truncated
// sequence, a missing continuation byte, an overlong form, a surrogate (U+D800..U+DFFF) or a
// lead byte 0xF5..0xF7 (beyond U+10FFFF). Argument: none.
//
//   SecRule ARGS "@validateUtf8Encoding" "id:1001,phase:2,deny"
#include <cstdint>
#include <memory>

#include "waf/operators/all.h"

namespace portcullis::waf::operators {
namespace {

constexpr bool is_continuation(unsigned char c) noexcept { return (c & 0xC0) == 0x80; }

// The length of the valid character at the start of `text` (not empty), or 0 when invalid.
std::size_t valid_character_length(std::string_view text) noexcept {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if ((lead & 0x80) == 0) return 1;
  std::size_t length = 0;
  std::uint32_t code = 0;
  std::uint32_t smallest = 0;  // below it, the form is overlong
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    if (lead >= 0xF5) return 0;
    length = 4;
    code = lead & 0x07;
    smallest = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if (!is_continuation(byte(i))) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  if (code >= 0xD800 && code <= 0xDFFF) return 0;
  if (code < smallest) return 0;
  return length;
}

class ValidateUtf8Encoding final : public Operator {
 public:
  bool match(std::string_view value, MatchContext&) const noexcept override {
    while (!value.empty()) {
      std::size_t length = valid_character_length(value);
      if (length == 0) return true;
      value.remove_prefix(length);
    }
    return false;
  }
};

}  // namespace

OperatorResult create_validate_utf8_encoding(const OperatorArgs&) {
  return std::unique_ptr<Operator>(std::make_unique<ValidateUtf8Encoding>());
}

}  // namespace portcullis::waf::operators
