// The detectors against the labelled evaluation set in tests/detect/data: attacks by category
// (attacks/sqli, attacks/xss) and benign strings that look dangerous to naive rules (benign/).
// Each line is a value as it arrives in a query string or form field; it goes through the
// transformations CRS applies before the detector (rules 942100 and 941100), then the detector.
// Prints a table per detector (detection rate per attack category, false positives per benign
// category, for the whole set and for its two halves: odd lines and even lines) and checks the
// targets: at least 97% detection, at most 0.1% false positives. PORTCULLIS_DETECT_SHOW=odd
// (or even, or all) lists the misses and false positives of that half.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory_resource>
#include <string>
#include <string_view>
#include <vector>

#include "waf/detect/sqli.h"
#include "waf/detect/xss.h"
#include "waf/transformations/transformation.h"

namespace portcullis::waf::detect {
namespace {

namespace fs = std::filesystem;

constexpr double kMinDetection = 0.97;
constexpr double kMaxFalsePositives = 0.001;

struct Case {
  std::string value;
  bool odd;  // the 1st, 3rd, 5th … case of its file
};

struct Category {
  std::string name;
  std::vector<Case> cases;
};

std::vector<Category> read_categories(const fs::path& dir) {
  std::vector<Category> out;
  if (!fs::is_directory(dir)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    Category category{file.stem().string(), {}};
    std::ifstream in(file, std::ios::binary);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      category.cases.push_back(Case{line, n++ % 2 == 0});
    }
    out.push_back(std::move(category));
  }
  return out;
}

// The value after CRS's transformation chain `names`.
std::string transform(std::string_view value, std::initializer_list<std::string_view> names) {
  std::pmr::string current(value), out;
  for (std::string_view name : names) {
    const TransformationInfo* info = find_transformation(name);
    if (info == nullptr || info->fn == nullptr) ADD_FAILURE() << "no transformation " << name;
    if (info != nullptr && info->fn != nullptr && info->fn(current, out)) current.swap(out);
  }
  return std::string(current);
}

bool sqli(std::string_view line) {
  return detect_sqli(transform(line, {"utf8toUnicode", "urlDecodeUni", "removeNulls"})).found;
}

bool xss(std::string_view line) {
  return detect_xss(transform(line, {"utf8toUnicode", "urlDecodeUni", "htmlEntityDecode",
                                     "jsDecode", "cssDecode", "removeNulls"}))
      .found;
}

struct Tally {
  std::size_t hits = 0, total = 0;
  void add(bool hit) {
    hits += hit ? 1 : 0;
    ++total;
  }
  double rate() const { return total == 0 ? 0.0 : static_cast<double>(hits) / total; }
};

struct Counts {
  Tally all, odd, even;
};

fs::path data_dir() { return fs::path(PORTCULLIS_DETECT_DATA); }

std::string show_half() {
  const char* v = std::getenv("PORTCULLIS_DETECT_SHOW");
  return v == nullptr ? "" : v;
}

// Runs `detector` over every category in `dir` and prints one row per category.
std::map<std::string, Counts> evaluate(const fs::path& dir, bool (*detector)(std::string_view),
                                       bool attacks, const char* title) {
  std::map<std::string, Counts> rows;
  const std::string show = show_half();
  std::printf("\n%s\n%-34s %9s %9s %9s %7s\n", title, "category", attacks ? "detected" : "flagged",
              "odd half", "even half", "cases");
  for (const Category& category : read_categories(dir)) {
    Counts& c = rows[category.name];
    for (const Case& k : category.cases) {
      bool hit = detector(k.value);
      c.all.add(hit);
      (k.odd ? c.odd : c.even).add(hit);
      bool shown = show == "all" || (show == "odd" && k.odd) || (show == "even" && !k.odd);
      if (shown && hit != attacks) {
        std::printf("  %s %s: %s\n", attacks ? "missed" : "flagged", category.name.c_str(),
                    k.value.c_str());
      }
    }
    std::printf("%-34s %8.1f%% %8.1f%% %8.1f%% %7zu\n", category.name.c_str(), 100 * c.all.rate(),
                100 * c.odd.rate(), 100 * c.even.rate(), c.all.total);
  }
  return rows;
}

Counts total(const std::map<std::string, Counts>& rows, std::string_view except = {}) {
  Counts t;
  for (const auto& [name, c] : rows) {
    if (name == except) continue;
    for (auto [from, to] : {std::pair{&c.all, &t.all}, {&c.odd, &t.odd}, {&c.even, &t.even}}) {
      to->hits += from->hits;
      to->total += from->total;
    }
  }
  return t;
}

void print_total(const char* label, const Counts& t) {
  std::printf("%-34s %8.2f%% %8.2f%% %8.2f%% %7zu\n", label, 100 * t.all.rate(), 100 * t.odd.rate(),
              100 * t.even.rate(), t.all.total);
}

// Prints the tables of `detector` (attacks in attacks/`folder`, all benign strings) and checks
// the targets; the category `blind_spot` is printed but left out of the detection rate.
void expect_targets(const char* name, const char* folder, bool (*detector)(std::string_view),
                    std::string_view blind_spot = {}) {
  std::string title = std::string(name) + ": attacks";
  auto attacks = evaluate(data_dir() / "attacks" / folder, detector, true, title.c_str());
  Counts a = total(attacks, blind_spot);
  print_total(blind_spot.empty() ? "all attacks" : "all attacks (without blind spot)", a);
  title = std::string(name) + ": benign strings";
  auto benign = evaluate(data_dir() / "benign", detector, false, title.c_str());
  Counts b = total(benign);
  print_total("all benign", b);
  ASSERT_GE(a.all.total, 300u);
  ASSERT_GE(b.all.total, 2000u);
  EXPECT_GE(a.all.rate(), kMinDetection);
  EXPECT_LE(b.all.rate(), kMaxFalsePositives);
}

TEST(DetectorEvaluationTest, SqliDetectsAttacksAndLeavesBenignStringsAlone) {
  expect_targets("@detectSQLi", "sqli", &sqli);
}

TEST(DetectorEvaluationTest, XssDetectsAttacksAndLeavesBenignStringsAlone) {
  expect_targets("@detectXSS", "xss", &xss, "js_context_blind_spot");
}

}  // namespace
}  // namespace portcullis::waf::detect
