// How operators read their arguments: text that may hold %{collection.key} macros, word lists,
// and the data files that @pmFromFile and @ipMatchFromFile name. Internal to waf/operators.
#pragma once

#include <memory>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "waf/operators/operator.h"

namespace portcullis::waf::operators {

// An operator's argument as written. When it holds a macro ("%{"), it is expanded per match,
// as ModSecurity does; otherwise it is used as is. Immutable, so safe to share.
class MacroText {
 public:
  explicit MacroText(std::string_view text)
      : text_(text), has_macro_(text.find("%{") != std::string_view::npos) {}

  bool has_macro() const noexcept { return has_macro_; }
  const std::string& text() const noexcept { return text_; }

  // The argument for this match; `storage` holds the expansion when there is one.
  std::string_view resolve(MatchContext& ctx, std::pmr::string& storage) const noexcept {
    return has_macro_ ? ctx.expand(text_, storage) : std::string_view(text_);
  }

 private:
  std::string text_;
  bool has_macro_;
};

using StringTest = bool (*)(std::string_view value, std::string_view argument) noexcept;

// An operator that tests the value against its argument (macros expanded per match) with
// `kTest`. Safe for concurrent use by multiple threads.
template <StringTest kTest>
class ArgumentTest final : public Operator {
 public:
  explicit ArgumentTest(std::string_view argument) : argument_(argument) {}

  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    if (!argument_.has_macro()) return kTest(value, argument_.text());
    std::pmr::string storage(ctx.arena());
    return kTest(value, argument_.resolve(ctx, storage));
  }

 private:
  MacroText argument_;
};

template <StringTest kTest>
Result<std::unique_ptr<Operator>> create_argument_test(const OperatorArgs& args) {
  return std::unique_ptr<Operator>(std::make_unique<ArgumentTest<kTest>>(args.argument));
}

// isspace() in the C locale: space, \t, \n, \v, \f, \r.
constexpr bool is_c_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }

constexpr char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// The pieces of `text` between runs of `is_separator` characters, empty pieces left out.
template <typename IsSeparator>
std::vector<std::string_view> split(std::string_view text, IsSeparator is_separator) {
  std::vector<std::string_view> pieces;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_separator(text[i])) ++i;
    std::size_t start = i;
    while (i < text.size() && !is_separator(text[i])) ++i;
    if (i > start) pieces.push_back(text.substr(start, i - start));
  }
  return pieces;
}

// `text` without C-locale white space at either end.
std::string_view trim_spaces(std::string_view text) noexcept;

// The lines of the file `name` (absolute, or relative to `rules_dir`) that hold data: blank
// lines, white-space-only lines and lines whose first non-space character is '#' are left out,
// and so is the '\r' of a CRLF line end. An unreadable file is an error naming it.
Result<std::vector<std::string>> read_data_lines(std::string_view name,
                                                 const std::string& rules_dir);

}  // namespace portcullis::waf::operators
