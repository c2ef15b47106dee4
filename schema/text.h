// Small text helpers the schema stage shares: hex digits for percent-decoding and \u escapes.
// (JSON pointer tokens: core/json_text.h.)
#pragma once

#include <string_view>

#include "core/json_text.h"

namespace portcullis::schema {

// The value of hex digit `c`, or -1.
constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace portcullis::schema
