// t:utf8toUnicode — writes each valid UTF-8 sequence of two to four bytes as %uHHHH (lower-case
// hex, at least four digits: "é" is "%u00e9", U+1F600 is "%u1f600"), so that later rules see
// one escape per character. ASCII stays, except that a NUL byte followed by more input is
// dropped. ModSecurity v3's handling of bad input is kept:
//   - a lead byte (C0-F7) whose sequence is cut short or has a bad continuation byte is
//     dropped, and decoding goes on with the byte after it
//   - a stray continuation byte (80-BF) or F8-FF is kept
//   - after the escape of an overlong form or of a surrogate (D800-DFFF), the lead byte is
//     repeated raw ("\xC0\x80" is "%u0000\xC0"); F5-F7, beyond U+10FFFF, are written raw
//     before their escape
// Returns the encoded value; false when it had nothing to encode or drop.
//
//   SecRule ARGS "@rx %u003c" "id:1031,phase:2,deny,t:none,t:utf8toUnicode"
#include <cstdint>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {
namespace {

void append_escape(std::uint32_t code_point, std::pmr::string& out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  char digits[8];
  std::size_t count = 0;
  do {
    digits[count++] = kDigits[code_point & 0xf];
    code_point >>= 4;
  } while (code_point != 0);
  out.append("%u");
  for (std::size_t pad = count; pad < 4; ++pad) out.push_back('0');
  while (count > 0) out.push_back(digits[--count]);
}

}  // namespace

bool utf8_to_unicode(std::string_view in, std::pmr::string& out) noexcept {
  const std::size_t n = in.size();
  auto byte = [&](std::size_t k) -> unsigned { return static_cast<unsigned char>(in[k]); };
  // A byte past the end reads as the string's NUL terminator: never a continuation byte.
  auto continuation = [&](std::size_t k) { return k < n && (byte(k) & 0xc0) == 0x80; };

  std::size_t i = 0;
  while (i < n && byte(i) >= 0x01 && byte(i) < 0x80) ++i;
  if (i == n || (i + 1 == n && byte(i) == 0)) return false;
  start_output(in, i, out);
  out.reserve(in.size() * 2);
  while (i < n) {
    unsigned c = byte(i);
    std::size_t length = 0;  // of a valid sequence, 0 otherwise
    std::uint32_t code_point = 0;
    if (c < 0x80) {
      if (c != 0 || i + 1 == n) out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0) {
      if (continuation(i + 1)) {
        length = 2;
        code_point = (c & 0x1f) << 6 | (byte(i + 1) & 0x3f);
      }
    } else if ((c & 0xf0) == 0xe0) {
      if (continuation(i + 1) && continuation(i + 2)) {
        length = 3;
        code_point = (c & 0x0f) << 12 | (byte(i + 1) & 0x3f) << 6 | (byte(i + 2) & 0x3f);
      }
    } else if ((c & 0xf8) == 0xf0) {
      if (c >= 0xf5) out.push_back(static_cast<char>(c));
      if (continuation(i + 1) && continuation(i + 2) && continuation(i + 3)) {
        length = 4;
        code_point = (c & 0x07) << 18 | (byte(i + 1) & 0x3f) << 12 | (byte(i + 2) & 0x3f) << 6 |
                     (byte(i + 3) & 0x3f);
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
    if (length > 0) {
      append_escape(code_point, out);
      if (code_point >= 0xd800 && code_point <= 0xdfff) out.push_back(static_cast<char>(c));
      bool overlong = (length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
                      (length == 4 && code_point < 0x10000);
      if (overlong) out.push_back(static_cast<char>(c));
      i += length;
    } else {
      ++i;
    }
  }
  return out != in;
}

}  // namespace portcullis::waf::transformations
