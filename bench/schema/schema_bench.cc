// Micro-benchmark of request body validation (Google Benchmark): a ~1 KB order (schema_fixture/
// order.json) against a schema of 30 properties in nested objects and arrays
// (order.schema.json, OpenAPI 3.0 dialect, formats asserted), as the schema stage meets it:
// parse_json into the request's arena, then SchemaSet::validate. items_per_second is
// validations per second; bench/schema_vs_ajv.sh sets it beside Ajv's on the same files.
//
//   schema_bench [--fixture=DIR] [--benchmark_filter=ParseValidate]
//
// DIR holds order.schema.json, order.json and order-invalid.json; the default is the
// schema_fixture folder beside this file. Each iteration starts from a reset arena with an
// inline buffer, so the figures include no heap allocation once warm.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "schema/json.h"
#include "schema/json_schema.h"

namespace {

using portcullis::schema::Dialect;
using portcullis::schema::JsonLimits;
using portcullis::schema::JsonResult;
using portcullis::schema::parse_json;
using portcullis::schema::SchemaId;
using portcullis::schema::SchemaOptions;
using portcullis::schema::SchemaSet;
using portcullis::schema::ValidationOutput;
using portcullis::schema::Value;

constexpr JsonLimits kLimits{64};
constexpr std::size_t kMaxViolations = 10;

struct Fixture {
  std::optional<SchemaSet> set;
  SchemaId id = 0;
  std::string valid;
  std::string invalid;
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "schema_bench: %s\n", why.c_str());
  std::exit(1);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Loads and compiles the fixture, and checks that the documents are what their names say.
void load(const std::string& dir) {
  Fixture& f = fixture();
  SchemaOptions options;
  options.dialect = Dialect::kOpenApi30;
  f.set.emplace(options);
  const std::string uri = "mem://order.schema.json";
  auto schema = nlohmann::json::parse(read_file(dir + "/order.schema.json"), nullptr, false);
  if (schema.is_discarded()) die(dir + "/order.schema.json is not JSON");
  f.set->add_document(uri, std::move(schema));
  auto id = f.set->compile(uri);
  if (!id) die("the schema does not compile: " + id.error().to_string());
  f.id = id.value();
  f.valid = read_file(dir + "/order.json");
  f.invalid = read_file(dir + "/order-invalid.json");
  for (auto [text, expected] : {std::pair{&f.valid, true}, {&f.invalid, false}}) {
    std::pmr::monotonic_buffer_resource arena;
    JsonResult r = parse_json(*text, &arena, kLimits);
    if (r.value == nullptr) die("a fixture document does not parse: " + std::string(r.error));
    ValidationOutput out(&arena, kMaxViolations);
    if (f.set->validate(f.id, *r.value, &out) != expected || out.violations.empty() == !expected) {
      die(expected ? "order.json is not valid" : "order-invalid.json is valid");
    }
  }
}

// The request's arena: an inline buffer large enough for the document, reset per iteration.
class Arena {
 public:
  std::pmr::memory_resource* fresh() {
    arena_.release();
    return &arena_;
  }

 private:
  alignas(std::max_align_t) std::array<std::byte, 32 * 1024> buffer_;
  std::pmr::monotonic_buffer_resource arena_{buffer_.data(), buffer_.size()};
};

const Value& parse_or_die(std::string_view text, std::pmr::memory_resource* arena) {
  JsonResult r = parse_json(text, arena, kLimits);
  if (r.value == nullptr) die("parse failed: " + std::string(r.error));
  return *r.value;
}

void count(benchmark::State& state, const std::string& document) {
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(document.size()));
}

void BM_Parse(benchmark::State& state) {
  const Fixture& f = fixture();
  Arena arena;
  for (auto _ : state) {
    benchmark::DoNotOptimize(parse_json(f.valid, arena.fresh(), kLimits).value);
  }
  count(state, f.valid);
}

void BM_Validate(benchmark::State& state) {
  const Fixture& f = fixture();
  Arena arena;
  const Value& document = parse_or_die(f.valid, arena.fresh());
  for (auto _ : state) benchmark::DoNotOptimize(f.set->validate(f.id, document));
  count(state, f.valid);
}

void BM_ParseValidate(benchmark::State& state) {
  const Fixture& f = fixture();
  Arena arena;
  for (auto _ : state) {
    const Value& document = parse_or_die(f.valid, arena.fresh());
    if (!f.set->validate(f.id, document)) die("order.json is not valid");
  }
  count(state, f.valid);
}

// The invalid order, its violations recorded in the arena: up to `max_violations` of them
// (argument 0); 1 stops at the first, as Ajv does without allErrors.
void BM_ParseValidateInvalid(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto max_violations = static_cast<std::size_t>(state.range(0));
  Arena arena;
  std::size_t recorded = 0;
  for (auto _ : state) {
    std::pmr::memory_resource* a = arena.fresh();
    const Value& document = parse_or_die(f.invalid, a);
    ValidationOutput out(a, max_violations);
    if (f.set->validate(f.id, document, &out)) die("order-invalid.json is valid");
    recorded = out.violations.size();
  }
  count(state, f.invalid);
  state.counters["violations"] = static_cast<double>(recorded);
}

BENCHMARK(BM_Parse);
BENCHMARK(BM_Validate);
BENCHMARK(BM_ParseValidate);
BENCHMARK(BM_ParseValidateInvalid)->ArgName("max_violations")->Arg(1)->Arg(kMaxViolations);

}  // namespace

int main(int argc, char** argv) {
  std::string dir = PORTCULLIS_SCHEMA_FIXTURE;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with("--fixture=")) {
      dir = std::string(arg.substr(10));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  load(dir);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
