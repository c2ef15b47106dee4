// JSON documents parsed into an arena, for validating request bodies: strict RFC 8259 (no
// comments, no trailing commas, no leading zeros, nothing after the value), UTF-8 checked,
// escapes decoded, nesting bounded. A document is a tree of Value nodes whose strings and child
// arrays live in the memory resource the caller gives (the exchange's arena); nothing is freed
// one by one. parse() never throws and runs in time linear in the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <string_view>

namespace portcullis::schema {

enum class JsonKind : std::uint8_t { kNull, kBoolean, kNumber, kString, kArray, kObject };

struct Member;

struct Value {
  JsonKind kind = JsonKind::kNull;
  bool boolean = false;
  // A number with no fraction and no exponent that fits in int64 also has `integer` set and
  // its exact value in `integer_value`; every number has `number` (a double) and `text` (the
  // literal as written). A string's `text` is its decoded content (UTF-8).
  bool integer = false;
  std::int64_t integer_value = 0;
  double number = 0;
  std::string_view text;
  // Arrays: `count` values at `items`. Objects: `count` members at `members`, in document order
  // (a duplicated name keeps its last value, as most parsers do, and is listed once).
  const Value* items = nullptr;
  const Member* members = nullptr;
  std::uint32_t count = 0;

  // The member `name` of an object, or nullptr.
  const Value* find(std::string_view name) const noexcept;
};

struct Member {
  std::string_view name;
  Value value;
};

struct JsonLimits {
  std::size_t max_depth = 64;  // arrays and objects nested deeper are an error
};

struct JsonResult {
  const Value* value = nullptr;  // null on error
  std::string_view error;        // static text: "invalid UTF-8", "nesting deeper than the limit"
  std::size_t offset = 0;        // where the error was found, in bytes from the start
};

// Parses `text` as one JSON value. Safe for concurrent use on different arenas.
JsonResult parse_json(std::string_view text, std::pmr::memory_resource* arena,
                      const JsonLimits& limits = {}) noexcept;

// Whether two values are equal as JSON Schema compares them (numbers by value, objects
// regardless of member order).
bool json_equal(const Value& a, const Value& b) noexcept;

// Number of Unicode code points in valid UTF-8 `s`.
std::size_t utf8_length(std::string_view s) noexcept;

// Whether `s` is valid UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

}  // namespace portcullis::schema
