// @validateByteRange — byte whitelist: matches when the value holds a byte outside the allowed
// ranges (so a match means "invalid"). Argument: comma-separated decimal bytes and ranges,
// "1-255" or "9,10,13,32-126". ModSecurity ignores entries it cannot read (or, for a lone
// number above 255, writes past its table); here any such entry fails rule loading.
//
//   SecRule ARGS "@validateByteRange 32-126" "id:1001,phase:2,deny,t:urlDecodeUni"
#include <array>
#include <bitset>
#include <charconv>
#include <memory>
#include <string>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

class ValidateByteRange final : public Operator {
 public:
  explicit ValidateByteRange(const std::bitset<256>& allowed) : allowed_(allowed) {}

  bool match(std::string_view value, MatchContext&) const noexcept override {
    for (char c : value) {
      if (!allowed_.test(static_cast<unsigned char>(c))) return true;
    }
    return false;
  }

 private:
  std::bitset<256> allowed_;
};

// A byte value 0..255 written in decimal, white space around it allowed.
bool parse_byte(std::string_view text, int& out) noexcept {
  text = trim_spaces(text);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && out >= 0 &&
         out <= 255;
}

}  // namespace

OperatorResult create_validate_byte_range(const OperatorArgs& args) {
  std::bitset<256> allowed;
  for (std::string_view entry : split(args.argument, [](char c) { return c == ','; })) {
    if (trim_spaces(entry).empty()) continue;
    std::size_t dash = entry.find('-');
    int first = 0;
    int last = 0;
    bool ok = dash == std::string_view::npos
                  ? parse_byte(entry, first) && parse_byte(entry, last)
                  : parse_byte(entry.substr(0, dash), first) &&
                        parse_byte(entry.substr(dash + 1), last) && first <= last;
    if (!ok) return Error("@validateByteRange: invalid range '" + std::string(entry) + "'");
    for (int b = first; b <= last; ++b) allowed.set(static_cast<std::size_t>(b));
  }
  return std::unique_ptr<Operator>(std::make_unique<ValidateByteRange>(allowed));
}

}  // namespace portcullis::waf::operators
