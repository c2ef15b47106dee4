// An OpenAPI 3.0 or 3.1 document, compiled: the servers' base paths, a router over the path
// templates, and per operation its parameters and request bodies with their schemas compiled
// (schema/json_schema.h). Loaded once per config snapshot from YAML or JSON; `$ref` may point
// into the document or at other files relative to it. Immutable once loaded and safe for
// concurrent use by multiple threads.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "schema/json.h"
#include "schema/json_schema.h"

namespace portcullis::schema {

// Where a parameter is.
enum class ParamIn : std::uint8_t { kPath, kQuery, kHeader, kCookie };

// How a parameter's text becomes a value (OpenAPI `style`).
enum class ParamStyle : std::uint8_t {
  kSimple,          // path and header default: a,b,c
  kForm,            // query and cookie default: id=1&id=2 (explode) or id=1,2
  kDeepObject,      // filter[color]=red
  kSpaceDelimited,  // id=1%202
  kPipeDelimited,   // id=1|2
};

// The JSON type a parameter's text (or one item or property of it) is read as.
enum class Scalar : std::uint8_t { kString, kInteger, kNumber, kBoolean, kAny };

struct Parameter {
  std::string name;  // as written; header names compare without case
  ParamIn in = ParamIn::kQuery;
  bool required = false;
  ParamStyle style = ParamStyle::kForm;
  bool explode = true;
  bool allow_empty = false;
  // The shape of the value: a scalar, an array of scalars, or an object of named scalars.
  enum class Shape : std::uint8_t { kScalar, kArray, kObject } shape = Shape::kScalar;
  Scalar scalar = Scalar::kString;                         // the scalar, or the items' type
  std::vector<std::pair<std::string, Scalar>> properties;  // kObject: by name
  SchemaId schema = 0;
  bool has_schema = false;
};

// A request body's media type: how to read it and its schema.
struct MediaType {
  std::string type;  // "application/json", "application/*", "*/*" as written, lower case
  enum class Reader : std::uint8_t { kJson, kForm, kMultipart, kNone } reader = Reader::kNone;
  std::vector<std::pair<std::string, Scalar>> properties;  // kForm/kMultipart: field types
  std::vector<std::string> array_properties;               // fields that are arrays
  SchemaId schema = 0;
  bool has_schema = false;
};

struct Operation {
  std::string method;        // upper case
  std::string path;          // the template, "/orders/{id}"
  std::string operation_id;  // may be empty
  std::string label;         // the operationId, else "METHOD /template"
  std::vector<Parameter> parameters;
  bool body_required = false;
  std::vector<MediaType> content;  // empty: no request body described
};

// What route() found.
struct RouteMatch {
  enum class Result : std::uint8_t {
    kFound,             // `operation` is set, with the path parameters' values
    kUnknownPath,       // no path template matches
    kMethodNotAllowed,  // the path exists, not with this method: `allow` lists those it has
  } result = Result::kUnknownPath;
  const Operation* operation = nullptr;
  std::string_view allow;  // "GET, POST"
  // Path parameter values (still percent-encoded), by the operation's parameter order of
  // the template; at most kMaxPathParams.
  static constexpr std::size_t kMaxPathParams = 16;
  std::array<std::pair<std::string_view, std::string_view>, kMaxPathParams> path_params{};
  std::size_t path_param_count = 0;
};

struct OpenApiOptions {
  // Objects without `additionalProperties` accept no property their schema does not name.
  bool strict_additional_properties = true;
  bool assert_formats = true;
  JsonLimits json;
};

class OpenApi {
 public:
  // Loads and compiles the document at `path` (YAML or JSON). Errors name the file, and the
  // line (YAML syntax) or the JSON pointer of what is wrong.
  static Result<std::shared_ptr<const OpenApi>> load(const std::string& path,
                                                     const OpenApiOptions& options = {});

  // The operation for `method` and `path` (the request path, percent-encoded, no query).
  // Time is linear in the number of path segments, not in the number of paths.
  RouteMatch route(std::string_view method, std::string_view path) const noexcept;

  const SchemaSet& schemas() const noexcept { return *schemas_; }
  const std::string& version() const noexcept { return version_; }  // "3.0.3", "3.1.0"
  std::size_t operation_count() const noexcept { return operations_.size(); }
  bool has_request_bodies() const noexcept { return has_bodies_; }
  const std::string& source() const noexcept { return source_; }

  struct TrieNode;

 private:
  OpenApi();
  friend class OpenApiLoader;

  std::string source_;
  std::string version_;
  std::vector<std::string> base_paths_;  // from servers, without a trailing '/'; "" = none
  std::unique_ptr<SchemaSet> schemas_;
  std::vector<std::unique_ptr<Operation>> operations_;
  std::unique_ptr<TrieNode> root_;
  bool has_bodies_ = false;

 public:
  ~OpenApi();
};

}  // namespace portcullis::schema
