// @pm — phrase match: matches when any of the phrases occurs in the value, ASCII case ignored.
// Argument: phrases separated by white space. As in ModSecurity v3, the list may be wrapped in
// double quotes, |41 42|-style hex is not accepted but |4142| is, and \: \; \\ \" are escapes;
// an argument that breaks those rules is taken literally. With `capture`, TX.0 is the phrase
// that ended first in the value (the longest one ending there).
//
//   SecRule REQUEST_HEADERS:User-Agent "@pm nikto sqlmap" "id:1001,phase:1,deny,capture"
#include <memory>
#include <string>
#include <vector>

#include "core/phrase_automaton.h"
#include "waf/operators/all.h"
#include "waf/operators/argument.h"
#include "waf/operators/phrase_match.h"

namespace portcullis::waf::operators {
namespace {

constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr int hex_value(char c) noexcept { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// ModSecurity v3's reading of a @pm argument before it is split on white space.
std::string unescape_phrase_list(std::string_view argument) {
  std::size_t start = argument.find_first_not_of(" \t");
  if (start == std::string_view::npos) return std::string(argument);
  std::string_view body = argument.substr(start);
  if (body.size() >= 2 && body.front() == '"' && body.back() == '"') {
    body = body.substr(1, body.size() - 2);
  }
  if (body.empty()) return std::string(argument);

  std::string out;
  bool hex = false;
  bool escaped = false;
  int pending = -1;  // the first digit of a hex pair
  for (char c : body) {
    if (c == '|') {
      hex = !hex;
    } else if (!escaped && c == '\\') {
      escaped = true;
    } else if (hex) {
      if (!is_hex_digit(c)) return std::string(argument);
      if (pending < 0) {
        pending = hex_value(c);
      } else {
        out.push_back(static_cast<char>(pending * 16 + hex_value(c)));
        pending = -1;
      }
    } else if (escaped) {
      if (c != ':' && c != ';' && c != '\\' && c != '"') return std::string(argument);
      out.push_back(c);
      escaped = false;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

OperatorResult create_pm(const OperatorArgs& args) {
  std::string list = unescape_phrase_list(args.argument);
  std::vector<std::string> phrases;
  for (std::string_view word : split(list, is_c_space)) phrases.emplace_back(word);
  return std::unique_ptr<Operator>(std::make_unique<PhraseMatch>(PhraseAutomaton(phrases)));
}

}  // namespace portcullis::waf::operators
