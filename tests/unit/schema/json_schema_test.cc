// SchemaSet (schema/json_schema.h) beyond what the official JSON-Schema-Test-Suite covers
// (tests/jsonschema/): the OpenAPI 3.0 keywords (nullable, readOnly in requests, the
// discriminator), the options (strict_additional_properties, assert_formats), the violations a
// validation records (pointers, keywords, the max_violations bound) and recursive schemas.
#include "schema/json_schema.h"

#include <gtest/gtest.h>

#include <memory_resource>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "schema/json.h"

namespace portcullis::schema {
namespace {

using json = nlohmann::json;

struct Found {
  std::string pointer;
  std::string keyword;
  std::string message;
};

struct Outcome {
  bool valid = false;
  std::vector<Found> violations;

  bool has(std::string_view pointer, std::string_view keyword) const {
    for (const Found& f : violations) {
      if (f.pointer == pointer && f.keyword == keyword) return true;
    }
    return false;
  }
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << (o.valid ? "valid" : "invalid") << " [";
  for (const Found& f : o.violations) {
    os << " {\"" << f.pointer << "\" " << f.keyword << ": " << f.message << "}";
  }
  return os << " ]";
}

// A schema compiled once (a document of its own, or a schema inside one); documents are parsed
// and validated, and the outcome copied out of the arena.
class Validator {
 public:
  explicit Validator(std::string_view schema, SchemaOptions options = openapi())
      : Validator(schema, "mem://api.json", options) {}
  // The schema at `uri` in `document`, which is added as mem://api.json: "mem://api.json#/a/b".
  Validator(std::string_view document, const std::string& uri, SchemaOptions options)
      : set_(options) {
    set_.add_document("mem://api.json", json::parse(document));
    auto id = set_.compile(uri);
    if (!id) {
      ADD_FAILURE() << uri << " does not compile: " << id.error().to_string();
      return;
    }
    id_ = id.value();
  }

  static SchemaOptions openapi() {
    SchemaOptions o;
    o.dialect = Dialect::kOpenApi30;
    return o;
  }

  Outcome check(std::string_view document, std::size_t max_violations = 10) const {
    std::pmr::monotonic_buffer_resource arena;
    JsonResult parsed = parse_json(document, &arena);
    Outcome o;
    if (parsed.value == nullptr) {
      ADD_FAILURE() << "the document does not parse: " << parsed.error << " at " << parsed.offset;
      return o;
    }
    ValidationOutput out(&arena, max_violations);
    o.valid = set_.validate(id_, *parsed.value, &out);
    for (const Violation& v : out.violations) {
      o.violations.push_back(
          {std::string(v.pointer), std::string(v.keyword), std::string(v.message)});
    }
    // Without an output the answer must be the same.
    EXPECT_EQ(set_.validate(id_, *parsed.value), o.valid) << document;
    return o;
  }

  bool valid(std::string_view document) const { return check(document).valid; }

 private:
  SchemaSet set_;
  SchemaId id_ = 0;
};

SchemaOptions with_dialect(Dialect dialect) {
  SchemaOptions o;
  o.dialect = dialect;
  return o;
}

TEST(SchemaNullableTest, AcceptsNullWhenNullableInOpenApi30) {
  Validator v(R"({"type": "string", "nullable": true, "minLength": 2})");
  EXPECT_TRUE(v.valid("null"));
  EXPECT_TRUE(v.valid(R"("ab")"));
  Outcome o = v.check("1");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "type")) << o;
}

TEST(SchemaNullableTest, RefusesNullWithoutNullable) {
  Validator v(R"({"type": "string"})");
  Outcome o = v.check("null");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "type")) << o;
  EXPECT_FALSE(Validator(R"({"type": "string", "nullable": false})").valid("null"));
}

TEST(SchemaNullableTest, AcceptsNullBesidesAnEnum) {
  Validator v(R"({"type": "string", "enum": ["red", "green"], "nullable": true})");
  EXPECT_TRUE(v.valid("null"));
  EXPECT_TRUE(v.valid(R"("red")"));
  Outcome o = v.check(R"("blue")");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "enum")) << o;
}

TEST(SchemaNullableTest, AppliesToNestedProperties) {
  Validator v(R"({"type": "object", "properties": {
                    "note": {"type": "string", "nullable": true},
                    "qty": {"type": "integer"}}})");
  EXPECT_TRUE(v.valid(R"({"note": null, "qty": 1})"));
  Outcome o = v.check(R"({"note": null, "qty": null})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("/qty", "type")) << o;
}

TEST(SchemaNullableTest, IsOnlyAKeywordOfOpenApi30) {
  const char* schema = R"({"type": "string", "nullable": true})";
  EXPECT_FALSE(Validator(schema, with_dialect(Dialect::kDraft4)).valid("null"));
  EXPECT_FALSE(Validator(schema, with_dialect(Dialect::kDraft2020)).valid("null"));
}

constexpr const char* kAccount = R"({
  "type": "object",
  "required": ["id", "name"],
  "properties": {
    "id": {"type": "integer", "readOnly": true},
    "name": {"type": "string"},
    "password": {"type": "string", "writeOnly": true}
  }
})";

TEST(SchemaReadOnlyTest, RefusesAReadOnlyPropertySentInARequest) {
  Validator v(kAccount);
  Outcome o = v.check(R"({"id": 7, "name": "jane"})");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_EQ(o.violations[0].pointer, "/id");
  EXPECT_EQ(o.violations[0].keyword, "readOnly");
}

TEST(SchemaReadOnlyTest, DoesNotRequireAReadOnlyPropertyInARequest) {
  Validator v(kAccount);
  EXPECT_TRUE(v.valid(R"({"name": "jane"})"));
  Outcome o = v.check(R"({})");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_TRUE(o.has("", "required")) << o;
  EXPECT_NE(o.violations[0].message.find("'name'"), std::string::npos) << o;
}

TEST(SchemaReadOnlyTest, AcceptsAndRequiresReadOnlyPropertiesInAResponse) {
  SchemaOptions response = Validator::openapi();
  response.request = false;
  Validator v(kAccount, response);
  EXPECT_TRUE(v.valid(R"({"id": 7, "name": "jane"})"));
  Outcome o = v.check(R"({"name": "jane"})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "required")) << o;
}

TEST(SchemaReadOnlyTest, IsIgnoredInDraft4) {
  Validator v(kAccount, with_dialect(Dialect::kDraft4));
  EXPECT_TRUE(v.valid(R"({"id": 7, "name": "jane"})"));
  EXPECT_FALSE(v.valid(R"({"name": "jane"})"));
}

// A property is read-only also when its $ref names a read-only schema.
TEST(SchemaReadOnlyTest, FollowsReferencesToReadOnlySchemas) {
  Validator v(R"({
    "definitions": {"Id": {"type": "integer", "readOnly": true}},
    "type": "object",
    "required": ["id", "name"],
    "properties": {"id": {"$ref": "#/definitions/Id"}, "name": {"type": "string"}}
  })");
  Outcome o = v.check(R"({"id": 7, "name": "jane"})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("/id", "readOnly")) << o;
  EXPECT_TRUE(v.valid(R"({"name": "jane"})"));
}

// A readOnly that is not a boolean is a compile error that names its location, not an exception.
TEST(SchemaReadOnlyTest, ReportsANonBooleanReadOnlyWithoutThrowing) {
  for (Dialect d : {Dialect::kDraft4, Dialect::kOpenApi30, Dialect::kDraft2020}) {
    for (const char* schema : {R"({"properties": {"a": {"readOnly": "yes"}}})",
                               R"({"readOnly": 1})", R"({"writeOnly": "no"})"}) {
      SchemaSet set(with_dialect(d));
      EXPECT_NO_THROW({
        auto id = set.compile_value(json::parse(schema), "mem://x.json", "x");
        (void)id;
      }) << schema
         << " in dialect " << static_cast<int>(d);
    }
  }
}

constexpr const char* kPets = R"({
  "components": {"schemas": {
    "Pet": {
      "type": "object",
      "required": ["petType"],
      "properties": {"petType": {"type": "string"}},
      "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
      "discriminator": {
        "propertyName": "petType",
        "mapping": {"cat": "#/components/schemas/Cat", "dog": "Dog"}
      }
    },
    "Cat": {
      "type": "object",
      "required": ["lives"],
      "properties": {"petType": {"type": "string"}, "lives": {"type": "integer", "maximum": 9}}
    },
    "Dog": {
      "type": "object",
      "required": ["bark"],
      "properties": {"petType": {"type": "string"}, "bark": {"type": "boolean"}}
    },
    "Implicit": {
      "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
      "discriminator": {"propertyName": "petType"}
    }
  }}
})";

TEST(SchemaDiscriminatorTest, ValidatesAgainstTheMappedSchema) {
  Validator v(kPets, "mem://api.json#/components/schemas/Pet", Validator::openapi());
  EXPECT_TRUE(v.valid(R"({"petType": "cat", "lives": 3})"));
  EXPECT_TRUE(v.valid(R"({"petType": "dog", "bark": true})"));
}

TEST(SchemaDiscriminatorTest, ReportsViolationsOfTheMappedSchemaOnly) {
  Validator v(kPets, "mem://api.json#/components/schemas/Pet", Validator::openapi());
  Outcome cat = v.check(R"({"petType": "cat", "lives": 12})");
  EXPECT_FALSE(cat.valid);
  ASSERT_EQ(cat.violations.size(), 1u) << cat;  // not Dog's "bark", not "oneOf"
  EXPECT_EQ(cat.violations[0].pointer, "/lives");
  EXPECT_EQ(cat.violations[0].keyword, "maximum");

  Outcome dog = v.check(R"({"petType": "dog", "lives": 3})");  // a bare name in the mapping
  EXPECT_FALSE(dog.valid);
  ASSERT_EQ(dog.violations.size(), 1u) << dog;
  EXPECT_TRUE(dog.has("", "required")) << dog;
  EXPECT_NE(dog.violations[0].message.find("'bark'"), std::string::npos) << dog;
}

TEST(SchemaDiscriminatorTest, RefusesAnUnknownOrMissingTag) {
  Validator v(kPets, "mem://api.json#/components/schemas/Pet", Validator::openapi());
  Outcome cow = v.check(R"({"petType": "cow"})");
  EXPECT_FALSE(cow.valid);
  EXPECT_TRUE(cow.has("", "discriminator")) << cow;
  Outcome none = v.check(R"({"lives": 3})");
  EXPECT_FALSE(none.valid);
  EXPECT_TRUE(none.has("", "discriminator")) << none;
  Validator implicit(kPets, "mem://api.json#/components/schemas/Implicit", Validator::openapi());
  Outcome number = implicit.check(R"({"petType": 1})");
  EXPECT_FALSE(number.valid);
  EXPECT_TRUE(number.has("", "discriminator")) << number;
}

TEST(SchemaDiscriminatorTest, MapsSchemaNamesWithoutAMapping) {
  Validator v(kPets, "mem://api.json#/components/schemas/Implicit", Validator::openapi());
  EXPECT_TRUE(v.valid(R"({"petType": "Cat", "lives": 1})"));
  Outcome o = v.check(R"({"petType": "Dog", "bark": "loud"})");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_TRUE(o.has("/bark", "type")) << o;
  EXPECT_FALSE(v.valid(R"({"petType": "cat", "lives": 1})")) << "the names are case-sensitive";
}

constexpr const char* kItem = R"({
  "type": "object",
  "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
})";

TEST(SchemaStrictAdditionalPropertiesTest, RefusesAnUnknownProperty) {
  SchemaOptions strict = Validator::openapi();
  strict.strict_additional_properties = true;
  Validator v(kItem, strict);
  EXPECT_TRUE(v.valid(R"({"sku": "A-1", "qty": 2})"));
  Outcome o = v.check(R"({"sku": "A-1", "qty": 2, "discount": 50})");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_EQ(o.violations[0].pointer, "/discount");
  EXPECT_EQ(o.violations[0].keyword, "additionalProperties");
}

TEST(SchemaStrictAdditionalPropertiesTest, AcceptsUnknownPropertiesWhenOff) {
  Validator v(kItem);
  EXPECT_TRUE(v.valid(R"({"sku": "A-1", "qty": 2, "discount": 50})"));
}

TEST(SchemaStrictAdditionalPropertiesTest, LeavesSchemasThatSayOtherwiseOpen) {
  SchemaOptions strict = Validator::openapi();
  strict.strict_additional_properties = true;
  // additionalProperties given, and schemas that combine others, keep their own rule.
  EXPECT_TRUE(Validator(R"({"properties": {"a": {}}, "additionalProperties": true})", strict)
                  .valid(R"({"a": 1, "b": 2})"));
  EXPECT_TRUE(Validator(R"({"properties": {"a": {}}, "allOf": [{"type": "object"}]})", strict)
                  .valid(R"({"a": 1, "b": 2})"));
  EXPECT_TRUE(Validator(R"({"properties": {"a": {}}, "patternProperties": {"^x-": {}}})", strict)
                  .valid(R"({"a": 1, "x-trace": 2})"));
  EXPECT_FALSE(Validator(R"({"properties": {"a": {}}, "patternProperties": {"^x-": {}}})", strict)
                   .valid(R"({"a": 1, "y": 2})"));
}

constexpr const char* kOrder = R"({
  "type": "object",
  "properties": {
    "items": {
      "type": "array",
      "items": {
        "type": "object",
        "required": ["sku"],
        "properties": {"sku": {"type": "string"}, "qty": {"type": "integer", "minimum": 1}}
      }
    },
    "a/b": {"type": "string"},
    "c~d": {"type": "string"}
  }
})";

TEST(SchemaViolationTest, PointsAtTheOffendingValue) {
  Validator v(kOrder);
  Outcome o = v.check(
      R"({"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}, {"sku": "c", "qty": 0}]})");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_EQ(o.violations[0].pointer, "/items/2/qty");
  EXPECT_EQ(o.violations[0].keyword, "minimum");
  EXPECT_FALSE(o.violations[0].message.empty());
}

TEST(SchemaViolationTest, PointsAtTheObjectThatLacksARequiredProperty) {
  Validator v(kOrder);
  Outcome o = v.check(R"({"items": [{"sku": "a"}, {"qty": 2}]})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("/items/1", "required")) << o;
}

TEST(SchemaViolationTest, EscapesPointerTokens) {
  Validator v(kOrder);
  Outcome o = v.check(R"({"a/b": 1, "c~d": 2})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("/a~1b", "type")) << o;
  EXPECT_TRUE(o.has("/c~0d", "type")) << o;
}

TEST(SchemaViolationTest, PointsAtTheDocumentWithAnEmptyPointer) {
  Validator v(kOrder);
  Outcome o = v.check("[]");
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_EQ(o.violations[0].pointer, "");
  EXPECT_EQ(o.violations[0].keyword, "type");
}

TEST(SchemaViolationTest, RecordsNoMoreThanMaxViolations) {
  Validator v(kOrder);
  std::string items;
  for (int i = 0; i < 20; ++i) items += std::string(items.empty() ? "" : ",") + R"({"qty": 0})";
  const std::string doc = R"({"items": [)" + items + "]}";
  for (std::size_t max : {1u, 3u, 10u}) {
    Outcome o = v.check(doc, max);
    EXPECT_FALSE(o.valid);
    EXPECT_EQ(o.violations.size(), max) << o;
  }
  Outcome all = v.check(doc, 1000);
  EXPECT_EQ(all.violations.size(), 40u) << "a missing sku and a qty below 1 in each item";
  EXPECT_TRUE(all.has("/items/19/qty", "minimum")) << all;
  Outcome none = v.check(doc, 0);
  EXPECT_FALSE(none.valid);
  EXPECT_TRUE(none.violations.empty()) << none;
}

constexpr const char* kTree = R"({
  "type": "object",
  "required": ["value"],
  "properties": {
    "value": {"type": "integer"},
    "children": {"type": "array", "items": {"$ref": "#"}}
  },
  "additionalProperties": false
})";

// A tree `levels` deep whose deepest value is `leaf`; each level nests two containers.
std::string tree(int levels, std::string_view leaf) {
  std::string doc;
  for (int i = 1; i < levels; ++i) doc += R"({"value": 1, "children": [)";
  doc += R"({"value": )" + std::string(leaf) + "}";
  for (int i = 1; i < levels; ++i) doc += "]}";
  return doc;
}

TEST(SchemaRecursiveRefTest, ValidatesADeepTreeThroughACycle) {
  Validator v(kTree);
  // 32 levels nest 63 containers, inside the parser's default limit of 64.
  EXPECT_TRUE(v.valid(tree(32, "1")));
  Outcome o = v.check(tree(32, R"("x")"));
  EXPECT_FALSE(o.valid);
  std::string pointer;
  for (int i = 1; i < 32; ++i) pointer += "/children/0";
  pointer += "/value";
  EXPECT_TRUE(o.has(pointer, "type")) << o;
}

TEST(SchemaRecursiveRefTest, ValidatesATreeThroughNamedDefinitions) {
  Validator v(R"({
    "$ref": "#/definitions/node",
    "definitions": {"node": {
      "type": "object",
      "properties": {"next": {"$ref": "#/definitions/node"}, "n": {"type": "integer"}}
    }}
  })");
  std::string doc;
  for (int i = 0; i < 60; ++i) doc += R"({"n": 1, "next": )";
  doc += R"({"n": "last"})";
  for (int i = 0; i < 60; ++i) doc += "}";
  EXPECT_TRUE(v.valid(R"({"n": 1, "next": {"n": 2}})"));
  Outcome o = v.check(doc);
  EXPECT_FALSE(o.valid);
  ASSERT_EQ(o.violations.size(), 1u) << o;
  EXPECT_EQ(o.violations[0].keyword, "type");
}

// With one violation at most: see SchemaFalseTest for the default bound.
TEST(SchemaRecursiveRefTest, StopsASchemaThatOnlyRefersToItself) {
  Validator v(R"({"$ref": "#"})");
  Outcome o = v.check("1", 1);
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "$ref")) << o;
}

// A `false` schema fails with or without violations being recorded.
TEST(SchemaFalseTest, FailsWhileViolationsAreRecorded) {
  for (const char* schema : {R"({"properties": {"a": {}}, "additionalProperties": false})",
                             R"({"properties": {"b": false}})", R"({"$ref": "#"})"}) {
    Validator v(schema);
    Outcome o = v.check(R"({"a": 1, "b": 2})");  // also compares with no output
    EXPECT_FALSE(o.valid) << schema << ": " << o;
    EXPECT_EQ(o.violations.size(), 1u) << schema << ": " << o;
  }
}

TEST(SchemaAssertFormatsTest, ChecksFormatsWhenOn) {
  Validator v(R"({"properties": {"email": {"type": "string", "format": "email"},
                                 "day": {"type": "string", "format": "date"}}})");
  EXPECT_TRUE(v.valid(R"({"email": "jane@example.com", "day": "2024-02-29"})"));
  Outcome o = v.check(R"({"email": "jane", "day": "2023-02-29"})");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("/email", "format")) << o;
  EXPECT_TRUE(o.has("/day", "format")) << o;
}

TEST(SchemaAssertFormatsTest, TreatsFormatsAsAnnotationsWhenOff) {
  SchemaOptions annotations = Validator::openapi();
  annotations.assert_formats = false;
  Validator v(R"({"properties": {"email": {"type": "string", "format": "email"},
                                 "n": {"type": "integer", "format": "int32"}}})",
              annotations);
  EXPECT_TRUE(v.valid(R"({"email": "jane", "n": 4294967296})"));
  EXPECT_FALSE(v.valid(R"({"email": 1})")) << "the other keywords still apply";
}

TEST(SchemaAssertFormatsTest, NeverChecksUnknownFormats) {
  Validator v(R"({"type": "string", "format": "color"})");
  EXPECT_TRUE(v.valid(R"("not a colour at all")"));
}

TEST(SchemaAssertFormatsTest, ChecksNumericFormatsOfOpenApi) {
  Validator v(R"({"type": "integer", "format": "int32"})");
  EXPECT_TRUE(v.valid("2147483647"));
  Outcome o = v.check("2147483648");
  EXPECT_FALSE(o.valid);
  EXPECT_TRUE(o.has("", "format")) << o;
}

}  // namespace
}  // namespace portcullis::schema

namespace portcullis::schema {
namespace {

// Alternatives inside a recursive schema multiply with the depth of the value: the work is
// bounded, and a value that would need more is refused with a `complexity` violation.
TEST(SchemaBudgetTest, BoundsTheWorkOfNestedAlternatives) {
  // Each level validates its item through the first branch of anyOf, which then fails on
  // `contains`, and again through the second: 2^depth without a bound.
  Validator v(
      R"({"anyOf": [{"type": "array", "items": {"$ref": "#"}, "contains": {"type": "string"}},
                           {"type": "array", "items": {"$ref": "#"}}]})",
      with_dialect(Dialect::kDraft2020));
  EXPECT_TRUE(v.valid("[[[]]]"));
  // Valid, but proving it takes 2^60 steps.
  std::string deep = "[]";
  for (int i = 0; i < 60; ++i) deep = "[" + deep + "]";
  Outcome o = v.check(deep);
  EXPECT_FALSE(o.valid);
  bool complexity = false;
  for (const Found& f : o.violations) complexity = complexity || f.keyword == "complexity";
  EXPECT_TRUE(complexity) << o;
}

}  // namespace
}  // namespace portcullis::schema
