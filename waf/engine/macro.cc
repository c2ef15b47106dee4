// Compiling %{...} references (see macro.h).
#include "waf/engine/macro.h"

#include <cctype>

namespace portcullis::waf {

Result<Macro> Macro::compile(std::string_view text) {
  Macro m;
  m.text_ = std::string(text);
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find("%{", i);
    if (open == std::string_view::npos) {
      literal.append(text.substr(i));
      break;
    }
    std::size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      literal.append(text.substr(i));
      break;
    }
    literal.append(text.substr(i, open - i));
    std::string_view ref = text.substr(open + 2, close - open - 2);
    std::string_view name = ref;
    std::string_view key;
    if (std::size_t dot = ref.find('.'); dot != std::string_view::npos) {
      name = ref.substr(0, dot);
      key = ref.substr(dot + 1);
    } else if (std::size_t colon = ref.find(':'); colon != std::string_view::npos) {
      name = ref.substr(0, colon);
      key = ref.substr(colon + 1);
    }
    const VariableInfo* info = find_variable(name);
    if (info == nullptr) {
      return Error{"unknown variable in macro %{" + std::string(ref) + "}"};
    }
    if (!literal.empty()) {
      m.parts_.push_back({std::move(literal), false, Var::kTx, {}});
      literal.clear();
    }
    MacroPart part;
    part.is_ref = true;
    part.var = info->var;
    for (char c : key) part.key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    part.key_hash = member_key_hash(part.var, part.key);
    m.parts_.push_back(std::move(part));
    m.has_refs_ = true;
    i = close + 1;
  }
  if (!literal.empty()) m.parts_.push_back({std::move(literal), false, Var::kTx, {}});
  return m;
}

}  // namespace portcullis::waf
