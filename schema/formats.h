// The `format` values a schema may assert: those of JSON Schema (RFC 3339 dates and times,
// email, hostname, IP addresses, URI, UUID) and of OpenAPI (int32, int64, float, double, byte).
// Each check is linear in the value and allocates nothing.
#pragma once

#include <cstdint>
#include <string_view>

#include "schema/json.h"

namespace portcullis::schema {

enum class Format : std::uint8_t {
  kNone,  // not checked (unknown formats, and binary/password, which constrain nothing)
  kDate,
  kDateTime,
  kTime,
  kEmail,
  kHostname,
  kIpv4,
  kIpv6,
  kUri,
  kUuid,
  kInt32,
  kInt64,
  kFloat,
  kDouble,
  kByte,  // base64
};

// The format called `name`, or kNone.
Format format_named(std::string_view name) noexcept;

// Whether `value` is valid for `format`. A format applies to one JSON type (strings, or numbers
// for int32 ...); values of other types are accepted, as JSON Schema says.
bool format_accepts(Format format, const Value& value) noexcept;

}  // namespace portcullis::schema
