// Helpers for the body-processor tests: a request arena with a Parsed in it, and the collections
// as plain strings so that rows compare with EXPECT_EQ and print readably when they do not.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <memory_resource>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "waf/bodies/bodies.h"

namespace portcullis::waf::testing {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// A request's worth of arena, as the engine gives the processors.
struct ParsedBody {
  std::pmr::monotonic_buffer_resource arena;
  bodies::Parsed parsed{&arena};
};

inline Pairs pairs(const std::pmr::vector<bodies::Arg>& args) {
  Pairs result;
  for (const bodies::Arg& a : args) result.emplace_back(a.name, a.value);
  return result;
}

inline std::vector<std::string> strings(const std::pmr::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

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

// Whether `part` lies inside `whole` (a view into the input rather than an arena copy).
inline bool points_into(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace portcullis::waf::testing
