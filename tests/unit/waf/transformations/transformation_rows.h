// Table-driven checks for transformations: each row is an input and the value the chain holds
// after the transformation. A row whose expected value is its input also checks the contract
// that an unchanged value is reported as such (the function returns false).
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "waf/transformations/transformation.h"

namespace portcullis::waf::testing {

struct Row {
  std::string_view input;
  std::string_view expected;
};

// Bytes as a C string literal would spell them, for failure messages.
inline std::string printable(std::string_view bytes) {
  std::string text;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && b != '\\') {
      text.push_back(c);
    } else {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\x%02x", b);
      text += escape;
    }
  }
  return text;
}

// The value after transformation `name`, found through the registry as a rule would find it.
inline std::string run_transformation(std::string_view name, std::string_view input,
                                      bool* changed = nullptr) {
  const TransformationInfo* info = find_transformation(name);
  if (info == nullptr || info->fn == nullptr) {
    ADD_FAILURE() << "no transformation function named " << name;
    return {};
  }
  std::pmr::string out("stale bytes the function must clear");
  bool did_change = info->fn(input, out);
  if (changed != nullptr) *changed = did_change;
  return did_change ? std::string(out) : std::string(input);
}

inline void expect_rows(std::string_view name, std::span<const Row> rows) {
  for (const Row& row : rows) {
    bool changed = false;
    std::string result = run_transformation(name, row.input, &changed);
    EXPECT_EQ(printable(result), printable(row.expected))
        << "t:" << name << " of \"" << printable(row.input) << "\"";
    EXPECT_EQ(changed, row.input != row.expected)
        << "t:" << name << " of \"" << printable(row.input) << "\" reported changed=" << changed;
  }
}

// Digests are raw bytes; rules compare them after t:hexEncode, and so do these rows.
inline void expect_hex_digests(std::string_view name, std::span<const Row> rows) {
  for (const Row& row : rows) {
    bool changed = false;
    std::string digest = run_transformation(name, row.input, &changed);
    EXPECT_TRUE(changed) << "t:" << name << " of \"" << printable(row.input) << "\"";
    EXPECT_EQ(run_transformation("hexEncode", digest), row.expected)
        << "t:" << name << " of \"" << printable(row.input) << "\"";
  }
}

}  // namespace portcullis::waf::testing
