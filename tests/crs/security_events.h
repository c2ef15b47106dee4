// Reading portcullis' security event log (docs/events.md) the way go-ftw reads a ModSecurity
// error log: follow the file as it grows, find the log marker of the `X-CRS-Test` rule, and
// render each matched rule as a ModSecurity-style line (`[id "942100"] [msg "..."] ...`) for
// the tests' regexes.

#ifndef PORTCULLIS_TESTS_CRS_SECURITY_EVENTS_H_
#define PORTCULLIS_TESTS_CRS_SECURITY_EVENTS_H_

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::testing::crs {

// The message the marker rule logs: `msg:'X-CRS-Test %{MATCHED_VAR}'`.
inline constexpr std::string_view kMarkerPrefix = "X-CRS-Test ";

// One entry of an event's `rules` array. Strings hold the bytes the client sent (the log's
// \u00XX escapes are turned back into single bytes).
struct MatchedRule {
  std::string id;
  std::string message;
  std::string data;
  std::string variable;
  std::string severity;
  std::string match;  // optional engine text such as "Matched phrase ... at ARGS:x."
  std::string file;
  std::string line;
  std::string version;
  std::vector<std::string> tags;
  int phase = 0;
};

// One line of the event log.
struct SecurityEvent {
  std::string raw;  // the JSON line
  std::string request_id;
  std::string host;
  std::string path;
  std::string stage;
  std::string action;
  int status = 0;
  std::vector<MatchedRule> rules;
  std::vector<std::string> messages;  // optional engine messages (`messages` array), if any

  // The marker id when this is the marker rule's event.
  std::optional<std::string> marker() const;
};

// Parses one JSON line; nullopt and `why` when it is not an event.
std::optional<SecurityEvent> parse_event(std::string_view line, std::string* why = nullptr);

// ModSecurity v2 style error-log lines for an event, one per matched rule:
//   ModSecurity: Warning. MATCH [file "F"] [line "L"] [id "ID"] [msg "M"] [data "D"]
//   [severity "S"] [ver "V"] [tag "T"]... [hostname "H"] [uri "P"] [unique_id "R"]
// (fields that are empty are left out), plus one "ModSecurity: MESSAGE" line per engine
// message. msg and data are escaped as ModSecurity's log_escape does: `"` and `\` get a
// backslash, bytes outside 0x20..0x7e become \xHH.
std::vector<std::string> modsecurity_lines(const SecurityEvent& event);

// The numeric rule ids of an event (ids such as "method" from other stages are skipped).
void collect_rule_ids(const SecurityEvent& event, std::set<std::uint64_t>& ids);

// Follows a file that another process appends lines to. Not thread-safe.
class EventLogTail {
 public:
  explicit EventLogTail(std::filesystem::path path) : path_(std::move(path)) {}

  // Complete lines appended since the last call (a missing file has none yet).
  std::vector<std::string> read_lines();

 private:
  std::filesystem::path path_;
  std::uint64_t offset_ = 0;
  std::string partial_;
};

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_SECURITY_EVENTS_H_
