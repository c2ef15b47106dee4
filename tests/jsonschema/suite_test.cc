// The official JSON-Schema-Test-Suite, required tests (not optional/), through the compiled
// validator (schema/json_schema.h) with every instance parsed by our own parser
// (schema/json.h). Draft 4 comes from Debian's json-schema-test-suite package; Debian 12's
// copy predates draft 2020-12, whose tests (and the suite's remote documents) come from the
// copy of the suite that Debian's golang-github-flowstack-go-jsonschema-dev package carries.
//
// Prints one line per draft, "jsonschema-draft4: N passed, M failed, K skipped", and fails
// below the targets: 99% of draft 4 and 95% of draft 2020-12 must pass. Set
// PORTCULLIS_SUITE_SHOW=1 to list every failed test.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "schema/json.h"
#include "schema/json_schema.h"

namespace portcullis::schema {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kDraft4 = PORTCULLIS_SUITE_DRAFT4;
const fs::path kGoSuite = PORTCULLIS_SUITE_2020;  // testdata/ of the Go package

// Groups left out, with the reason: "draft/file.json|group description".
constexpr const char* kNoMetaVocabularies =
    "validates against the 2020-12 meta-schema, whose vocabulary documents (meta/core, "
    "meta/applicator ...) no Debian 12 package carries";
const std::map<std::string, std::string> kSkipped = {
    {"draft2020-12/defs.json|validate definition against metaschema", kNoMetaVocabularies},
    {"draft2020-12/id.json|Invalid use of fragments in location-independent $id",
     kNoMetaVocabularies},
    {"draft2020-12/id.json|Valid use of empty fragments in location-independent $id",
     kNoMetaVocabularies},
    {"draft2020-12/id.json|Unnormalized $ids are allowed but discouraged", kNoMetaVocabularies},
    {"draft2020-12/ref.json|remote ref, containing refs itself", kNoMetaVocabularies},
};

json read_json(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
};

Tally run_draft(const fs::path& dir, Dialect dialect, const fs::path& remotes,
                const std::map<std::string, fs::path>& metaschemas) {
  Tally t;
  const bool show = std::getenv("PORTCULLIS_SUITE_SHOW") != nullptr;
  std::set<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") files.insert(e.path());
  }
  // The suite's remote documents are served from http://localhost:1234/ in its own runs.
  auto loader = [&](const std::string& uri) -> Result<json> {
    const std::string remote = "http://localhost:1234/";
    std::string plain = uri;
    auto meta = metaschemas.find(plain);
    if (meta != metaschemas.end()) return read_json(meta->second);
    if (plain.rfind(remote, 0) == 0) {
      fs::path p = remotes / plain.substr(remote.size());
      if (fs::is_regular_file(p)) return read_json(p);
    }
    return Error{"not found"};
  };
  for (const fs::path& file : files) {
    json groups = read_json(file);
    for (const json& group : groups) {
      const std::string name = dir.filename().string() + "/" + file.filename().string() + "|" +
                               group["description"].get<std::string>();
      const auto& tests = group["tests"];
      if (kSkipped.count(name)) {
        t.skipped += static_cast<int>(tests.size());
        continue;
      }
      SchemaOptions options;
      options.dialect = dialect;
      options.assert_formats = false;
      options.request = false;
      SchemaSet set(options, loader);
      const std::string base = "http://portcullis.invalid/suite/schema.json";
      set.add_document(base, group["schema"]);
      auto id = set.compile(base);
      for (const json& test : tests) {
        bool ok = false;
        std::string why;
        if (!id) {
          why = "compile: " + id.error().to_string();
        } else {
          std::pmr::monotonic_buffer_resource arena;
          std::string text = test["data"].dump();
          JsonResult parsed = parse_json(text, &arena);
          if (parsed.value == nullptr) {
            why = "parse: " + std::string(parsed.error);
          } else {
            bool valid = set.validate(id.value(), *parsed.value);
            ok = valid == test["valid"].get<bool>();
            if (!ok) why = valid ? "accepted an invalid value" : "refused a valid value";
          }
        }
        if (ok) {
          ++t.passed;
        } else {
          ++t.failed;
          if (show) {
            std::printf("FAIL %s | %s: %s\n", name.c_str(),
                        test["description"].get<std::string>().c_str(), why.c_str());
          }
        }
      }
    }
  }
  return t;
}

double pass_rate(const Tally& t) {
  int total = t.passed + t.failed + t.skipped;
  return total == 0 ? 0 : 100.0 * t.passed / total;
}

TEST(JsonSchemaSuite, Draft4) {
  ASSERT_TRUE(fs::is_directory(kDraft4)) << kDraft4 << ": install json-schema-test-suite";
  Tally t =
      run_draft(kDraft4, Dialect::kDraft4, kDraft4.parent_path().parent_path() / "remotes",
                {{"http://json-schema.org/draft-04/schema", kGoSuite / "draft-04.schema.json"}});
  std::printf("jsonschema-draft4: %d passed, %d failed, %d skipped\n", t.passed, t.failed,
              t.skipped);
  EXPECT_GT(t.passed, 250);
  EXPECT_GE(pass_rate(t), 99.0);
}

TEST(JsonSchemaSuite, Draft2020_12) {
  ASSERT_TRUE(fs::is_directory(kGoSuite / "draft2020-12"))
      << kGoSuite << ": install golang-github-flowstack-go-jsonschema-dev";
  Tally t = run_draft(
      kGoSuite / "draft2020-12", Dialect::kDraft2020, kGoSuite / "remotes",
      {{"https://json-schema.org/draft/2020-12/schema", kGoSuite / "draft-2020-12.schema.json"}});
  std::printf("jsonschema-draft2020-12: %d passed, %d failed, %d skipped\n", t.passed, t.failed,
              t.skipped);
  EXPECT_GT(t.passed, 900);
  EXPECT_GE(pass_rate(t), 95.0);
}

}  // namespace
}  // namespace portcullis::schema
