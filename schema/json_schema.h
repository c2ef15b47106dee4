// JSON Schema, compiled: a set of schema documents turned once (per config snapshot) into a
// graph of validator nodes that check parsed JSON values (schema/json.h) without looking at
// the schema documents again. Three dialects: JSON Schema draft 4, the OpenAPI 3.0 Schema
// Object (draft 4 plus nullable, readOnly/writeOnly, discriminator) and JSON Schema 2020-12
// (OpenAPI 3.1). `$ref` resolves JSON pointers, `$id`/`id` and anchors within a document and
// other documents through a loader, cycles included; `$dynamicRef` follows the dynamic scope.
//
// A SchemaSet is built and compiled on one thread; once compiled it is immutable and
// validate() is safe for concurrent use by multiple threads.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "schema/json.h"

namespace portcullis::schema {

enum class Dialect : std::uint8_t {
  kDraft4,     // JSON Schema draft 4
  kOpenApi30,  // OpenAPI 3.0 Schema Object: draft 4 plus nullable, readOnly/writeOnly ...
  kDraft2020,  // JSON Schema 2020-12, the dialect of OpenAPI 3.1
};

struct SchemaOptions {
  Dialect dialect = Dialect::kDraft2020;
  // Whether `format` is checked (date, date-time, email, uuid, ipv4 ...) or only an annotation
  // (the JSON Schema default). Unknown formats are never checked.
  bool assert_formats = true;
  // Validating a request: readOnly properties must not be sent and are not required.
  bool request = true;
  // Objects without `additionalProperties` accept no property their schema does not name
  // (`properties` or `patternProperties`), unless they combine subschemas (allOf ...).
  bool strict_additional_properties = false;
};

// One violation: where in the instance (a JSON pointer), which keyword, and why.
struct Violation {
  std::string_view pointer;  // "/items/2/qty"; "" for the document itself
  std::string_view keyword;  // "type", "required", "maximum" ...
  std::string_view message;
};

// Where a validation writes what it finds; give it the exchange's arena.
struct ValidationOutput {
  explicit ValidationOutput(std::pmr::memory_resource* a, std::size_t max = 10) noexcept
      : arena(a), max_violations(max), violations(a) {}
  std::pmr::memory_resource* arena;
  std::size_t max_violations;
  std::pmr::vector<Violation> violations;
};

using SchemaId = std::uint32_t;

class SchemaSet {
 public:
  // Fetches a document by its absolute URI (no fragment); used for $ref to other documents.
  using Loader = std::function<Result<nlohmann::json>(const std::string& uri)>;

  SchemaSet(SchemaOptions options, Loader loader = {});
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // Adds a document under `uri` (its retrieval URI; a `$id` inside may give it another).
  void add_document(const std::string& uri, nlohmann::json document);

  // The compiled schema at `uri` (a document URI with an optional fragment: "#/a/b" or an
  // anchor), resolved and compiled with everything it references. Errors name the schema
  // location.
  Result<SchemaId> compile(const std::string& uri);

  // Compiles a schema given as a value, whose references resolve against `base_uri` (the
  // document it sits in); `location` names it in errors ("openapi.yaml#/paths/...").
  Result<SchemaId> compile_value(const nlohmann::json& schema, const std::string& base_uri,
                                 const std::string& location);

  // Whether `value` is valid against schema `id`. With `out`, up to out->max_violations
  // violations are recorded. noexcept and bounded: recursion follows the instance's depth
  // (bounded by the parser) and the schema's own nesting.
  bool validate(SchemaId id, const Value& value, ValidationOutput* out = nullptr) const noexcept;

  const SchemaOptions& options() const noexcept { return options_; }

  // Resolves `ref` against `base` (RFC 3986, section 5.2).
  static std::string resolve_uri(const std::string& base, const std::string& ref);

  struct Node;
  struct Resource;

 private:
  class Compiler;
  class Validation;

  SchemaOptions options_;
  Loader loader_;
  std::map<std::string, std::unique_ptr<nlohmann::json>> documents_;
  std::vector<std::unique_ptr<nlohmann::json>> values_;  // compile_value()'s copies
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Resource>> resources_;
  std::unique_ptr<Compiler> compiler_;
};

}  // namespace portcullis::schema
