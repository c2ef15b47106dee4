// Macro text: an action or operator argument with %{COLLECTION.key} references
// ("Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}") compiled once into literal and
// reference parts, and expanded per request by the transaction. Immutable after compile; safe
// for concurrent use by multiple threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "waf/variables/variables.h"

namespace portcullis::waf {

struct MacroPart {
  std::string literal;  // when !is_ref
  bool is_ref = false;
  Var var = Var::kTx;
  std::string key;             // lower-cased; empty for a variable without a key
  std::uint64_t key_hash = 0;  // member_key_hash(var, key)
};

class Macro {
 public:
  Macro() = default;
  // Compiles `text`. A reference to a variable that does not exist is an error; text with a
  // "%{" that does not close is kept literally, as ModSecurity does.
  static Result<Macro> compile(std::string_view text);

  bool has_refs() const noexcept { return has_refs_; }
  bool empty() const noexcept { return text_.empty(); }
  const std::string& text() const noexcept { return text_; }  // as written
  const std::vector<MacroPart>& parts() const noexcept { return parts_; }

 private:
  std::string text_;
  std::vector<MacroPart> parts_;
  bool has_refs_ = false;
};

}  // namespace portcullis::waf
