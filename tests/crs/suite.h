// The OWASP CRS regression tests as data: the YAML files of a suite read into tests, stages,
// inputs and expected outputs. Two formats exist (../shared/crs/README.md): CRS 4's go-ftw
// format (`rule_id`, numbered `test_id`, `output.log.expect_ids`) and CRS 3's older ftw format
// (`test_title`, stages wrapped in `stage:`, `output.log_contains`). Both load into the same
// model; the format also decides how a request is serialised (request_builder.h).

#ifndef PORTCULLIS_TESTS_CRS_SUITE_H_
#define PORTCULLIS_TESTS_CRS_SUITE_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::testing::crs {

// Which runner the suite was written for; it steers parsing and the request bytes.
enum class Format {
  kFtw,    // CRS 3.x: the Python ftw 1.3 runner (YAML header order, stop_magic, data lists).
  kGoFtw,  // CRS 4.x: go-ftw 2 (sorted headers, autocomplete_headers, data templates).
};

// Header fields in the order they are sent.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// What one stage sends. Absent optionals take the runner's defaults (GET, "/", "HTTP/1.1").
struct StageInput {
  std::optional<std::string> method;
  std::optional<std::string> uri;
  std::optional<std::string> version;
  // go-ftw: sorted by name (it reads a map); ftw: in YAML order.
  HeaderList headers;
  // The body after joining a v3 list of lines; go-ftw templates are not yet expanded.
  std::optional<std::string> data;
  std::string encoded_request;  // base64 of the whole request, sent as is
  std::optional<std::string> raw_request;
  // go-ftw `autocomplete_headers` (default true) or the inverse of ftw's `stop_magic`.
  bool autocomplete = true;
  std::string protocol = "http";  // informational: the runner always speaks plain HTTP
};

// What one stage expects. Empty members are not checked.
struct StageOutput {
  std::vector<int> status;  // any of these; empty: not checked
  std::string match_regex;  // `log.match_regex`, or `log_contains` as go-ftw maps it
  std::string no_match_regex;
  std::vector<std::uint64_t> expect_ids;
  std::vector<std::uint64_t> no_expect_ids;
  std::string response_contains;
  bool expect_error = false;
  bool retry_once = false;
  bool isolated = false;  // exactly one rule id may be logged

  // Whether any expectation needs the security event log.
  bool checks_log() const {
    return !match_regex.empty() || !no_match_regex.empty() || !expect_ids.empty() ||
           !no_expect_ids.empty() || isolated;
  }
};

struct Stage {
  StageInput input;
  StageOutput output;
};

struct Test {
  std::string id;  // "942100-1": go-ftw "<rule_id>-<test_id>", ftw the `test_title`
  std::uint64_t rule_id = 0;
  std::filesystem::path file;
  std::string description;
  bool enabled = true;  // false: ftw `meta.enabled: false` or a test's `enabled: false`
  std::vector<Stage> stages;
};

struct Suite {
  Format format = Format::kGoFtw;
  std::vector<std::filesystem::path> files;  // every YAML file read, sorted
  std::vector<Test> tests;
  // Everything the loader could not understand: "FILE: what". A test with a problem is still
  // loaded when the rest of it made sense.
  std::vector<std::string> problems;
  // Things understood but run differently from the reference runner ("https sent as http").
  std::vector<std::string> notes;

  size_t stage_count() const;
};

// Reads every `*.yaml` and `*.yml` file under `directory`, recursively, in path order. Never
// throws: unreadable files and unknown keys become `problems`.
Suite load_suite(const std::filesystem::path& directory, Format format);

// The same for one document's text; `file` names it in problems and tests.
void load_document(const std::string& text, const std::filesystem::path& file, Format format,
                   Suite& suite);

// An exclusion list: `- {test: "942100-1", reason: "..."}` entries (a bare rule id such as
// "942100" excludes every test of that rule). Test id -> reason.
struct Exclusions {
  std::map<std::string, std::string> reasons;
  std::vector<std::string> problems;

  // The reason `test` is excluded, if it is.
  std::optional<std::string> reason_for(const Test& test) const;
};

// Reads an exclusion file; a missing file is a problem, an empty one (comments only) is fine.
Exclusions load_exclusions(const std::filesystem::path& path);

// go-ftw override files (`test_overrides: [{rule_id, test_ids, reason, output}]`): the expected
// output of the named tests (every test of the rule when test_ids is absent) is replaced, in
// every stage, by the override's. Returns how many tests changed; problems go to
// suite.problems.
std::size_t apply_overrides(const std::filesystem::path& path, Suite& suite);
Exclusions parse_exclusions(const std::string& text, const std::string& name);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_SUITE_H_
