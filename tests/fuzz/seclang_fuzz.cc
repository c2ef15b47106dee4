// Fuzz target: the SecLang parser (directive splitting, variable lists, operators, action
// lists, chains) on arbitrary rule-file text. Include is taken out: it would read files.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "waf/seclang/parser.h"

using namespace portcullis::waf::seclang;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  for (std::size_t at = text.find("Include"); at != std::string::npos;
       at = text.find("Include", at + 1)) {
    text[at] = 'X';
  }
  auto items = parse_rules(text, "fuzz.conf");
  if (!items.ok()) {
    if (items.error().line < 0) std::abort();
    return 0;
  }
  for (const Item& item : *items) {
    if (const auto* r = std::get_if<RuleAst>(&item)) {
      if (!r->is_action && r->variables.empty()) std::abort();  // a SecRule always has some
      if (r->line <= 0) std::abort();
    }
  }
  return 0;
}
