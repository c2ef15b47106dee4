// The OWASP CRS regression suite against the real portcullis binary, the way go-ftw runs it
// against ModSecurity: a backend (backend.h), the proxy in detect mode loading a test setup,
// crs-setup and the rules, then for every stage of every test the exact request bytes
// (request_builder.h), a log marker request, and the security events in between judged as
// go-ftw judges error-log lines (stage_check.h). Prints one line per failed test and ends with
// "NAME: N passed, M failed, K skipped"; exits 0 only when nothing failed.
//
// Run with --help for the flags; tests/CMakeLists.txt registers crs.v4.28.0 and crs.v3.3.4.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/crs/backend.h"
#include "tests/crs/child_process.h"
#include "tests/crs/http_client.h"
#include "tests/crs/request_builder.h"
#include "tests/crs/security_events.h"
#include "tests/crs/socket_io.h"
#include "tests/crs/stage_check.h"
#include "tests/crs/suite.h"

namespace portcullis::testing::crs {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// Stages in a row without a log marker after which the proxy counts as hung.
constexpr int kMaxMissedMarkers = 3;
// How often a proxy that died or hung is replaced before the rest of the run is given up.
constexpr int kMaxRestarts = 25;

constexpr std::string_view kUsage = R"(usage: crs_runner --format v3|v4 --tests DIR [options]

Runs an OWASP CRS regression suite (go-ftw or ftw YAML files) against portcullis.

  --format v3|v4        v4: CRS 4 go-ftw files; v3: CRS 3 ftw files (also picks the
                        SecAction id:900005 variant written to the setup file)
  --tests DIR           the suite's tests/regression/tests directory (*.yaml, *.yml)
  --name NAME           prefix of the summary line (default: crs)
  --portcullis FILE     the portcullis binary
  --crs-setup FILE      crs-setup.conf(.example), loaded after the runner's setup file
  --rules-dir DIR       loads DIR/*.conf after crs-setup
  --rules FILE|GLOB     more rule files after those (repeatable)
  --exclusions FILE     YAML list of {test: ID, reason: TEXT}; excluded tests are skipped
  --overrides FILE      go-ftw override file: the expected output of the tests it names is
                        replaced by the engine-specific one it gives (repeatable)
  --missing-hint TEXT   added to the error when --rules-dir or --crs-setup does not exist
  --only ID[,ID...]     run only these tests ("942100-3") or rules ("942100")
  --verbose             print each failure's request, expectations and logged rule ids
  --list                parse the suite, print counts and problems, run nothing
  --print-requests      print the request bytes of the selected stages, run nothing
  --no-waf              run the proxy without a waf section; log expectations not checked
  --no-proxy            send stages straight to the backend; log expectations not checked
  --timeout MS          per-request deadline (default 10000)
  --marker-timeout MS   how long to wait for a log marker (default 5000)
  --start-timeout MS    how long the proxy may take to listen and log a first marker
                        (default 120000)
  --keep-temp           keep the temporary directory (config, setup file, event log)
)";

struct Options {
  std::string name = "crs";
  std::optional<Format> format;
  fs::path tests;
  fs::path portcullis;
  fs::path crs_setup;
  fs::path rules_dir;
  std::vector<std::string> rules;
  fs::path exclusions;
  std::vector<fs::path> overrides;
  std::string missing_hint;
  std::set<std::string> only;
  bool verbose = false;
  bool list = false;
  bool print_requests = false;
  bool no_waf = false;
  bool no_proxy = false;
  bool keep_temp = false;
  milliseconds timeout{10000};
  milliseconds marker_timeout{5000};
  milliseconds start_timeout{120000};
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "crs_runner: " << message << "\n\n" << kUsage;
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage_error(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto millis = [&](int& i) {
    std::string v = value(i);
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (end == v.c_str() || *end != '\0' || n <= 0) usage_error("not a duration in ms: " + v);
    return milliseconds(n);
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else if (a == "--format") {
      std::string f = value(i);
      if (f == "v3") {
        o.format = Format::kFtw;
      } else if (f == "v4") {
        o.format = Format::kGoFtw;
      } else {
        usage_error("--format takes v3 or v4");
      }
    } else if (a == "--tests") {
      o.tests = value(i);
    } else if (a == "--name") {
      o.name = value(i);
    } else if (a == "--portcullis") {
      o.portcullis = value(i);
    } else if (a == "--crs-setup") {
      o.crs_setup = value(i);
    } else if (a == "--rules-dir") {
      o.rules_dir = value(i);
    } else if (a == "--rules") {
      o.rules.push_back(value(i));
    } else if (a == "--exclusions") {
      o.exclusions = value(i);
    } else if (a == "--overrides") {
      o.overrides.push_back(value(i));
    } else if (a == "--missing-hint") {
      o.missing_hint = value(i);
    } else if (a == "--only") {
      std::stringstream ids(value(i));
      for (std::string id; std::getline(ids, id, ',');) {
        if (!id.empty()) o.only.insert(id);
      }
    } else if (a == "--verbose") {
      o.verbose = true;
    } else if (a == "--list") {
      o.list = true;
    } else if (a == "--print-requests") {
      o.print_requests = true;
    } else if (a == "--no-waf") {
      o.no_waf = true;
    } else if (a == "--no-proxy") {
      o.no_proxy = true;
    } else if (a == "--timeout") {
      o.timeout = millis(i);
    } else if (a == "--marker-timeout") {
      o.marker_timeout = millis(i);
    } else if (a == "--start-timeout") {
      o.start_timeout = millis(i);
    } else if (a == "--keep-temp") {
      o.keep_temp = true;
    } else {
      usage_error("unknown argument " + a);
    }
  }
  if (!o.format) usage_error("--format is required");
  if (o.tests.empty()) usage_error("--tests is required");
  return o;
}

// The engine settings CRS's CI runs with, the test configuration of the suite's README
// (SecAction id:900005; CRS 3 names the paranoia variable tx.paranoia_level) and go-ftw's log
// marker rule, which also removes every other rule from the marker request so that markers
// never add matches of their own.
std::string setup_rules(Format format) {
  std::string s =
      "# Written by the CRS regression runner (tests/crs/crs_runner.cc).\n"
      "# The engine settings of CRS's own test environment (modsecurity.conf-recommended in\n"
      "# the modsecurity-crs-docker image): request bodies and text responses are inspected.\n"
      "SecRequestBodyAccess On\n"
      "SecResponseBodyAccess On\n"
      "SecResponseBodyMimeType text/plain text/html text/xml\n"
      "SecAction \"id:900005,\\\n"
      "  phase:1,\\\n"
      "  nolog,\\\n"
      "  pass,\\\n"
      "  ctl:ruleEngine=DetectionOnly,\\\n"
      "  ctl:ruleRemoveById=910000,\\\n";
  if (format == Format::kGoFtw) {
    s += "  setvar:tx.blocking_paranoia_level=4,\\\n"
         "  setvar:tx.crs_validate_utf8_encoding=1,\\\n"
         "  setvar:tx.arg_name_length=100,\\\n"
         "  setvar:tx.arg_length=400,\\\n"
         "  setvar:tx.total_arg_length=64000,\\\n"
         "  setvar:tx.max_num_args=255,\\\n"
         "  setvar:tx.max_file_size=64100,\\\n"
         "  setvar:tx.combined_file_sizes=65535\"\n";
  } else {
    s += "  setvar:tx.paranoia_level=4,\\\n"
         "  setvar:tx.crs_validate_utf8_encoding=1,\\\n"
         "  setvar:tx.arg_name_length=100,\\\n"
         "  setvar:tx.arg_length=400\"\n";
  }
  s += "SecRule REQUEST_HEADERS:X-CRS-Test \"@rx ^.*$\" "
       "\"id:999999,phase:1,log,pass,msg:'X-CRS-Test %{MATCHED_VAR}',"
       "ctl:ruleRemoveById=1-999998\"\n";
  return s;
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string proxy_config(const Options& o, std::uint16_t backend_port, const fs::path& events,
                         const fs::path& setup) {
  std::ostringstream y;
  y << "# Written by the CRS regression runner (tests/crs/crs_runner.cc).\n"
    << "workers: 1\n"
    << "listen: [127.0.0.1:0]\n"
    << "logging:\n"
    << "  events: " << yaml_quote(events.string()) << "\n"
    << "limits:\n"
    << "  header_bytes: 256KiB\n"
    << "  header_count: 1000\n"
    << "  uri_bytes: 64KiB\n"
    << "  body_bytes: 64MiB\n"
    << "upstreams:\n"
    << "  - name: backend\n"
    << "    endpoints: [127.0.0.1:" << backend_port << "]\n"
    << "routes:\n"
    << "  - upstream: backend\n"
    << "    policy: crs\n"
    << "policies:\n"
    << "  - name: crs\n"
    << "    mode: detect\n"
    << "    body_inspection:\n"
    << "      limit: 16MiB\n";
  if (!o.no_waf) {
    y << "    waf:\n"
      << "      rules:\n"
      << "        - " << yaml_quote(setup.string()) << "\n";
    if (!o.crs_setup.empty()) y << "        - " << yaml_quote(o.crs_setup.string()) << "\n";
    if (!o.rules_dir.empty()) {
      y << "        - " << yaml_quote((o.rules_dir / "*.conf").string()) << "\n";
    }
    for (const std::string& r : o.rules) y << "        - " << yaml_quote(r) << "\n";
  }
  return y.str();
}

// Bytes made readable for a terminal: CR LF shown, other controls and non-ASCII as \xHH.
std::string printable(std::string_view bytes, size_t max = 4096) {
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    auto u = static_cast<unsigned char>(bytes[i]);
    if (bytes[i] == '\r') {
      out += "\\r";
    } else if (bytes[i] == '\n') {
      out += "\\n\n";
    } else if (u < 0x20 || u >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      out += hex;
    } else {
      out += bytes[i];
    }
  }
  if (bytes.size() > max) out += "... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

std::string describe_expectations(const StageOutput& e) {
  std::ostringstream out;
  if (e.expect_error) out << " expect_error";
  if (!e.status.empty()) {
    out << " status=";
    for (size_t i = 0; i < e.status.size(); ++i) out << (i ? "|" : "") << e.status[i];
  }
  auto ids = [&](const char* name, const std::vector<std::uint64_t>& v) {
    if (v.empty()) return;
    out << " " << name << "=[";
    for (size_t i = 0; i < v.size(); ++i) out << (i ? " " : "") << v[i];
    out << "]";
  };
  ids("expect_ids", e.expect_ids);
  ids("no_expect_ids", e.no_expect_ids);
  if (!e.match_regex.empty()) out << " match_regex=/" << e.match_regex << "/";
  if (!e.no_match_regex.empty()) out << " no_match_regex=/" << e.no_match_regex << "/";
  if (!e.response_contains.empty()) out << " response_contains=/" << e.response_contains << "/";
  if (e.isolated) out << " isolated";
  std::string s = out.str();
  return s.empty() ? " (nothing)" : s;
}

bool selected(const Options& o, const Test& test) {
  return o.only.empty() || o.only.count(test.id) || o.only.count(std::to_string(test.rule_id));
}

std::string method_of(std::string_view request) {
  size_t sp = request.find(' ');
  return std::string(request.substr(0, sp == std::string_view::npos ? 0 : sp));
}

// Checks every stage that can be checked without running it: the request can be built and
// every regex compiles. Adds problems to the suite.
void validate(Suite& suite) {
  for (const Test& test : suite.tests) {
    for (size_t i = 0; i < test.stages.size(); ++i) {
      const Stage& stage = test.stages[i];
      std::string where = test.file.string() + ": " + test.id + " stage " + std::to_string(i + 1);
      std::string why;
      if (!build_request(stage.input, suite.format, &why)) {
        suite.problems.push_back(where + ": " + why);
      }
      for (const std::string* re : {&stage.output.match_regex, &stage.output.no_match_regex,
                                    &stage.output.response_contains}) {
        if (!re->empty() && !regex_compiles(*re, &why)) {
          suite.problems.push_back(where + ": regex /" + *re + "/ does not compile: " + why);
        }
      }
      if (stage.input.protocol != "http") {
        suite.notes.push_back(where + ": protocol '" + stage.input.protocol +
                              "' is sent as plain http");
      }
    }
  }
}

// Everything one run needs while it goes.
class Run {
 public:
  Run(const Options& options, const Suite& suite)
      : o_(options), suite_(suite), tag_(random_tag()) {}

  // Sends the next stages to `port`; `log` (when set) is where their events appear.
  void attach(std::uint16_t port, std::optional<EventLogTail> log) {
    port_ = port;
    log_ = std::move(log);
    missed_markers_ = 0;
  }

  // Sends markers until one shows in the log; false when none does within `timeout`.
  bool synchronize(milliseconds timeout) {
    return wait_for_marker(tag_ + "-start", timeout).has_value();
  }

  // Runs one test; empty when it passed, else why not.
  std::string run_test(const Test& test) {
    std::string failure;
    for (size_t i = 0; i < test.stages.size(); ++i) {
      const Stage& stage = test.stages[i];
      std::string why = run_stage(test, i, stage);
      if (!why.empty() && stage.output.retry_once) why = run_stage(test, i, stage);
      if (!why.empty() && failure.empty()) {
        failure = test.stages.size() > 1 ? "stage " + std::to_string(i + 1) + ": " + why : why;
      }
    }
    return failure;
  }

  // Whether the last kMaxMissedMarkers stages all lost their marker.
  bool unresponsive() const { return missed_markers_ >= kMaxMissedMarkers; }

 private:
  static std::string random_tag() {
    std::random_device device;
    std::ostringstream out;
    out << std::hex << device() << device();
    return out.str();
  }

  // Reads the log until the marker `id` appears; the events before it (minus other markers)
  // are returned. nullopt when it does not appear within `timeout`, resending the marker
  // request every second as go-ftw does.
  std::optional<std::vector<SecurityEvent>> wait_for_marker(const std::string& id,
                                                            milliseconds timeout) {
    std::vector<SecurityEvent> window;
    const auto deadline = Clock::now() + timeout;
    const std::string request = marker_request(id);
    while (Clock::now() < deadline) {
      http_exchange(port_, request, "GET", std::min(o_.timeout, milliseconds(2000)));
      const auto resend_at = std::min(deadline, Clock::now() + milliseconds(1000));
      while (Clock::now() < resend_at) {
        for (const std::string& line : log_->read_lines()) {
          std::string why;
          auto event = parse_event(line, &why);
          if (!event) {
            if (o_.verbose) std::cout << "  (event log line skipped: " << why << ")\n";
            continue;
          }
          if (auto marker = event->marker()) {
            if (*marker == id) return window;
            continue;  // a late marker of an earlier stage
          }
          window.push_back(std::move(*event));
        }
        std::this_thread::sleep_for(milliseconds(5));
      }
    }
    return std::nullopt;
  }

  std::string run_stage(const Test& test, size_t index, const Stage& stage) {
    std::string why;
    auto request = build_request(stage.input, suite_.format, &why);
    if (!request) return "cannot build the request: " + why;
    StageObservation observed;
    HttpResult result = http_exchange(port_, *request, method_of(*request), o_.timeout);
    observed.error = result.error;
    if (result.response) {
      observed.status = result.response->status;
      observed.response_text = result.response->head + "\r\n\r\n" + result.response->body;
    }
    std::vector<SecurityEvent> events;
    if (log_) {
      auto window = wait_for_marker(tag_ + "-" + std::to_string(++sequence_), o_.marker_timeout);
      missed_markers_ = window ? 0 : missed_markers_ + 1;
      if (window) {
        events = std::move(*window);
        observed.log_available = true;
        for (const SecurityEvent& event : events) {
          for (std::string& line : modsecurity_lines(event)) {
            observed.log_lines.push_back(std::move(line));
          }
          collect_rule_ids(event, observed.rule_ids);
        }
      } else if (stage.output.checks_log()) {
        why = "log marker not found in the event log within " +
              std::to_string(o_.marker_timeout.count()) + " ms";
      }
    }
    if (why.empty()) why = check_stage(stage.output, observed);
    if (!why.empty() && o_.verbose) report(test, index, stage, *request, observed, why);
    return why;
  }

  void report(const Test& test, size_t index, const Stage& stage, const std::string& request,
              const StageObservation& observed, const std::string& why) {
    std::ostringstream out;
    out << "---- " << test.id << " stage " << index + 1 << " (" << test.file.filename().string()
        << ")";
    if (!test.description.empty()) out << ": " << test.description;
    out << "\n  why: " << why << "\n  expected:" << describe_expectations(stage.output)
        << "\n  got: ";
    if (!observed.error.empty()) {
      out << "error: " << observed.error;
    } else {
      out << "status " << observed.status.value_or(0);
    }
    out << "\n  rule ids logged:";
    if (!observed.log_available) out << " (log not read)";
    for (std::uint64_t id : observed.rule_ids) out << " " << id;
    out << "\n  request:\n" << printable(request) << "\n";
    size_t shown = 0;
    for (const std::string& line : observed.log_lines) {
      if (++shown > 30) {
        out << "  ... " << observed.log_lines.size() - 30 << " more log lines\n";
        break;
      }
      out << "  log: " << line.substr(0, 600) << "\n";
    }
    std::cout << out.str() << std::flush;
  }

  const Options& o_;
  const Suite& suite_;
  std::uint16_t port_ = 0;
  std::optional<EventLogTail> log_;
  std::string tag_;
  std::uint64_t sequence_ = 0;
  int missed_markers_ = 0;
};

// A directory under $TMPDIR (or /tmp), removed on destruction unless kept.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/crs-runner-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
      std::cerr << "crs_runner: mkdtemp: " << std::strerror(errno) << "\n";
      std::exit(2);
    }
    path_ = buffer.data();
  }
  ~TempDir() {
    if (keep_) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void keep() { keep_ = true; }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_ = false;
};

std::string last_lines(const std::string& text, size_t n) {
  size_t at = text.size();
  for (size_t i = 0; i <= n && at != std::string::npos && at > 0; ++i) {
    at = text.rfind('\n', at - 1);
  }
  return at == std::string::npos ? text : text.substr(at + 1);
}

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  return static_cast<bool>(out);
}

int list(const Options& o, const Suite& suite, const Exclusions& exclusions) {
  size_t disabled = 0;
  size_t excluded = 0;
  size_t shown_tests = 0;
  size_t shown_stages = 0;
  for (const Test& test : suite.tests) {
    if (!selected(o, test)) continue;
    ++shown_tests;
    shown_stages += test.stages.size();
    if (!test.enabled) ++disabled;
    if (exclusions.reason_for(test)) ++excluded;
  }
  std::cout << o.name << ": " << suite.files.size() << " files, " << shown_tests << " tests, "
            << shown_stages << " stages (" << disabled << " disabled, " << excluded
            << " excluded)\n";
  std::vector<std::string> problems = suite.problems;
  problems.insert(problems.end(), exclusions.problems.begin(), exclusions.problems.end());
  std::cout << problems.size() << " problems\n";
  for (const std::string& p : problems) std::cout << "  " << p << "\n";
  std::cout << suite.notes.size() << " notes\n";
  for (const std::string& n : suite.notes) std::cout << "  " << n << "\n";
  return problems.empty() ? 0 : 1;
}

int print_requests(const Options& o, const Suite& suite) {
  for (const Test& test : suite.tests) {
    if (!selected(o, test)) continue;
    for (size_t i = 0; i < test.stages.size(); ++i) {
      std::string why;
      auto request = build_request(test.stages[i].input, suite.format, &why);
      std::cout << "==== " << test.id << " stage " << i + 1 << " (" << test.file.filename().string()
                << ")\n"
                << (request ? printable(*request, 1 << 20) : "cannot build: " + why) << "\n";
    }
  }
  return 0;
}

int run(const Options& o) {
  Suite suite = load_suite(o.tests, *o.format);
  std::size_t overridden = 0;
  for (const fs::path& path : o.overrides) overridden += apply_overrides(path, suite);
  if (overridden > 0) {
    std::cerr << "crs_runner: " << overridden << " tests expect what their override files say\n";
  }
  validate(suite);
  Exclusions exclusions;
  if (!o.exclusions.empty()) exclusions = load_exclusions(o.exclusions);
  if (o.list) return list(o, suite, exclusions);
  if (o.print_requests) return print_requests(o, suite);
  for (const std::string& p : exclusions.problems) std::cerr << "crs_runner: " << p << "\n";
  if (!exclusions.problems.empty()) return 2;
  if (suite.tests.empty()) {
    std::cerr << "crs_runner: no tests found under " << o.tests << "\n";
    for (const std::string& p : suite.problems) std::cerr << "  " << p << "\n";
    return 2;
  }
  if (!o.only.empty()) {
    bool any = std::any_of(suite.tests.begin(), suite.tests.end(),
                           [&](const Test& t) { return selected(o, t); });
    if (!any) {
      std::cerr << "crs_runner: --only matches no test\n";
      return 2;
    }
  }
  const bool use_proxy = !o.no_proxy;
  const bool use_waf = use_proxy && !o.no_waf;
  if (use_waf) {
    for (const fs::path& p : {o.crs_setup, o.rules_dir}) {
      std::error_code ec;
      if (!p.empty() && !fs::exists(p, ec)) {
        std::cerr << "crs_runner: " << p.string() << " does not exist"
                  << (o.missing_hint.empty() ? "" : " (" + o.missing_hint + ")") << "\n";
        return 2;
      }
    }
  }
  if (use_proxy && ::access(o.portcullis.c_str(), X_OK) != 0) {
    std::cerr << "crs_runner: --portcullis " << o.portcullis << " is not an executable\n";
    return 2;
  }

  Backend backend;
  std::string why;
  if (!backend.start(&why)) {
    std::cerr << "crs_runner: " << why << "\n";
    return 2;
  }
  TempDir temp;
  if (o.keep_temp) {
    temp.keep();
    std::cout << "crs_runner: temporary files in " << temp.path() << "\n";
  }
  const fs::path setup = temp.path() / "crs-test-setup.conf";
  if (!write_file(setup, setup_rules(*o.format))) {
    std::cerr << "crs_runner: cannot write to " << temp.path() << "\n";
    return 2;
  }

  Run runner(o, suite);
  std::unique_ptr<ChildProcess> proxy;
  int generation = 0;
  // Starts a proxy with a config and event log of its own; false and `why` when it does not
  // come up (or never logs a marker).
  auto launch = [&](std::string& failure) {
    if (proxy) proxy->stop();
    proxy = std::make_unique<ChildProcess>();
    ++generation;
    const std::string suffix = generation == 1 ? "" : "-" + std::to_string(generation);
    const fs::path events = temp.path() / ("events" + suffix + ".jsonl");
    const fs::path config = temp.path() / ("portcullis" + suffix + ".yaml");
    const std::string config_text = proxy_config(o, backend.port(), events, setup);
    if (!write_file(config, config_text)) {
      failure = "cannot write to " + temp.path().string();
      return false;
    }
    if (!proxy->start({o.portcullis.string(), "-c", config.string(), "--admin", "127.0.0.1:0"},
                      &failure)) {
      return false;
    }
    proxy->wait_for_output([](const std::string& out) { return listening_port(out) != 0; },
                           o.start_timeout);
    const std::uint16_t port = listening_port(proxy->output());
    if (port == 0) {
      failure = "portcullis did not start listening within " +
                std::to_string(o.start_timeout.count()) + " ms" +
                (proxy->running() ? "" : " (it " + proxy->exit_description() + ")") + "\nconfig " +
                config.string() + ":\n" + config_text + "portcullis output:\n" + proxy->output();
      return false;
    }
    runner.attach(port, use_waf ? std::optional<EventLogTail>(events) : std::nullopt);
    if (use_waf && !runner.synchronize(o.start_timeout)) {
      failure = "the event log " + events.string() + " never showed the X-CRS-Test marker within " +
                std::to_string(o.start_timeout.count()) +
                " ms: the proxy does not run the marker rule id:999999 of the setup file, or "
                "does not log its events\nportcullis output:\n" +
                proxy->output();
      return false;
    }
    return true;
  };
  if (use_proxy) {
    if (!launch(why)) {
      std::cerr << "crs_runner: " << why << "\n";
      return 1;
    }
  } else {
    runner.attach(backend.port(), std::nullopt);
  }
  if (!use_waf) {
    std::cout << "crs_runner: " << (use_proxy ? "--no-waf" : "--no-proxy")
              << ": log expectations are not checked\n";
  }

  size_t passed = 0;
  size_t failed = 0;
  size_t skipped = 0;
  int restarts = 0;
  bool gave_up = false;
  for (const Test& test : suite.tests) {
    if (!selected(o, test)) continue;
    if (!test.enabled) {
      ++skipped;
      if (o.verbose) std::cout << "skip " << test.id << ": disabled in its file\n";
      continue;
    }
    if (auto reason = exclusions.reason_for(test)) {
      ++skipped;
      if (o.verbose) std::cout << "skip " << test.id << ": excluded: " << *reason << "\n";
      continue;
    }
    if (gave_up) {
      ++failed;
      continue;
    }
    std::string failure = runner.run_test(test);
    if (failure.empty()) {
      ++passed;
      continue;
    }
    ++failed;
    std::cout << "FAIL " << test.id << ": " << failure << "\n" << std::flush;
    if (!use_proxy) continue;
    std::string trouble;
    if (!proxy->running()) {
      trouble = proxy->exit_description();
    } else if (runner.unresponsive()) {
      trouble = "stopped answering (no log marker for " + std::to_string(kMaxMissedMarkers) +
                " stages in a row)";
    }
    if (trouble.empty()) continue;
    std::cout << "crs_runner: portcullis " << trouble << " during " << test.id
              << "\nportcullis output (last lines):\n"
              << last_lines(proxy->output(), 20) << "\n";
    if (++restarts > kMaxRestarts) {
      gave_up = true;
      std::cout << "crs_runner: " << kMaxRestarts
                << " restarts used up; the remaining tests count as failed\n";
      continue;
    }
    std::cout << "crs_runner: restarting portcullis (" << restarts << " of " << kMaxRestarts
              << ")\n"
              << std::flush;
    if (!launch(why)) {
      gave_up = true;
      std::cout << "crs_runner: " << why << "\nthe remaining tests count as failed\n";
    }
  }
  if (proxy) proxy->stop();
  backend.stop();
  std::cout << o.name << ": " << passed << " passed, " << failed << " failed, " << skipped
            << " skipped\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace portcullis::testing::crs

int main(int argc, char** argv) {
  using namespace portcullis::testing::crs;
  return run(parse_options(argc, argv));
}
