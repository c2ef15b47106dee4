#include "tests/crs/suite.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

namespace portcullis::testing::crs {
namespace {

namespace fs = std::filesystem;

// Collects problems for one file and checks keys against what the runner understands.
class Reader {
 public:
  Reader(const fs::path& file, Suite& suite) : file_(file), suite_(suite) {}

  void problem(const std::string& where, const std::string& what) {
    suite_.problems.push_back(file_.string() + ": " + where + ": " + what);
  }

  void check_keys(const YAML::Node& node, const std::string& where,
                  const std::set<std::string>& known) {
    if (!node.IsMap()) return;
    for (const auto& entry : node) {
      std::string key = entry.first.Scalar();
      if (!known.count(key)) problem(where, "unknown key '" + key + "'");
    }
  }

  // The text of a scalar; nullopt (and a problem) for maps and sequences.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& where) {
    if (node.IsScalar()) return node.Scalar();
    if (node.IsNull()) return std::string();
    problem(where, "expected a scalar");
    return std::nullopt;
  }

  std::optional<bool> boolean(const YAML::Node& node, const std::string& where) {
    try {
      return node.as<bool>();
    } catch (const YAML::Exception&) {
      problem(where, "expected true or false");
      return std::nullopt;
    }
  }

  std::optional<std::uint64_t> unsigned_int(const YAML::Node& node, const std::string& where) {
    try {
      return node.as<std::uint64_t>();
    } catch (const YAML::Exception&) {
      problem(where, "expected a non-negative integer");
      return std::nullopt;
    }
  }

  // An integer or a list of integers.
  std::vector<std::uint64_t> id_list(const YAML::Node& node, const std::string& where) {
    std::vector<std::uint64_t> ids;
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (auto id = unsigned_int(node[i], where + "[" + std::to_string(i) + "]")) {
          ids.push_back(*id);
        }
      }
    } else if (!node.IsNull()) {
      if (auto id = unsigned_int(node, where)) ids.push_back(*id);
    }
    return ids;
  }

  const fs::path& file() const { return file_; }

 private:
  const fs::path& file_;
  Suite& suite_;
};

std::uint64_t rule_id_from_name(const std::string& name) {
  // go-ftw falls back on the first number in the file name.
  auto begin = std::find_if(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto end = std::find_if(begin, name.end(), [](char c) { return c < '0' || c > '9'; });
  if (begin == end || end - begin > 18) return 0;
  return std::stoull(std::string(begin, end));
}

void read_headers(Reader& reader, const YAML::Node& node, const std::string& where, Format format,
                  StageInput& input) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    reader.problem(where, "expected a map of header fields");
    return;
  }
  for (const auto& entry : node) {
    std::string name = entry.first.Scalar();
    std::string value;
    if (entry.second.IsNull()) {
      // Python's str(None) is what ftw sent; Go decodes null into "".
      value = format == Format::kFtw ? "None" : "";
    } else if (auto text = reader.scalar(entry.second, where + "." + name)) {
      value = *text;
    } else {
      continue;
    }
    input.headers.emplace_back(std::move(name), std::move(value));
  }
  if (format == Format::kGoFtw) {
    // go-ftw reads `headers` into a Go map and sends the names in sorted order (map keys are
    // distinct, so an unstable sort gives the same order).
    std::sort(input.headers.begin(), input.headers.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
}

void read_input(Reader& reader, const YAML::Node& node, const std::string& where, Format format,
                StageInput& input) {
  if (!node.IsMap()) {
    reader.problem(where, "expected a map");
    return;
  }
  reader.check_keys(
      node, where,
      {"dest_addr", "port", "protocol", "method", "uri", "version", "headers", "ordered_headers",
       "data", "encoded_data", "encoded_request", "raw_request", "autocomplete_headers",
       "stop_magic", "save_cookie", "virtual_host_mode", "follow_redirect"});
  auto optional_text = [&](const char* key, std::optional<std::string>& out) {
    if (YAML::Node n = node[key]; n && !n.IsNull()) {
      if (auto text = reader.scalar(n, where + "." + key)) out = *text;
    }
  };
  optional_text("method", input.method);
  optional_text("uri", input.uri);
  optional_text("version", input.version);
  optional_text("raw_request", input.raw_request);
  if (YAML::Node n = node["protocol"]; n && !n.IsNull()) {
    input.protocol = reader.scalar(n, where + ".protocol").value_or("http");
  }
  if (YAML::Node n = node["encoded_request"]; n && !n.IsNull()) {
    input.encoded_request = reader.scalar(n, where + ".encoded_request").value_or("");
  }
  if (YAML::Node n = node["headers"]) read_headers(reader, n, where + ".headers", format, input);
  if (YAML::Node n = node["ordered_headers"]; n && !n.IsNull()) {
    // go-ftw: an explicit list wins over `headers` and keeps its order.
    input.headers.clear();
    if (!n.IsSequence()) reader.problem(where + ".ordered_headers", "expected a list");
    for (size_t i = 0; n.IsSequence() && i < n.size(); ++i) {
      std::string at = where + ".ordered_headers[" + std::to_string(i) + "]";
      reader.check_keys(n[i], at, {"name", "value"});
      auto name = reader.scalar(n[i]["name"], at + ".name");
      auto value = reader.scalar(n[i]["value"], at + ".value");
      if (name && value) input.headers.emplace_back(*name, *value);
    }
  }
  if (YAML::Node n = node["data"]; n && !n.IsNull()) {
    if (n.IsSequence() && format == Format::kFtw) {
      // ftw joins a list of lines with CRLF.
      std::string joined;
      for (size_t i = 0; i < n.size(); ++i) {
        if (i > 0) joined += "\r\n";
        joined += reader.scalar(n[i], where + ".data").value_or("");
      }
      input.data = std::move(joined);
    } else if (auto text = reader.scalar(n, where + ".data")) {
      input.data = *text;
    }
  }
  if (YAML::Node n = node["encoded_data"]; n && !n.IsNull()) {
    reader.problem(where + ".encoded_data", "not supported by the runner");
  }
  // go-ftw: `autocomplete_headers` wins; otherwise `stop_magic` is its inverse; default true.
  std::optional<bool> autocomplete;
  std::optional<bool> stop_magic;
  if (YAML::Node n = node["autocomplete_headers"]; n && !n.IsNull()) {
    autocomplete = reader.boolean(n, where + ".autocomplete_headers");
  }
  if (YAML::Node n = node["stop_magic"]; n && !n.IsNull()) {
    stop_magic = reader.boolean(n, where + ".stop_magic");
  }
  input.autocomplete = autocomplete ? *autocomplete : (stop_magic ? !*stop_magic : true);
  for (const char* unsupported : {"save_cookie", "follow_redirect"}) {
    if (YAML::Node n = node[unsupported]; n && !n.IsNull() && n.IsScalar()) {
      if (reader.boolean(n, where + "." + unsupported).value_or(false)) {
        reader.problem(where + "." + unsupported, "not supported by the runner");
      }
    }
  }
  if (!input.encoded_request.empty() && input.data && !input.data->empty()) {
    reader.problem(where, "'data' and 'encoded_request' must not be set together");
  }
}

void read_output(Reader& reader, const YAML::Node& node, const std::string& where,
                 StageOutput& output) {
  if (!node.IsMap()) {
    reader.problem(where, "expected a map");
    return;
  }
  reader.check_keys(node, where,
                    {"status", "log", "log_contains", "no_log_contains", "response_contains",
                     "expect_error", "retry_once", "isolated"});
  if (YAML::Node n = node["status"]; n && !n.IsNull()) {
    for (std::uint64_t s : reader.id_list(n, where + ".status")) {
      output.status.push_back(static_cast<int>(s));
    }
    // go-ftw treats status 0 as "not checked".
    std::erase(output.status, 0);
  }
  auto text = [&](const YAML::Node& parent, const char* key, const std::string& at) {
    if (YAML::Node n = parent[key]; n && !n.IsNull()) {
      return reader.scalar(n, at + "." + key).value_or("");
    }
    return std::string();
  };
  auto flag = [&](const char* key) {
    if (YAML::Node n = node[key]; n && !n.IsNull()) {
      return reader.boolean(n, where + "." + key).value_or(false);
    }
    return false;
  };
  output.expect_error = flag("expect_error");
  output.retry_once = flag("retry_once");
  output.isolated = flag("isolated");
  output.response_contains = text(node, "response_contains", where);
  if (YAML::Node log = node["log"]; log && !log.IsNull()) {
    std::string at = where + ".log";
    reader.check_keys(log, at,
                      {"expect_ids", "no_expect_ids", "expect_id", "no_expect_id", "match_regex",
                       "no_match_regex"});
    for (const char* key : {"expect_ids", "expect_id"}) {
      if (YAML::Node n = log[key]) {
        auto ids = reader.id_list(n, at + "." + key);
        output.expect_ids.insert(output.expect_ids.end(), ids.begin(), ids.end());
      }
    }
    for (const char* key : {"no_expect_ids", "no_expect_id"}) {
      if (YAML::Node n = log[key]) {
        auto ids = reader.id_list(n, at + "." + key);
        output.no_expect_ids.insert(output.no_expect_ids.end(), ids.begin(), ids.end());
      }
    }
    output.match_regex = text(log, "match_regex", at);
    output.no_match_regex = text(log, "no_match_regex", at);
  }
  // go-ftw maps the old keys onto the regexes unless the new form is given.
  std::string log_contains = text(node, "log_contains", where);
  std::string no_log_contains = text(node, "no_log_contains", where);
  if (!log_contains.empty() && output.expect_ids.empty() && output.match_regex.empty()) {
    output.match_regex = log_contains;
  }
  if (!no_log_contains.empty() && output.no_expect_ids.empty() && output.no_match_regex.empty()) {
    output.no_match_regex = no_log_contains;
  }
}

void read_stage(Reader& reader, YAML::Node node, const std::string& where, Format format,
                Test& test) {
  if (node.IsMap() && node["stage"]) {
    // ftw wraps every stage in `stage:`.
    reader.check_keys(node, where, {"stage"});
    node = node["stage"];
  }
  if (!node.IsMap()) {
    reader.problem(where, "expected a map with input and output");
    return;
  }
  reader.check_keys(node, where, {"input", "output", "description"});
  Stage stage;
  if (YAML::Node n = node["input"]) {
    read_input(reader, n, where + ".input", format, stage.input);
  } else {
    reader.problem(where, "no input");
  }
  if (YAML::Node n = node["output"]; n && !n.IsNull()) {
    read_output(reader, n, where + ".output", stage.output);
  }
  test.stages.push_back(std::move(stage));
}

void read_document(Reader& reader, const YAML::Node& root, Format format, Suite& suite) {
  if (root.IsNull()) return;  // a file that is all comments
  if (!root.IsMap()) {
    reader.problem("document", "expected a map with meta and tests");
    return;
  }
  const std::string file_name = reader.file().filename().string();
  std::uint64_t rule_id = 0;
  if (YAML::Node n = root["rule_id"]; n && !n.IsNull()) {
    rule_id = reader.unsigned_int(n, "rule_id").value_or(0);
  }
  if (rule_id == 0) rule_id = rule_id_from_name(file_name);
  bool enabled = true;
  if (YAML::Node meta = root["meta"]; meta && meta.IsMap()) {
    if (YAML::Node n = meta["enabled"]; n && !n.IsNull()) {
      enabled = reader.boolean(n, "meta.enabled").value_or(true);
    }
  }
  YAML::Node tests = root["tests"];
  if (!tests || !tests.IsSequence()) {
    reader.problem("tests", "expected a list of tests");
    return;
  }
  for (size_t i = 0; i < tests.size(); ++i) {
    const YAML::Node& t = tests[i];
    std::string where = "tests[" + std::to_string(i) + "]";
    if (!t.IsMap()) {
      reader.problem(where, "expected a map");
      continue;
    }
    reader.check_keys(t, where,
                      {"test_id", "test_title", "desc", "stages", "tags", "enabled", "rule_id"});
    Test test;
    test.file = reader.file();
    test.rule_id = rule_id;
    test.enabled = enabled;
    if (YAML::Node n = t["rule_id"]; n && !n.IsNull()) {
      test.rule_id = reader.unsigned_int(n, where + ".rule_id").value_or(rule_id);
    }
    if (format == Format::kFtw) {
      test.id = reader.scalar(t["test_title"], where + ".test_title").value_or("");
      if (test.id.empty()) {
        reader.problem(where, "no test_title");
        test.id = std::to_string(test.rule_id) + "-" + std::to_string(i + 1);
      }
    } else {
      std::uint64_t number = i + 1;  // go-ftw numbers tests without an id by position
      if (YAML::Node n = t["test_id"]; n && !n.IsNull()) {
        number = reader.unsigned_int(n, where + ".test_id").value_or(number);
        if (number == 0) number = i + 1;
      } else if (t["test_title"]) {
        reader.problem(where, "test_title in a go-ftw suite (is this the ftw format?)");
      }
      test.id = std::to_string(test.rule_id) + "-" + std::to_string(number);
    }
    if (YAML::Node n = t["desc"]; n && n.IsScalar()) test.description = n.Scalar();
    if (YAML::Node n = t["enabled"]; n && !n.IsNull()) {
      test.enabled = test.enabled && reader.boolean(n, where + ".enabled").value_or(true);
    }
    YAML::Node stages = t["stages"];
    if (!stages || !stages.IsSequence() || stages.size() == 0) {
      reader.problem(where, "expected a non-empty list of stages");
      continue;
    }
    for (size_t s = 0; s < stages.size(); ++s) {
      read_stage(reader, stages[s], where + ".stages[" + std::to_string(s) + "]", format, test);
    }
    if (!test.stages.empty()) suite.tests.push_back(std::move(test));
  }
}

}  // namespace

size_t Suite::stage_count() const {
  size_t n = 0;
  for (const Test& test : tests) n += test.stages.size();
  return n;
}

void load_document(const std::string& text, const fs::path& file, Format format, Suite& suite) {
  Reader reader(file, suite);
  try {
    read_document(reader, YAML::Load(text), format, suite);
  } catch (const YAML::Exception& e) {
    reader.problem("yaml", e.what());
  }
}

Suite load_suite(const fs::path& directory, Format format) {
  Suite suite;
  suite.format = format;
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    suite.problems.push_back(directory.string() + ": not a directory");
    return suite;
  }
  for (fs::recursive_directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    if (ext == ".yaml" || ext == ".yml") suite.files.push_back(it->path());
  }
  if (ec) suite.problems.push_back(directory.string() + ": " + ec.message());
  std::sort(suite.files.begin(), suite.files.end());
  for (const fs::path& file : suite.files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      suite.problems.push_back(file.string() + ": cannot be read");
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    load_document(text.str(), file, format, suite);
  }
  return suite;
}

std::optional<std::string> Exclusions::reason_for(const Test& test) const {
  if (auto it = reasons.find(test.id); it != reasons.end()) return it->second;
  if (auto it = reasons.find(std::to_string(test.rule_id)); it != reasons.end()) {
    return it->second;
  }
  return std::nullopt;
}

Exclusions parse_exclusions(const std::string& text, const std::string& name) {
  Exclusions exclusions;
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) return exclusions;
    if (!root.IsSequence()) {
      exclusions.problems.push_back(name + ": expected a list of {test, reason}");
      return exclusions;
    }
    for (size_t i = 0; i < root.size(); ++i) {
      const YAML::Node& entry = root[i];
      std::string where = name + ": [" + std::to_string(i) + "]";
      if (!entry.IsMap() || !entry["test"] || !entry["test"].IsScalar()) {
        exclusions.problems.push_back(where + ": expected {test: ID, reason: TEXT}");
        continue;
      }
      for (const auto& field : entry) {
        std::string key = field.first.Scalar();
        if (key != "test" && key != "reason") {
          exclusions.problems.push_back(where + ": unknown key '" + key + "'");
        }
      }
      std::string reason;
      if (entry["reason"] && entry["reason"].IsScalar()) reason = entry["reason"].Scalar();
      if (reason.empty()) exclusions.problems.push_back(where + ": no reason given");
      exclusions.reasons[entry["test"].Scalar()] = reason;
    }
  } catch (const YAML::Exception& e) {
    exclusions.problems.push_back(name + ": " + e.what());
  }
  return exclusions;
}

std::size_t apply_overrides(const fs::path& path, Suite& suite) {
  Reader reader(path, suite);
  std::size_t changed = 0;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path.string());
  } catch (const YAML::Exception& e) {
    reader.problem("", e.what());
    return 0;
  }
  const YAML::Node list = root["test_overrides"];
  if (!list || !list.IsSequence()) {
    reader.problem("test_overrides", "expected a list");
    return 0;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    std::string where = "test_overrides[" + std::to_string(i) + "]";
    reader.check_keys(entry, where, {"rule_id", "test_ids", "reason", "output"});
    auto rule = reader.id_list(entry["rule_id"], where + ".rule_id");
    if (rule.size() != 1 || !entry["output"]) {
      reader.problem(where, "needs a rule_id and an output");
      continue;
    }
    std::vector<std::uint64_t> ids;
    if (entry["test_ids"]) ids = reader.id_list(entry["test_ids"], where + ".test_ids");
    StageOutput output;
    read_output(reader, entry["output"], where + ".output", output);
    for (Test& test : suite.tests) {
      if (test.rule_id != rule[0]) continue;
      if (!ids.empty()) {
        std::string prefix = std::to_string(rule[0]) + "-";
        if (test.id.rfind(prefix, 0) != 0) continue;
        std::uint64_t n = std::strtoull(test.id.c_str() + prefix.size(), nullptr, 10);
        if (std::find(ids.begin(), ids.end(), n) == ids.end()) continue;
      }
      for (Stage& stage : test.stages) stage.output = output;
      ++changed;
    }
  }
  return changed;
}

Exclusions load_exclusions(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Exclusions exclusions;
    exclusions.problems.push_back(path.string() + ": cannot be read");
    return exclusions;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_exclusions(text.str(), path.string());
}

}  // namespace portcullis::testing::crs
