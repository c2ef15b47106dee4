#include "bots/ja3.h"

#include <charconv>

#include "bots/digest.h"

namespace portcullis::bots {
namespace {

void append_decimal(std::string& out, unsigned value) {
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

template <typename Values>
void append_field(std::string& out, const Values& values) {
  bool first = true;
  for (std::uint16_t v : values) {
    if (is_grease(v)) continue;
    if (!first) out += '-';
    first = false;
    append_decimal(out, v);
  }
}

}  // namespace

Ja3 ja3_fingerprint(const ClientHello& hello) noexcept {
  if (!hello.ok()) return {};
  Ja3 out;
  std::string& text = out.text;
  text.reserve(64 + 6 * (hello.cipher_suites.size() + hello.extensions.size() +
                         hello.supported_groups.size()));
  append_decimal(text, hello.legacy_version);
  text += ',';
  append_field(text, hello.cipher_suites);
  text += ',';
  bool first = true;
  for (const Extension& e : hello.extensions) {
    if (is_grease(e.type)) continue;
    if (!first) text += '-';
    first = false;
    append_decimal(text, e.type);
  }
  text += ',';
  append_field(text, hello.supported_groups);
  text += ',';
  // Point formats are single bytes, which GREASE does not reach.
  first = true;
  for (std::uint8_t format : hello.ec_point_formats) {
    if (!first) text += '-';
    first = false;
    append_decimal(text, format);
  }
  out.md5 = md5_hex(text);
  return out;
}

}  // namespace portcullis::bots
