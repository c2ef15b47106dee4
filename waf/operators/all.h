// Every operator of waf/operators, one factory per SecLang name, each with the OperatorFactory
// contract of operator.h: it builds the operator from its argument or says what is wrong with
// it. Internal: the rest of the engine finds them by name through find_operator(). The
// operators they build are safe for concurrent use by multiple threads.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "core/result.h"
#include "waf/operators/operator.h"

namespace portcullis::waf::operators {

using OperatorResult = Result<std::unique_ptr<Operator>>;

OperatorResult create_begins_with(const OperatorArgs& args);
OperatorResult create_contains(const OperatorArgs& args);
OperatorResult create_contains_word(const OperatorArgs& args);
OperatorResult create_detect_sqli(const OperatorArgs& args);
OperatorResult create_detect_xss(const OperatorArgs& args);
OperatorResult create_ends_with(const OperatorArgs& args);
OperatorResult create_eq(const OperatorArgs& args);
OperatorResult create_ge(const OperatorArgs& args);
OperatorResult create_gt(const OperatorArgs& args);
OperatorResult create_ip_match(const OperatorArgs& args);
OperatorResult create_ip_match_from_file(const OperatorArgs& args);
OperatorResult create_le(const OperatorArgs& args);
OperatorResult create_lt(const OperatorArgs& args);
OperatorResult create_ne(const OperatorArgs& args);
OperatorResult create_no_match(const OperatorArgs& args);
OperatorResult create_pm(const OperatorArgs& args);
OperatorResult create_pm_from_file(const OperatorArgs& args);
OperatorResult create_rx(const OperatorArgs& args);
OperatorResult create_streq(const OperatorArgs& args);
OperatorResult create_strmatch(const OperatorArgs& args);
OperatorResult create_unconditional_match(const OperatorArgs& args);
OperatorResult create_validate_byte_range(const OperatorArgs& args);
OperatorResult create_validate_url_encoding(const OperatorArgs& args);
OperatorResult create_validate_utf8_encoding(const OperatorArgs& args);
OperatorResult create_within(const OperatorArgs& args);

struct OperatorInfo {
  std::string_view name;  // as SecLang spells it: "beginsWith"
  OperatorFactory create;
};

// The registry's table, one row per accepted name (aliases included), for tests and fuzzing.
std::span<const OperatorInfo> registered_operators() noexcept;

}  // namespace portcullis::waf::operators
