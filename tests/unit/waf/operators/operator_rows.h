// Table-driven checks for operators: each row is an argument, a value and whether the operator
// matches it. Operators are built through the registry, as the rule compiler builds them, and
// run against FakeMatchContext, a transaction reduced to TX variables and captures.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "waf/operators/operator.h"

namespace portcullis::waf::testing {

// Expands %{tx.NAME} (any case) from `tx`; an unknown variable expands to nothing, as in
// ModSecurity. Captures are kept for the test to read.
class FakeMatchContext final : public MatchContext {
 public:
  std::map<std::string, std::string> tx;  // lower-case names
  bool capture = false;
  std::array<std::optional<std::string>, 10> captures;

  std::string_view expand(std::string_view text, std::pmr::string& storage) noexcept override {
    if (text.find("%{") == std::string_view::npos) return text;
    storage.clear();
    std::size_t i = 0;
    while (i < text.size()) {
      std::size_t open = text.find("%{", i);
      std::size_t close = open == std::string_view::npos ? open : text.find('}', open);
      if (close == std::string_view::npos) {
        storage.append(text.substr(i));
        break;
      }
      storage.append(text.substr(i, open - i));
      std::string name(text.substr(open + 2, close - open - 2));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name.starts_with("tx.")) {
        auto it = tx.find(name.substr(3));
        if (it != tx.end()) storage.append(it->second);
      }
      i = close + 1;
    }
    return storage;
  }
  bool capturing() const noexcept override { return capture; }
  void set_capture(int index, std::string_view value) noexcept override {
    captures.at(static_cast<std::size_t>(index)) = std::string(value);
  }
  std::pmr::memory_resource* arena() noexcept override { return &arena_; }

 private:
  std::pmr::monotonic_buffer_resource arena_;
};

struct MatchRow {
  std::string_view argument;
  std::string_view value;
  bool matches;
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

// The operator `@name argument`, built through the registry; null (with a test failure) when
// it cannot be built.
inline std::unique_ptr<Operator> make_operator(std::string_view name, std::string_view argument,
                                               std::string rules_dir = {}) {
  OperatorFactory factory = find_operator(name);
  if (factory == nullptr) {
    ADD_FAILURE() << "no operator named " << name;
    return nullptr;
  }
  auto op = factory(OperatorArgs{argument, std::move(rules_dir)});
  if (!op.ok()) {
    ADD_FAILURE() << "@" << name << " " << printable(argument) << ": " << op.error().to_string();
    return nullptr;
  }
  return std::move(*op);
}

// The error building `@name argument` gives, or "" when it builds.
inline std::string creation_error(std::string_view name, std::string_view argument,
                                  std::string rules_dir = {}) {
  OperatorFactory factory = find_operator(name);
  if (factory == nullptr) return "no such operator";
  auto op = factory(OperatorArgs{argument, std::move(rules_dir)});
  return op.ok() ? std::string() : op.error().to_string();
}

inline void expect_rows(std::string_view name, std::span<const MatchRow> rows,
                        FakeMatchContext* shared = nullptr) {
  for (const MatchRow& row : rows) {
    auto op = make_operator(name, row.argument);
    if (op == nullptr) continue;
    FakeMatchContext local;
    FakeMatchContext& ctx = shared != nullptr ? *shared : local;
    EXPECT_EQ(op->match(row.value, ctx), row.matches)
        << "@" << name << " " << printable(row.argument) << " on \"" << printable(row.value)
        << "\"";
  }
}

}  // namespace portcullis::waf::testing
