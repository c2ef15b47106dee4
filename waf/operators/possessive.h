// Possessive quantifiers (X*+, X++, X?+, X{n,m}+) are PCRE-only; RE2 has no atomic matching.
// Dropping the '+' turns them into ordinary greedy quantifiers, which can only find more
// matches — never fewer — so the rewrite is made only where it provably finds the same ones:
// X is a single-character atom (a class, an escape, '.', a literal), and what follows it up to
// the first item that cannot match the empty string is a run of starred/optional
// single-character items, after which comes an item none of whose first characters X can
// match (or the end of the pattern). Then every match greedy backtracking could add is one the
// possessive form also finds. Internal to waf/operators; pure, safe for concurrent use.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace portcullis::waf::operators {

// The pattern with its possessive quantifiers made greedy, or nullopt when one of them cannot
// be proved equivalent (or the pattern has none).
std::optional<std::string> rewrite_possessive(std::string_view pattern);

}  // namespace portcullis::waf::operators
