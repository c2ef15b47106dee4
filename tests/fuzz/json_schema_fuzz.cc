// Fuzz target: a request body through parse_json (max_depth 64) and, when it parses, through
// SchemaSet::validate against a fixed OpenAPI 3.0 order schema (nested objects, arrays, enums,
// formats, patterns, nullable, readOnly, oneOf with a discriminator), compiled once, with and
// without strict_additional_properties. Besides memory safety it checks what the two promise:
// a refused document has a reason; an accepted one is accepted by nlohmann::json too, with the
// same values, and nests no deeper than the limit; a validation is invalid exactly when it
// records a violation, records no more than max_violations, and agrees with itself run without
// an output; violation pointers are JSON pointers.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <memory_resource>
#include <nlohmann/json.hpp>
#include <string_view>

#include "schema/json.h"
#include "schema/json_schema.h"

using namespace portcullis::schema;

namespace {

constexpr std::size_t kMaxDepth = 64;

constexpr const char* kOrderApi = R"({
  "components": {"schemas": {
    "Order": {
      "type": "object",
      "required": ["id", "customer", "items", "payment"],
      "properties": {
        "id": {"type": "string", "pattern": "^ORD-[0-9]{6}$"},
        "created": {"type": "string", "format": "date-time", "readOnly": true},
        "status": {"type": "string", "enum": ["pending", "paid", "shipped"]},
        "customer": {"$ref": "#/components/schemas/Customer"},
        "items": {
          "type": "array", "minItems": 1, "maxItems": 50,
          "items": {"$ref": "#/components/schemas/Item"}
        },
        "payment": {
          "oneOf": [{"$ref": "#/components/schemas/Card"},
                    {"$ref": "#/components/schemas/Transfer"}],
          "discriminator": {"propertyName": "method",
                            "mapping": {"card": "Card", "transfer": "Transfer"}}
        },
        "coupon": {"type": "string", "nullable": true, "maxLength": 16},
        "note": {"type": "string", "maxLength": 500},
        "gift": {"type": "boolean"},
        "metadata": {"type": "object", "maxProperties": 10,
                     "additionalProperties": {"type": "string", "maxLength": 64}}
      }
    },
    "Customer": {
      "type": "object",
      "required": ["name", "email"],
      "properties": {
        "id": {"type": "string", "format": "uuid"},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "email": {"type": "string", "format": "email"},
        "phone": {"type": "string", "pattern": "^\\+?[0-9 ]{6,20}$", "nullable": true},
        "address": {
          "type": "object",
          "required": ["city", "country"],
          "properties": {
            "street": {"type": "string"},
            "city": {"type": "string", "minLength": 1},
            "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
            "country": {"type": "string", "enum": ["US", "DE", "FR", "GB"]}
          },
          "additionalProperties": false
        }
      },
      "additionalProperties": false
    },
    "Item": {
      "type": "object",
      "required": ["sku", "qty", "price"],
      "properties": {
        "sku": {"type": "string", "pattern": "^SKU-[0-9]+$"},
        "qty": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 1000},
        "price": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "multipleOf": 0.01},
        "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}}
      }
    },
    "Card": {
      "type": "object",
      "required": ["method", "last4"],
      "properties": {
        "method": {"type": "string", "enum": ["card"]},
        "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
        "expires": {"type": "string", "format": "date"}
      }
    },
    "Transfer": {
      "type": "object",
      "required": ["method", "iban"],
      "properties": {
        "method": {"type": "string", "enum": ["transfer"]},
        "iban": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"}
      }
    }
  }}
})";

struct OrderSchema {
  std::unique_ptr<SchemaSet> set;
  SchemaId id = 0;
};

OrderSchema compile_order(bool strict) {
  SchemaOptions options;
  options.dialect = Dialect::kOpenApi30;
  options.strict_additional_properties = strict;
  OrderSchema s{std::make_unique<SchemaSet>(options)};
  s.set->add_document("mem://order.json", nlohmann::json::parse(kOrderApi));
  auto id = s.set->compile("mem://order.json#/components/schemas/Order");
  if (!id) std::abort();
  s.id = id.value();
  return s;
}

const std::array<OrderSchema, 2>& order_schemas() {
  static const std::array<OrderSchema, 2> kSchemas = {compile_order(false), compile_order(true)};
  return kSchemas;
}

std::size_t depth(const Value& v) {
  std::size_t deepest = 0;
  if (v.kind == JsonKind::kArray) {
    for (std::uint32_t i = 0; i < v.count; ++i) deepest = std::max(deepest, depth(v.items[i]));
  } else if (v.kind == JsonKind::kObject) {
    for (std::uint32_t i = 0; i < v.count; ++i) {
      deepest = std::max(deepest, depth(v.members[i].value));
    }
  } else {
    return 0;
  }
  return deepest + 1;
}

// Whether our value and nlohmann's agree (numbers by value: both read the literal).
bool same(const Value& v, const nlohmann::json& j) {
  switch (v.kind) {
    case JsonKind::kNull:
      return j.is_null();
    case JsonKind::kBoolean:
      return j.is_boolean() && j.get<bool>() == v.boolean;
    case JsonKind::kString:
      return j.is_string() && j.get_ref<const std::string&>() == v.text;
    case JsonKind::kNumber:
      if (j.is_number_integer() && !j.is_number_unsigned()) {
        return v.integer && v.integer_value == j.get<std::int64_t>();
      }
      if (j.is_number_unsigned() && j.get<std::uint64_t>() <= INT64_MAX) {
        return v.integer && static_cast<std::uint64_t>(v.integer_value) == j.get<std::uint64_t>();
      }
      return j.is_number() && v.number == j.get<double>();
    case JsonKind::kArray:
      if (!j.is_array() || j.size() != v.count) return false;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        if (!same(v.items[i], j[i])) return false;
      }
      return true;
    case JsonKind::kObject:
      if (!j.is_object() || j.size() != v.count) return false;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        auto it = j.find(std::string(v.members[i].name));
        if (it == j.end() || !same(v.members[i].value, *it)) return false;
      }
      return true;
  }
  return false;
}

// Whether a number in `v` was read as 0 from a literal with a non-zero digit: an underflow
// (1e-400), which the two parsers may round differently.
bool read_as_zero(const Value& v) {
  if (v.kind == JsonKind::kNumber) {
    const std::string_view mantissa = v.text.substr(0, v.text.find_first_of("eE"));
    return v.number == 0 && mantissa.find_first_of("123456789") != std::string_view::npos;
  }
  for (std::uint32_t i = 0; i < v.count; ++i) {
    if (v.kind == JsonKind::kArray && read_as_zero(v.items[i])) return true;
    if (v.kind == JsonKind::kObject && read_as_zero(v.members[i].value)) return true;
  }
  return false;
}

void check_parse(std::string_view in, const JsonResult& r) {
  if (r.value == nullptr) {
    if (r.error.empty()) std::abort();
    if (r.offset > in.size()) std::abort();
    return;
  }
  if (!r.error.empty()) std::abort();
  if (depth(*r.value) > kMaxDepth) std::abort();
  nlohmann::json j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !same(*r.value, j)) {
    if (read_as_zero(*r.value)) return;
    std::abort();
  }
}

bool json_pointer(std::string_view p) {
  if (!p.empty() && p.front() != '/') return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 == p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}

void check_validation(const OrderSchema& s, const Value& v) {
  const bool valid = s.set->validate(s.id, v);
  for (std::size_t max : {std::size_t{1}, std::size_t{16}}) {
    std::pmr::monotonic_buffer_resource arena;
    ValidationOutput out(&arena, max);
    const bool with_output = s.set->validate(s.id, v, &out);
    if (with_output != valid) std::abort();
    if (out.violations.size() > max) std::abort();
    if (valid != out.violations.empty()) std::abort();
    for (const Violation& violation : out.violations) {
      if (violation.keyword.empty() || violation.message.empty()) std::abort();
      if (!json_pointer(violation.pointer)) std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& schemas = order_schemas();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::array<std::byte, 8192> buffer;
  std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size());
  JsonResult r = parse_json(in, &arena, JsonLimits{kMaxDepth});
  check_parse(in, r);
  if (r.value == nullptr) return 0;
  for (const OrderSchema& s : schemas) check_validation(s, *r.value);
  return 0;
}
