// The registry of operators: an explicit table from SecLang name to factory, so that linking
// the static library keeps every file (no static self-registration). @geoLookup, @rbl,
// @inspectFile, @verifyCC/SSN/CPF/SVNR, @fuzzyHash, @gsbLookup, @rsub, @rxGlobal, @validateHash
// and the XML validators are not here: find_operator() returns nullptr for them and the rule
// compiler reports it.
#include <array>
#include <span>
#include <string_view>

#include "waf/operators/all.h"
#include "waf/operators/operator.h"

namespace portcullis::waf {
namespace {

using namespace operators;

// ModSecurity v3 also accepts the short names pmf and ipMatchF.
constexpr std::array kOperators = {
    OperatorInfo{"beginsWith", &create_begins_with},
    OperatorInfo{"contains", &create_contains},
    OperatorInfo{"containsWord", &create_contains_word},
    OperatorInfo{"detectSQLi", &create_detect_sqli},
    OperatorInfo{"detectXSS", &create_detect_xss},
    OperatorInfo{"endsWith", &create_ends_with},
    OperatorInfo{"eq", &create_eq},
    OperatorInfo{"ge", &create_ge},
    OperatorInfo{"gt", &create_gt},
    OperatorInfo{"ipMatch", &create_ip_match},
    OperatorInfo{"ipMatchFromFile", &create_ip_match_from_file},
    OperatorInfo{"ipMatchF", &create_ip_match_from_file},
    OperatorInfo{"le", &create_le},
    OperatorInfo{"lt", &create_lt},
    OperatorInfo{"ne", &create_ne},
    OperatorInfo{"noMatch", &create_no_match},
    OperatorInfo{"pm", &create_pm},
    OperatorInfo{"pmFromFile", &create_pm_from_file},
    OperatorInfo{"pmf", &create_pm_from_file},
    OperatorInfo{"rx", &create_rx},
    OperatorInfo{"streq", &create_streq},
    OperatorInfo{"strmatch", &create_strmatch},
    OperatorInfo{"unconditionalMatch", &create_unconditional_match},
    OperatorInfo{"validateByteRange", &create_validate_byte_range},
    OperatorInfo{"validateUrlEncoding", &create_validate_url_encoding},
    OperatorInfo{"validateUtf8Encoding", &create_validate_utf8_encoding},
    OperatorInfo{"within", &create_within},
};

constexpr char to_lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  }
  return true;
}

}  // namespace

OperatorFactory find_operator(std::string_view name) noexcept {
  for (const OperatorInfo& info : kOperators) {
    if (equals_ignoring_case(info.name, name)) return info.create;
  }
  return nullptr;
}

std::span<const OperatorInfo> operators::registered_operators() noexcept { return kOperators; }

}  // namespace portcullis::waf
