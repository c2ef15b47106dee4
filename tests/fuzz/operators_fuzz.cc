// Fuzz target: operators built from hostile arguments and run on hostile values. The input is
// split at its first newline: the bytes before it are the argument of @rx, @pm,
// @validateByteRange and @ipMatch (a factory may refuse it, never crash), the bytes after it
// the value each built operator matches, capturing. Besides memory safety it checks what the
// operators promise: captures are pieces of the value (or a phrase), @pm agrees with a naive
// search for its single phrase, and @validateByteRange "0-255" never matches.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>

#include "waf/operators/operator.h"

using namespace portcullis::waf;

namespace {

class FuzzMatchContext final : public MatchContext {
 public:
  std::string_view expand(std::string_view text, std::pmr::string& storage) noexcept override {
    // A macro expands to a fixed piece of text, so expansions are exercised too.
    storage.clear();
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text.substr(i, 2) == "%{") {
        std::size_t close = text.find('}', i);
        if (close != std::string_view::npos) {
          storage.append("a|b");
          i = close;
          continue;
        }
      }
      storage.push_back(text[i]);
    }
    return storage;
  }
  bool capturing() const noexcept override { return true; }
  void set_capture(int index, std::string_view value) noexcept override {
    if (index < 0 || index > 9) std::abort();
    captures[index] = std::string(value);
  }
  std::pmr::memory_resource* arena() noexcept override { return &arena_; }

  std::optional<std::string> captures[10];

 private:
  std::pmr::monotonic_buffer_resource arena_;
};

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool run(std::string_view name, std::string_view argument, std::string_view value,
         FuzzMatchContext& ctx) {
  auto op = find_operator(name)(OperatorArgs{argument, "/nonexistent"});
  if (!op.ok()) return false;
  return (*op)->match(value, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::size_t newline = input.find('\n');
  if (newline == std::string_view::npos) newline = input.size();
  std::string_view argument = input.substr(0, std::min<std::size_t>(newline, 4096));
  std::string_view value = newline < input.size() ? input.substr(newline + 1) : "";

  FuzzMatchContext rx_ctx;
  run("rx", argument, value, rx_ctx);
  if (argument.find("%{") == std::string_view::npos) {
    for (const auto& capture : rx_ctx.captures) {
      if (capture && value.find(*capture) == std::string_view::npos) std::abort();
    }
  }

  FuzzMatchContext pm_ctx;
  bool pm = run("pm", argument, value, pm_ctx);
  if (pm && !pm_ctx.captures[0]) std::abort();
  if (pm && lower(value).find(lower(*pm_ctx.captures[0])) == std::string::npos) std::abort();
  bool single_word =
      !argument.empty() && std::none_of(argument.begin(), argument.end(), [](char c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || c == '"' || c == '|' || c == '\\';
      });
  if (single_word && pm != (lower(value).find(lower(argument)) != std::string::npos)) {
    std::abort();
  }

  FuzzMatchContext ctx;
  run("validateByteRange", argument, value, ctx);
  if (run("validateByteRange", "0-255", value, ctx)) std::abort();
  run("ipMatch", argument, value, ctx);
  run("ipMatch", "10.0.0.0/8,2001:db8::/32", value, ctx);
  return 0;
}
