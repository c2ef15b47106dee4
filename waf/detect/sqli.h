// SQL injection detection (@detectSQLi): does a value, pasted into a SQL statement, change the
// statement's structure? The value is tokenized as SQL (the dialects of MySQL, PostgreSQL,
// MSSQL, Oracle and SQLite together) from each place an application pastes user input: inside
// a '…' or "…" string literal, and where an expression is expected (a number, a column). In
// each place the tokens are read by a small expression grammar; the value is an injection when
// it reads as valid SQL there and does something a plain value cannot: closes the string and
// goes on with operators, compares constants after OR/AND, appends UNION SELECT or a second
// statement, calls a time-delay or file/error function, or comments out the rest of the query.
// How it decides, what it catches and its blind spots: docs/detectors.md.
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::waf::detect {

// What detect_sqli() found: the injection shape and the token fingerprint that showed it.
struct SqliMatch {
  static constexpr std::size_t kMaxFingerprint = 8;

  bool found = false;
  // A short name of the shape, from a fixed set ("tautology", "union", "stacked", "function",
  // "breakout", "comment"), empty when nothing was found. Static storage.
  std::string_view shape;
  // The place the value was read from: '\'' or '"' (inside that string literal) or 0 (where an
  // expression is expected).
  char context = 0;
  // Token types of the first tokens read in that context, one letter each (docs/detectors.md
  // lists the letters): what CRS logs as the matched data, e.g. "s&1=1".
  char fingerprint_data[kMaxFingerprint] = {};
  std::uint8_t fingerprint_size = 0;

  std::string_view fingerprint() const noexcept { return {fingerprint_data, fingerprint_size}; }
};

// Whether `value` is a SQL injection. Pure: no allocation, no state, safe for concurrent use by
// multiple threads. Time is linear in value.size().
SqliMatch detect_sqli(std::string_view value) noexcept;

}  // namespace portcullis::waf::detect
