#include "tests/crs/stage_check.h"

#include <re2/re2.h>

#include <algorithm>
#include <sstream>

namespace portcullis::testing::crs {
namespace {

RE2::Options regex_options() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(64 << 20);
  // Log lines are escaped ASCII; Latin-1 keeps a stray byte from making the match fail.
  options.set_encoding(RE2::Options::EncodingLatin1);
  return options;
}

// Whether `pattern` matches somewhere in any line; nullopt when it does not compile.
std::optional<bool> any_line_matches(const std::string& pattern,
                                     const std::vector<std::string>& lines) {
  RE2 re(pattern, regex_options());
  if (!re.ok()) return std::nullopt;
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return RE2::PartialMatch(line, re); });
}

std::string join(const std::vector<std::uint64_t>& ids) {
  std::ostringstream out;
  for (size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
  return out.str();
}

}  // namespace

bool regex_compiles(const std::string& pattern, std::string* why) {
  RE2 re(pattern, regex_options());
  if (!re.ok() && why) *why = re.error();
  return re.ok();
}

std::string check_stage(const StageOutput& expected, const StageObservation& observed) {
  if (expected.expect_error) {
    return observed.error.empty()
               ? "expected an error (reset, timeout, bad response), got status " +
                     std::to_string(observed.status.value_or(0))
               : std::string();
  }
  if (!observed.error.empty()) return "unexpected error: " + observed.error;
  if (!observed.status) return "no response";
  if (!expected.status.empty() && std::find(expected.status.begin(), expected.status.end(),
                                            *observed.status) == expected.status.end()) {
    std::string want;
    for (int s : expected.status) want += (want.empty() ? "" : " or ") + std::to_string(s);
    return "status " + std::to_string(*observed.status) + ", expected " + want;
  }
  if (!expected.response_contains.empty()) {
    auto found = any_line_matches(expected.response_contains, {observed.response_text});
    if (!found) return "response_contains does not compile: " + expected.response_contains;
    if (!*found) return "response does not match /" + expected.response_contains + "/";
  }
  if (!observed.log_available) return {};
  if (!expected.match_regex.empty()) {
    auto found = any_line_matches(expected.match_regex, observed.log_lines);
    if (!found) return "match_regex does not compile: " + expected.match_regex;
    if (!*found) return "log does not match /" + expected.match_regex + "/";
  }
  std::vector<std::uint64_t> missing;
  for (std::uint64_t id : expected.expect_ids) {
    if (!observed.rule_ids.count(id)) missing.push_back(id);
  }
  if (!missing.empty()) return "expected rule ids not logged: " + join(missing);
  if (expected.isolated && observed.rule_ids.size() != 1) {
    return "isolated: " + std::to_string(observed.rule_ids.size()) + " rule ids logged, not 1";
  }
  if (!expected.no_match_regex.empty()) {
    auto found = any_line_matches(expected.no_match_regex, observed.log_lines);
    if (!found) return "no_match_regex does not compile: " + expected.no_match_regex;
    if (*found) return "log matches /" + expected.no_match_regex + "/";
  }
  std::vector<std::uint64_t> unwanted;
  for (std::uint64_t id : expected.no_expect_ids) {
    if (observed.rule_ids.count(id)) unwanted.push_back(id);
  }
  if (!unwanted.empty()) return "rule ids logged that must not be: " + join(unwanted);
  return {};
}

}  // namespace portcullis::testing::crs
