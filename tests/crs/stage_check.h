// Judging one stage the way go-ftw's checkResult does: an expected error decides alone; an
// unexpected error fails; then status, response text and the log (match_regex, expect_ids,
// isolated, no_match_regex, no_expect_ids). Regexes are Go regexps, so RE2 runs them, each
// searched in every log line.

#ifndef PORTCULLIS_TESTS_CRS_STAGE_CHECK_H_
#define PORTCULLIS_TESTS_CRS_STAGE_CHECK_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tests/crs/suite.h"

namespace portcullis::testing::crs {

// What one stage produced.
struct StageObservation {
  std::string error;           // non-empty: the exchange failed (see http_client.h)
  std::optional<int> status;   // the response status, when a response arrived
  std::string response_text;   // head and body, for response_contains
  bool log_available = false;  // false: the log was not read (dry modes, or no marker found)
  std::vector<std::string> log_lines;
  std::set<std::uint64_t> rule_ids;
};

// Empty when the stage passed; otherwise one line saying why not. When the log is not
// available its expectations are skipped.
std::string check_stage(const StageOutput& expected, const StageObservation& observed);

// Whether RE2 accepts `pattern`; `why` gets its error otherwise.
bool regex_compiles(const std::string& pattern, std::string* why = nullptr);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_STAGE_CHECK_H_
