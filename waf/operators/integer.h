// The integer comparisons (@eq, @ne, @lt, @le, @gt, @ge) as ModSecurity v3 computes them: both
// the value and the argument (macros expanded) become integers the way the C library would read
// them, so a value that is not a number counts as 0 rather than failing. Internal to
// waf/operators.
#pragma once

#include <climits>
#include <memory>
#include <memory_resource>
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {

namespace detail {

// Leading C-locale white space, an optional sign and decimal digits, as strtol() reads them;
// the rest is ignored. `digits` is false when there is no digit; `overflow` when the magnitude
// exceeds `limit` (the positive limit; a negative value may reach limit + 1).
struct ParsedInteger {
  bool digits = false;
  bool overflow = false;
  bool negative = false;
  unsigned long long magnitude = 0;
};

constexpr ParsedInteger parse_leading_integer(std::string_view text,
                                              unsigned long long limit) noexcept {
  ParsedInteger n;
  std::size_t i = 0;
  while (i < text.size() && is_c_space(text[i])) ++i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) n.negative = text[i++] == '-';
  unsigned long long bound = n.negative ? limit + 1 : limit;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    n.digits = true;
    auto digit = static_cast<unsigned long long>(text[i] - '0');
    if (n.overflow || n.magnitude > (bound - digit) / 10) {
      n.overflow = true;
    } else {
      n.magnitude = n.magnitude * 10 + digit;
    }
  }
  return n;
}

}  // namespace detail

// std::stoi() with ModSecurity's catch-all: a value with no leading number, or one outside the
// range of int, is 0. Used by @eq (and @ne, its negation).
constexpr long long stoi_or_zero(std::string_view text) noexcept {
  detail::ParsedInteger n = detail::parse_leading_integer(text, INT_MAX);
  if (!n.digits || n.overflow) return 0;
  return n.negative ? -static_cast<long long>(n.magnitude) : static_cast<long long>(n.magnitude);
}

// atoll() as glibc computes it: no leading number is 0, and out-of-range values saturate at
// LLONG_MIN/LLONG_MAX. Used by @lt, @le, @gt and @ge.
constexpr long long atoll_value(std::string_view text) noexcept {
  detail::ParsedInteger n = detail::parse_leading_integer(text, LLONG_MAX);
  if (n.overflow) return n.negative ? LLONG_MIN : LLONG_MAX;
  if (n.negative)
    return n.magnitude == static_cast<unsigned long long>(LLONG_MAX) + 1
               ? LLONG_MIN
               : -static_cast<long long>(n.magnitude);
  return static_cast<long long>(n.magnitude);
}

using IntegerConversion = long long (*)(std::string_view) noexcept;

// Matches when `compare(value, argument)` holds after both are converted with `convert`. The
// argument is converted once at creation unless it holds a macro.
template <typename Compare>
class IntegerComparison final : public Operator {
 public:
  IntegerComparison(std::string_view argument, IntegerConversion convert)
      : argument_(argument), convert_(convert), fixed_(convert(argument)) {}

  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    long long operand = fixed_;
    if (argument_.has_macro()) {
      std::pmr::string storage(ctx.arena());
      operand = convert_(argument_.resolve(ctx, storage));
    }
    return Compare{}(convert_(value), operand);
  }

 private:
  MacroText argument_;
  IntegerConversion convert_;
  long long fixed_;
};

template <typename Compare>
OperatorResult create_integer_comparison(const OperatorArgs& args, IntegerConversion convert) {
  return std::unique_ptr<Operator>(
      std::make_unique<IntegerComparison<Compare>>(args.argument, convert));
}

}  // namespace portcullis::waf::operators
