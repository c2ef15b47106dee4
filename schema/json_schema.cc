#include "schema/json_schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <set>

#include "schema/formats.h"
#include "schema/text.h"

namespace portcullis::schema {
namespace {

using json = nlohmann::json;
constexpr SchemaId kNone = 0xffffffffu;

enum TypeBit : std::uint8_t {
  kNullBit = 1,
  kBooleanBit = 2,
  kObjectBit = 4,
  kArrayBit = 8,
  kNumberBit = 16,
  kStringBit = 32,
  kIntegerBit = 64,
};

std::uint8_t type_bit(std::string_view name) {
  if (name == "null") return kNullBit;
  if (name == "boolean") return kBooleanBit;
  if (name == "object") return kObjectBit;
  if (name == "array") return kArrayBit;
  if (name == "number") return kNumberBit;
  if (name == "string") return kStringBit;
  if (name == "integer") return kIntegerBit;
  return 0;
}

std::string_view kind_name(const Value& v) {
  switch (v.kind) {
    case JsonKind::kNull:
      return "null";
    case JsonKind::kBoolean:
      return "boolean";
    case JsonKind::kNumber:
      return v.integer ? "integer" : "number";
    case JsonKind::kString:
      return "string";
    case JsonKind::kArray:
      return "array";
    case JsonKind::kObject:
      return "object";
  }
  return "value";
}

// JSON Schema equality between an instance value and a constant of the schema document.
bool equal_constant(const Value& v, const json& c) noexcept {
  switch (v.kind) {
    case JsonKind::kNull:
      return c.is_null();
    case JsonKind::kBoolean:
      return c.is_boolean() && c.get<bool>() == v.boolean;
    case JsonKind::kNumber:
      if (!c.is_number()) return false;
      if (c.is_number_integer() && v.integer) {
        if (c.is_number_unsigned()) {
          return v.integer_value >= 0 &&
                 static_cast<std::uint64_t>(v.integer_value) == c.get<std::uint64_t>();
        }
        return c.get<std::int64_t>() == v.integer_value;
      }
      return c.get<double>() == v.number;
    case JsonKind::kString:
      return c.is_string() && c.get_ref<const std::string&>() == v.text;
    case JsonKind::kArray:
      if (!c.is_array() || c.size() != v.count) return false;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        if (!equal_constant(v.items[i], c[i])) return false;
      }
      return true;
    case JsonKind::kObject: {
      if (!c.is_object() || c.size() != v.count) return false;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        auto it = c.find(std::string(v.members[i].name));
        if (it == c.end() || !equal_constant(v.members[i].value, *it)) return false;
      }
      return true;
    }
  }
  return false;
}

// A hash consistent with json_equal (numbers by value, objects regardless of order).
std::uint64_t hash_value(const Value& v) noexcept {
  auto mix = [](std::uint64_t h, std::uint64_t x) {
    return (h ^ x) * 0x100000001b3ull + 0x9e3779b97f4a7c15ull;
  };
  auto bytes = [&](std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h;
  };
  switch (v.kind) {
    case JsonKind::kNull:
      return 1;
    case JsonKind::kBoolean:
      return v.boolean ? 2 : 3;
    case JsonKind::kNumber: {
      double d = v.integer ? static_cast<double>(v.integer_value) : v.number;
      if (d == 0) d = 0;  // -0
      std::uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return mix(4, bits);
    }
    case JsonKind::kString:
      return mix(5, bytes(v.text));
    case JsonKind::kArray: {
      std::uint64_t h = 6;
      for (std::uint32_t i = 0; i < v.count; ++i) h = mix(h, hash_value(v.items[i]));
      return h;
    }
    case JsonKind::kObject: {
      std::uint64_t sum = 7;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        sum += mix(bytes(v.members[i].name), hash_value(v.members[i].value));
      }
      return sum;
    }
  }
  return 0;
}

std::string number_text(double d) {
  char buf[32];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, p) : std::string("?");
}

// JSON pointer tokens of `fragment` ("/a/b~1c" -> {"a", "b/c"}), percent-decoded first.
std::vector<std::string> pointer_tokens(const std::string& fragment) {
  std::string decoded;
  for (std::size_t i = 0; i < fragment.size(); ++i) {
    if (fragment[i] == '%' && i + 2 < fragment.size()) {
      int hi = hex_value(fragment[i + 1]), lo = hex_value(fragment[i + 2]);
      if (hi >= 0 && lo >= 0) {
        decoded += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    decoded += fragment[i];
  }
  std::vector<std::string> tokens;
  std::size_t at = 1;
  while (at <= decoded.size()) {
    std::size_t slash = decoded.find('/', at);
    std::string token =
        decoded.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    std::string unescaped;
    for (std::size_t k = 0; k < token.size(); ++k) {
      if (token[k] == '~' && k + 1 < token.size() && (token[k + 1] == '0' || token[k + 1] == '1')) {
        unescaped += token[k + 1] == '0' ? '~' : '/';
        ++k;
      } else {
        unescaped += token[k];
      }
    }
    tokens.push_back(std::move(unescaped));
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return tokens;
}

std::string strip_fragment(const std::string& uri) {
  std::size_t hash = uri.find('#');
  return hash == std::string::npos ? uri : uri.substr(0, hash);
}

struct Property {
  std::string name;
  SchemaId schema = kNone;
  bool read_only = false;
};

}  // namespace

struct SchemaSet::Node {
  std::string location;
  int owner = -1;      // the resource (index in resources_) this schema belongs to
  bool never = false;  // the `false` schema
  std::uint8_t types = 0;
  bool nullable = false;
  bool has_enum = false;
  std::vector<json> enum_values;
  std::optional<json> const_value;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::optional<std::uint64_t> min_length, max_length, min_items, max_items, min_properties,
      max_properties, min_contains, max_contains;
  std::unique_ptr<RE2> pattern;
  std::string pattern_text;
  Format format = Format::kNone;
  std::string format_name;
  std::vector<SchemaId> prefix_items;
  SchemaId items = kNone;  // items after prefix_items
  SchemaId contains = kNone;
  bool unique_items = false;
  SchemaId unevaluated_items = kNone;
  std::vector<Property> properties;
  std::vector<std::pair<std::unique_ptr<RE2>, SchemaId>> pattern_properties;
  SchemaId additional_properties = kNone;
  bool closed = false;  // strict_additional_properties applies
  std::vector<std::string> required;
  SchemaId property_names = kNone;
  std::vector<std::pair<std::string, std::vector<std::string>>> dependent_required;
  std::vector<std::pair<std::string, SchemaId>> dependent_schemas;
  SchemaId unevaluated_properties = kNone;
  std::vector<SchemaId> all_of, any_of, one_of;
  SchemaId not_schema = kNone, if_schema = kNone, then_schema = kNone, else_schema = kNone;
  SchemaId ref = kNone;
  SchemaId dynamic_ref = kNone;
  std::string dynamic_name;  // non-empty: $dynamicRef looks for this anchor in the dynamic scope
  std::string discriminator;
  std::vector<std::pair<std::string, SchemaId>> mapping;
  bool read_only = false;
  bool write_only = false;
  bool tracks = false;  // has unevaluatedItems/unevaluatedProperties

  // properties by name: an open-addressing table of index + 1 (0: empty), filled by index().
  std::vector<std::uint32_t> property_table;

  static std::uint64_t name_hash(std::string_view name) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return h;
  }
  void index() {
    std::size_t size = 4;
    while (size < properties.size() * 2) size *= 2;
    property_table.assign(properties.empty() ? 0 : size, 0);
    for (std::size_t i = 0; i < properties.size(); ++i) {
      std::size_t at = name_hash(properties[i].name) & (size - 1);
      while (property_table[at] != 0) at = (at + 1) & (size - 1);
      property_table[at] = static_cast<std::uint32_t>(i + 1);
    }
  }
  const Property* property(std::string_view name) const noexcept {
    if (property_table.empty()) return nullptr;
    const std::size_t mask = property_table.size() - 1;
    for (std::size_t at = name_hash(name) & mask; property_table[at] != 0; at = (at + 1) & mask) {
      const Property& p = properties[property_table[at] - 1];
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

struct SchemaSet::Resource {
  std::string uri;
  std::map<std::string, SchemaId, std::less<>> dynamic_anchors;
};

// ---------------------------------------------------------------- compiling

class SchemaSet::Compiler {
 public:
  explicit Compiler(SchemaSet& set) : set_(set) {}

  Result<SchemaId> compile_uri(const std::string& uri) {
    auto target = resolve(uri, uri);
    if (!target) return target.error();
    return compile(*target->first, target->second, uri);
  }

  Result<SchemaId> compile_at(const json& schema, const std::string& base,
                              const std::string& location) {
    if (!base_of_.count(&schema)) scan(schema, base, -1);
    return compile(schema, base, location);
  }

 private:
  bool draft4() const { return set_.options_.dialect != Dialect::kDraft2020; }
  const char* id_key() const { return draft4() ? "id" : "$id"; }

  // Registers the identifiers (ids, anchors) of a schema and its subschemas.
  void scan(const json& j, const std::string& base, int depth) {
    if (depth > 200) return;
    if (!j.is_object()) {
      if (j.is_array() && depth < 0) return;
      return;
    }
    std::string here = base;
    auto id = j.find(id_key());
    bool ref_sibling = draft4() && j.contains("$ref");
    if (id != j.end() && id->is_string() && !ref_sibling) {
      const std::string& text = id->get_ref<const std::string&>();
      std::string resolved = SchemaSet::resolve_uri(base, text);
      if (draft4() && !text.empty() && text[0] == '#') {
        by_uri_[resolved] = &j;  // a plain-name fragment: an anchor
      } else {
        here = strip_fragment(resolved);
        by_uri_[here] = &j;
        resource_roots_.insert(&j);
      }
    }
    if (!draft4()) {
      for (const char* key : {"$anchor", "$dynamicAnchor"}) {
        auto a = j.find(key);
        if (a != j.end() && a->is_string()) {
          by_uri_[here + "#" + a->get<std::string>()] = &j;
          if (std::strcmp(key, "$dynamicAnchor") == 0) {
            dynamic_anchors_[here][a->get<std::string>()] = &j;
          }
        }
      }
    }
    base_of_[&j] = here;
    auto each_value = [&](const char* key) {
      auto it = j.find(key);
      if (it == j.end() || !it->is_object()) return;
      for (const auto& [k, v] : it->items()) scan(v, here, depth + 1);
    };
    auto one = [&](const char* key) {
      auto it = j.find(key);
      if (it == j.end()) return;
      if (it->is_array()) {
        for (const auto& v : *it) scan(v, here, depth + 1);
      } else {
        scan(*it, here, depth + 1);
      }
    };
    for (const char* key : {"properties", "patternProperties", "$defs", "definitions",
                            "dependentSchemas", "dependencies"}) {
      each_value(key);
    }
    for (const char* key :
         {"additionalProperties", "additionalItems", "items", "prefixItems", "not", "if", "then",
          "else", "contains", "propertyNames", "unevaluatedItems", "unevaluatedProperties", "allOf",
          "anyOf", "oneOf"}) {
      one(key);
    }
  }

  // The document at `doc_uri`, loaded and scanned on first use.
  Result<const json*> document(const std::string& doc_uri) {
    auto known = by_uri_.find(doc_uri);
    if (known != by_uri_.end()) return known->second;
    auto it = set_.documents_.find(doc_uri);
    if (it == set_.documents_.end()) {
      if (!set_.loader_) return Error{"no document at '" + doc_uri + "'"};
      auto loaded = set_.loader_(doc_uri);
      if (!loaded) return loaded.error();
      it =
          set_.documents_.emplace(doc_uri, std::make_unique<json>(std::move(loaded.value()))).first;
    }
    const json* root = it->second.get();
    by_uri_[doc_uri] = root;
    resource_roots_.insert(root);
    scan(*root, doc_uri, 0);
    return root;
  }

  // The schema `ref` (resolved against `base`) names, and the base URI in effect there.
  Result<std::pair<const json*, std::string>> resolve(const std::string& ref,
                                                      const std::string& base) {
    std::string uri = SchemaSet::resolve_uri(base, ref);
    std::size_t hash = uri.find('#');
    std::string doc_uri = hash == std::string::npos ? uri : uri.substr(0, hash);
    std::string fragment = hash == std::string::npos ? "" : uri.substr(hash + 1);
    auto root = document(doc_uri);
    if (!root) return Error{"cannot resolve '" + ref + "': " + root.error().message};
    const json* at = root.value();
    std::string at_base = base_of_.count(at) ? base_of_[at] : doc_uri;
    if (fragment.empty()) return std::make_pair(at, at_base);
    if (fragment[0] != '/') {
      auto anchor = by_uri_.find(doc_uri + "#" + fragment);
      if (anchor == by_uri_.end()) {
        return Error{"cannot resolve '" + ref + "': no anchor '" + fragment + "'"};
      }
      const json* target = anchor->second;
      return std::make_pair(target, base_of_.count(target) ? base_of_[target] : doc_uri);
    }
    for (const std::string& token : pointer_tokens(fragment)) {
      if (at->is_object()) {
        auto it = at->find(token);
        if (it == at->end()) return Error{"cannot resolve '" + ref + "': no '" + token + "'"};
        at = &*it;
      } else if (at->is_array()) {
        std::size_t index = 0;
        auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
        if (ec != std::errc() || p != token.data() + token.size() || index >= at->size()) {
          return Error{"cannot resolve '" + ref + "': no item '" + token + "'"};
        }
        at = &(*at)[index];
      } else {
        return Error{"cannot resolve '" + ref + "': '" + token + "' is not in a container"};
      }
      if (base_of_.count(at)) at_base = base_of_[at];
    }
    if (!base_of_.count(at)) scan(*at, at_base, 0);
    return std::make_pair(at, base_of_.count(at) ? base_of_[at] : at_base);
  }

  Result<SchemaId> compile(const json& j, const std::string& base, const std::string& location) {
    auto done = compiled_.find(&j);
    if (done != compiled_.end()) return done->second;
    if (!base_of_.count(&j)) scan(j, base, 0);
    const std::string here = base_of_.count(&j) ? base_of_[&j] : base;
    const auto id = static_cast<SchemaId>(set_.nodes_.size());
    set_.nodes_.push_back(std::make_unique<Node>());
    compiled_[&j] = id;
    auto node = [&]() -> Node& { return *set_.nodes_[id]; };
    node().location = location;
    node().owner = owner_;
    const int outer_owner = owner_;
    struct RestoreOwner {
      int& owner;
      int saved;
      ~RestoreOwner() { owner = saved; }
    } restore{owner_, outer_owner};
    if (resource_roots_.count(&j)) {
      const auto r = static_cast<int>(set_.resources_.size());
      set_.resources_.push_back(std::make_unique<Resource>());
      set_.resources_.back()->uri = here;
      owner_ = r;
      node().owner = r;
      auto anchors = dynamic_anchors_.find(here);
      if (anchors != dynamic_anchors_.end()) {
        for (const auto& [name, target] : anchors->second) {
          auto t = compile(*target, here, location + " (anchor " + name + ")");
          if (!t) return t.error();
          set_.resources_[static_cast<std::size_t>(r)]->dynamic_anchors[name] = t.value();
        }
      }
    }
    if (j.is_boolean()) {
      node().never = !j.get<bool>();
      return id;
    }
    if (!j.is_object()) return Error{"a schema must be an object or a boolean", {}, 0, location};
    // readOnly/writeOnly first: a property that reaches this schema through a $ref (even one
    // that cycles back here) must find them set.
    if (set_.options_.dialect != Dialect::kDraft4) {
      for (auto [key, out] :
           {std::pair{"readOnly", &Node::read_only}, std::pair{"writeOnly", &Node::write_only}}) {
        auto it = j.find(key);
        if (it == j.end()) continue;
        if (!it->is_boolean()) {
          return Error{"expected true or false", {}, 0, location + "/" + key};
        }
        node().*out = it->get<bool>();
      }
    }

    auto fail = [&](const std::string& key, const std::string& why) {
      return Error{why, {}, 0, location + "/" + key};
    };
    auto sub = [&](const json& s, const std::string& key) -> Result<SchemaId> {
      return compile(s, here, location + "/" + key);
    };
    auto number = [&](const char* key, std::optional<double>& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return Ok{};
      if (!it->is_number()) return fail(key, "expected a number");
      out = it->get<double>();
      return Ok{};
    };
    auto count = [&](const char* key, std::optional<std::uint64_t>& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return Ok{};
      if (!it->is_number() || it->get<double>() < 0 ||
          std::trunc(it->get<double>()) != it->get<double>()) {
        return fail(key, "expected a non-negative integer");
      }
      out = static_cast<std::uint64_t>(it->get<double>());
      return Ok{};
    };
    auto schema_list = [&](const char* key, std::vector<SchemaId>& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return Ok{};
      if (!it->is_array()) return fail(key, "expected a list of schemas");
      for (std::size_t i = 0; i < it->size(); ++i) {
        auto s = sub((*it)[i], std::string(key) + "/" + std::to_string(i));
        if (!s) return s.error();
        out.push_back(s.value());
      }
      return Ok{};
    };
    auto schema_one = [&](const char* key, SchemaId& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return Ok{};
      auto s = sub(*it, key);
      if (!s) return s.error();
      out = s.value();
      return Ok{};
    };
    auto regex = [&](const std::string& pattern,
                     const std::string& key) -> Result<std::unique_ptr<RE2>> {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_max_mem(8 << 20);
      auto re = std::make_unique<RE2>(pattern, options);
      if (!re->ok()) return fail(key, "pattern '" + pattern + "' does not compile: " + re->error());
      return re;
    };

    // $ref: in draft 4 (and OpenAPI 3.0) it replaces the whole schema.
    if (auto r = j.find("$ref"); r != j.end() && r->is_string()) {
      auto target = resolve(r->get<std::string>(), here);
      if (!target) return fail("$ref", target.error().message);
      auto t = compile(*target->first, target->second, location + "/$ref");
      if (!t) return t.error();
      node().ref = t.value();
      if (draft4()) return id;
    }
    if (!draft4()) {
      if (auto r = j.find("$dynamicRef"); r != j.end() && r->is_string()) {
        const std::string& text = r->get_ref<const std::string&>();
        auto target = resolve(text, here);
        if (!target) return fail("$dynamicRef", target.error().message);
        auto t = compile(*target->first, target->second, location + "/$dynamicRef");
        if (!t) return t.error();
        node().dynamic_ref = t.value();
        std::size_t hash = text.find('#');
        if (hash != std::string::npos && hash + 1 < text.size() && text[hash + 1] != '/') {
          auto anchor = target->first->find("$dynamicAnchor");
          std::string name = text.substr(hash + 1);
          if (anchor != target->first->end() && anchor->is_string() &&
              anchor->get<std::string>() == name) {
            node().dynamic_name = name;
          }
        }
      }
    }

    if (auto t = j.find("type"); t != j.end()) {
      auto add = [&](const json& name) -> Status {
        std::uint8_t bit = name.is_string() ? type_bit(name.get<std::string>()) : 0;
        if (bit == 0) return fail("type", "unknown type " + name.dump());
        node().types |= bit;
        return Ok{};
      };
      if (t->is_array()) {
        for (const auto& name : *t) {
          if (auto st = add(name); !st) return st.error();
        }
      } else if (auto st = add(*t); !st) {
        return st.error();
      }
    }
    if (set_.options_.dialect == Dialect::kOpenApi30) {
      if (auto n = j.find("nullable"); n != j.end() && n->is_boolean()) {
        node().nullable = n->get<bool>();
      }
    }
    if (auto e = j.find("enum"); e != j.end()) {
      if (!e->is_array()) return fail("enum", "expected a list");
      node().has_enum = true;
      for (const auto& v : *e) node().enum_values.push_back(v);
    }
    if (!draft4()) {
      if (auto c = j.find("const"); c != j.end()) node().const_value = *c;
    }
    for (auto [key, out] : {std::pair{"minimum", &Node::minimum},
                            {"maximum", &Node::maximum},
                            {"multipleOf", &Node::multiple_of}}) {
      if (auto st = number(key, node().*out); !st) return st.error();
    }
    if (node().multiple_of && *node().multiple_of <= 0) {
      return fail("multipleOf", "must be greater than zero");
    }
    for (auto [key, bound, exclusive] :
         {std::tuple{"exclusiveMinimum", &Node::minimum, &Node::exclusive_minimum},
          {"exclusiveMaximum", &Node::maximum, &Node::exclusive_maximum}}) {
      auto it = j.find(key);
      if (it == j.end()) continue;
      if (it->is_boolean()) {
        // Draft 4: a flag that makes minimum/maximum exclusive.
        if (it->get<bool>() && node().*bound) {
          node().*exclusive = node().*bound;
          (node().*bound).reset();
        }
      } else if (it->is_number()) {
        node().*exclusive = it->get<double>();
      } else {
        return fail(key, "expected a number");
      }
    }
    for (auto [key, out] : {std::pair{"minLength", &Node::min_length},
                            {"maxLength", &Node::max_length},
                            {"minItems", &Node::min_items},
                            {"maxItems", &Node::max_items},
                            {"minProperties", &Node::min_properties},
                            {"maxProperties", &Node::max_properties}}) {
      if (auto st = count(key, node().*out); !st) return st.error();
    }
    if (auto p = j.find("pattern"); p != j.end()) {
      if (!p->is_string()) return fail("pattern", "expected a string");
      auto re = regex(p->get<std::string>(), "pattern");
      if (!re) return re.error();
      node().pattern = std::move(re.value());
      node().pattern_text = p->get<std::string>();
    }
    if (auto f = j.find("format"); f != j.end() && f->is_string()) {
      node().format_name = f->get<std::string>();
      if (set_.options_.assert_formats) node().format = format_named(node().format_name);
    }

    // Arrays.
    if (auto it = j.find("items"); it != j.end()) {
      if (it->is_array()) {  // draft 4: items as a list, then additionalItems
        if (auto st = schema_list("items", node().prefix_items); !st) return st.error();
        if (auto st = schema_one("additionalItems", node().items); !st) return st.error();
      } else if (auto st = schema_one("items", node().items); !st) {
        return st.error();
      }
    }
    if (!draft4()) {
      if (auto st = schema_list("prefixItems", node().prefix_items); !st) return st.error();
      if (auto st = schema_one("contains", node().contains); !st) return st.error();
      if (node().contains != kNone) {
        if (auto st = count("minContains", node().min_contains); !st) return st.error();
        if (auto st = count("maxContains", node().max_contains); !st) return st.error();
      }
      if (auto st = schema_one("unevaluatedItems", node().unevaluated_items); !st) {
        return st.error();
      }
    }
    if (auto u = j.find("uniqueItems"); u != j.end() && u->is_boolean()) {
      node().unique_items = u->get<bool>();
    }

    // Objects.
    if (auto p = j.find("properties"); p != j.end()) {
      if (!p->is_object()) return fail("properties", "expected an object");
      for (const auto& [name, s] : p->items()) {
        auto c = sub(s, "properties/" + name);
        if (!c) return c.error();
        // Read-only by its own keyword or by the schema its $ref names.
        bool ro = false;
        SchemaId at = c.value();
        for (int hops = 0; hops < 32 && at != kNone && !ro; ++hops) {
          ro = set_.nodes_[at]->read_only;
          at = set_.nodes_[at]->ref;
        }
        node().properties.push_back({name, c.value(), ro});
      }
      node().index();
    }
    if (auto p = j.find("patternProperties"); p != j.end()) {
      if (!p->is_object()) return fail("patternProperties", "expected an object");
      for (const auto& [pattern, s] : p->items()) {
        auto re = regex(pattern, "patternProperties");
        if (!re) return re.error();
        auto c = sub(s, "patternProperties/" + pattern);
        if (!c) return c.error();
        node().pattern_properties.emplace_back(std::move(re.value()), c.value());
      }
    }
    if (auto st = schema_one("additionalProperties", node().additional_properties); !st) {
      return st.error();
    }
    if (auto r = j.find("required"); r != j.end()) {
      if (!r->is_array()) return fail("required", "expected a list of names");
      for (const auto& name : *r) {
        if (!name.is_string()) return fail("required", "expected a list of names");
        node().required.push_back(name.get<std::string>());
      }
    }
    auto dependencies = [&](const char* key, bool lists, bool schemas) -> Status {
      auto d = j.find(key);
      if (d == j.end()) return Ok{};
      if (!d->is_object()) return fail(key, "expected an object");
      for (const auto& [name, v] : d->items()) {
        if (v.is_array() && lists) {
          std::vector<std::string> names;
          for (const auto& n : v) {
            if (!n.is_string()) return fail(key, "expected a list of names");
            names.push_back(n.get<std::string>());
          }
          node().dependent_required.emplace_back(name, std::move(names));
        } else if (schemas) {
          auto c = sub(v, std::string(key) + "/" + name);
          if (!c) return c.error();
          node().dependent_schemas.emplace_back(name, c.value());
        } else {
          return fail(key, "expected a list of names");
        }
      }
      return Ok{};
    };
    if (draft4()) {
      if (auto st = dependencies("dependencies", true, true); !st) return st.error();
    } else {
      if (auto st = dependencies("dependentRequired", true, false); !st) return st.error();
      if (auto st = dependencies("dependentSchemas", false, true); !st) return st.error();
      if (auto st = schema_one("propertyNames", node().property_names); !st) return st.error();
      if (auto st = schema_one("unevaluatedProperties", node().unevaluated_properties); !st) {
        return st.error();
      }
    }

    // Combinations.
    for (auto [key, out] :
         {std::pair{"allOf", &Node::all_of}, {"anyOf", &Node::any_of}, {"oneOf", &Node::one_of}}) {
      if (auto st = schema_list(key, node().*out); !st) return st.error();
    }
    if (auto st = schema_one("not", node().not_schema); !st) return st.error();
    if (!draft4()) {
      if (auto st = schema_one("if", node().if_schema); !st) return st.error();
      if (node().if_schema != kNone) {
        if (auto st = schema_one("then", node().then_schema); !st) return st.error();
        if (auto st = schema_one("else", node().else_schema); !st) return st.error();
      }
    }

    // OpenAPI: readOnly/writeOnly, and the discriminator that picks one of oneOf/anyOf.
    if (set_.options_.dialect != Dialect::kDraft4) {
      if (auto d = j.find("discriminator"); d != j.end() && d->is_object()) {
        auto name = d->find("propertyName");
        if (name == d->end() || !name->is_string()) {
          return fail("discriminator", "propertyName is required");
        }
        node().discriminator = name->get<std::string>();
        if (auto m = d->find("mapping"); m != d->end() && m->is_object()) {
          for (const auto& [value, ref] : m->items()) {
            if (!ref.is_string()) return fail("discriminator/mapping", "expected references");
            std::string text = ref.get<std::string>();
            // A bare name means the schema of that name in components/schemas.
            if (text.find('#') == std::string::npos && text.find('/') == std::string::npos) {
              text = "#/components/schemas/" + text;
            }
            auto target = resolve(text, here);
            if (!target) return fail("discriminator/mapping", target.error().message);
            auto t = compile(*target->first, target->second,
                             location + "/discriminator/mapping/" + value);
            if (!t) return t.error();
            node().mapping.emplace_back(value, t.value());
          }
        }
        // Implicit mapping: each oneOf/anyOf $ref by its last path segment (the schema name).
        for (const char* key : {"oneOf", "anyOf"}) {
          auto list = j.find(key);
          if (list == j.end() || !list->is_array()) continue;
          for (std::size_t i = 0; i < list->size(); ++i) {
            const json& alt = (*list)[i];
            auto r = alt.is_object() ? alt.find("$ref") : alt.end();
            if (!alt.is_object() || r == alt.end() || !r->is_string()) continue;
            std::string text = r->get<std::string>();
            std::string last = text.substr(text.find_last_of('/') + 1);
            bool mapped = std::any_of(node().mapping.begin(), node().mapping.end(),
                                      [&](const auto& m) { return m.first == last; });
            const auto& ids = std::strcmp(key, "oneOf") == 0 ? node().one_of : node().any_of;
            if (!mapped && i < ids.size()) node().mapping.emplace_back(last, ids[i]);
          }
        }
      }
    }

    node().tracks = node().unevaluated_items != kNone || node().unevaluated_properties != kNone;
    node().closed = set_.options_.strict_additional_properties &&
                    node().additional_properties == kNone && !node().properties.empty() &&
                    node().all_of.empty() && node().any_of.empty() && node().one_of.empty() &&
                    node().ref == kNone && node().dynamic_ref == kNone &&
                    node().unevaluated_properties == kNone && node().dependent_schemas.empty() &&
                    node().if_schema == kNone;
    return id;
  }

  SchemaSet& set_;
  std::map<const json*, SchemaId> compiled_;
  std::map<const json*, std::string> base_of_;
  std::map<std::string, const json*> by_uri_;
  std::set<const json*> resource_roots_;
  std::map<std::string, std::map<std::string, const json*>> dynamic_anchors_;
  int owner_ = -1;
};

// ---------------------------------------------------------------- validating

class SchemaSet::Validation {
 public:
  Validation(const SchemaSet& set, ValidationOutput* out, std::pmr::memory_resource* arena)
      : set_(set), out_(out), arena_(arena) {}

  // Which members/items of one instance the schemas that passed have evaluated (for
  // unevaluatedProperties/unevaluatedItems).
  struct Evaluated {
    std::uint64_t* bits = nullptr;
    std::uint32_t count = 0;
    void mark(std::uint32_t i) noexcept { bits[i / 64] |= std::uint64_t{1} << (i % 64); }
    bool has(std::uint32_t i) const noexcept { return bits[i / 64] >> (i % 64) & 1; }
    void merge(const Evaluated& other) noexcept {
      for (std::uint32_t w = 0; w < (count + 63) / 64; ++w) bits[w] |= other.bits[w];
    }
  };

  bool check(SchemaId id, const Value& v, Evaluated* ev) noexcept {
    const Node& n = *set_.nodes_[id];
    if (depth_ >= kMaxDepth) {
      fail("$ref", "the schema nests too deeply for this value");
      return false;
    }
    // Alternatives inside recursive schemas multiply: a value crafted to try every branch
    // at every level must not buy unbounded work.
    if (++checks_ > kMaxChecks) {
      budget_spent_ = true;
      return false;
    }
    ++depth_;
    bool pushed = false;
    if (n.owner >= 0 && (scope_size_ == 0 || scope_[scope_size_ - 1] != n.owner) &&
        scope_size_ < kMaxDepth) {
      scope_[scope_size_++] = n.owner;
      pushed = true;
    }
    bool ok = check_node(n, v, ev);
    if (pushed) --scope_size_;
    --depth_;
    return ok;
  }

 private:
  static constexpr std::size_t kMaxDepth = 256;
  static constexpr std::size_t kMaxChecks = 200000;

 public:
  // Whether validation stopped because it reached kMaxChecks (the value counts as invalid).
  bool budget_spent() const noexcept { return budget_spent_; }
  void report_budget() noexcept {
    if (budget_spent_ && out_ != nullptr && out_->violations.size() < out_->max_violations) {
      out_->violations.push_back(
          {"", "complexity", "the value needs too much work to validate against its schema"});
    }
  }

 private:
  bool collecting() const noexcept {
    return out_ != nullptr && quiet_ == 0 && out_->violations.size() < out_->max_violations;
  }
  // Records a violation; returns whether validation should go on looking for more.
  bool fail(std::string_view keyword, std::string_view message) noexcept {
    if (!collecting()) return false;
    out_->violations.push_back({pointer(), keyword, keep(message)});
    return out_->violations.size() < out_->max_violations;
  }
  template <typename... Parts>
  std::string_view text(const Parts&... parts) noexcept {
    std::size_t size = (std::string_view(parts).size() + ...);
    char* p = static_cast<char*>(arena_->allocate(size, 1));
    char* w = p;
    ((w = std::copy(std::string_view(parts).begin(), std::string_view(parts).end(), w)), ...);
    return {p, size};
  }
  std::string_view keep(std::string_view s) noexcept { return text(s); }
  std::string_view pointer() noexcept {
    std::pmr::string out(arena_);
    for (std::size_t i = 0; i < path_size_; ++i) {
      out += '/';
      if (path_[i].name.data() == nullptr) {
        char buf[12];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, path_[i].index);
        out.append(buf, p);
      } else {
        append_pointer_token(out, path_[i].name);
      }
    }
    return keep(out);
  }
  struct Segment {
    std::string_view name;  // data() null: an array index
    std::uint32_t index = 0;
  };
  struct Step {
    Validation& v;
    bool pushed;
    Step(Validation& val, Segment s) noexcept : v(val), pushed(val.path_size_ < kMaxDepth) {
      if (pushed) v.path_[v.path_size_++] = s;
    }
    ~Step() {
      if (pushed) --v.path_size_;
    }
  };
  Evaluated fresh(const Value& v) noexcept {
    Evaluated e;
    e.count = v.count;
    const std::size_t words = (v.count + 63) / 64 + 1;
    e.bits = static_cast<std::uint64_t*>(arena_->allocate(words * 8, 8));
    std::fill(e.bits, e.bits + words, 0);
    return e;
  }
  bool quietly(SchemaId id, const Value& v, Evaluated* ev) noexcept {
    ++quiet_;
    bool ok = check(id, v, ev);
    --quiet_;
    return ok;
  }

  bool check_node(const Node& n, const Value& v, Evaluated* parent) noexcept {
    if (n.never) {
      fail("false", "no value is allowed here");
      return false;
    }
    const bool is_container = v.kind == JsonKind::kArray || v.kind == JsonKind::kObject;
    // The evaluations of this schema's keywords; passed up when it validates.
    Evaluated local;
    Evaluated* ev = nullptr;
    if (is_container && (parent != nullptr || n.tracks)) {
      local = fresh(v);
      ev = &local;
    }
    bool ok = true;
    auto failed = [&](std::string_view keyword, std::string_view message) {
      ok = false;
      return !fail(keyword, message);
    };

    if (n.ref != kNone && !check(n.ref, v, ev)) {
      ok = false;
      if (!collecting()) return false;
    }
    if (n.dynamic_ref != kNone) {
      SchemaId target = n.dynamic_ref;
      if (!n.dynamic_name.empty()) {
        for (std::size_t i = 0; i < scope_size_; ++i) {
          const Resource& r = *set_.resources_[static_cast<std::size_t>(scope_[i])];
          auto it = r.dynamic_anchors.find(n.dynamic_name);
          if (it != r.dynamic_anchors.end()) {
            target = it->second;
            break;
          }
        }
      }
      if (!check(target, v, ev)) {
        ok = false;
        if (!collecting()) return false;
      }
    }

    if (n.types != 0) {
      std::uint8_t bit = 0;
      switch (v.kind) {
        case JsonKind::kNull:
          bit = kNullBit;
          break;
        case JsonKind::kBoolean:
          bit = kBooleanBit;
          break;
        case JsonKind::kObject:
          bit = kObjectBit;
          break;
        case JsonKind::kArray:
          bit = kArrayBit;
          break;
        case JsonKind::kString:
          bit = kStringBit;
          break;
        case JsonKind::kNumber:
          bit = v.integer ? (kNumberBit | kIntegerBit) : kNumberBit;
          break;
      }
      if ((n.types & bit) == 0 && !(n.nullable && v.kind == JsonKind::kNull)) {
        std::string expected;
        for (auto [b, name] : {std::pair{kNullBit, "null"},
                               {kBooleanBit, "boolean"},
                               {kObjectBit, "object"},
                               {kArrayBit, "array"},
                               {kNumberBit, "number"},
                               {kStringBit, "string"},
                               {kIntegerBit, "integer"}}) {
          if (n.types & b) expected += expected.empty() ? name : std::string(" or ") + name;
        }
        // A value of the wrong type: its other keywords would only add noise.
        failed("type", text("expected ", expected, ", got ", kind_name(v)));
        return false;
      }
    }
    if (n.has_enum) {
      bool found = std::any_of(n.enum_values.begin(), n.enum_values.end(),
                               [&](const json& c) { return equal_constant(v, c); });
      if (!found && !(n.nullable && v.kind == JsonKind::kNull)) {
        if (failed("enum", "value is not one of the allowed values")) return false;
      }
    }
    if (n.const_value && !equal_constant(v, *n.const_value)) {
      if (failed("const", "value is not the allowed value")) return false;
    }

    // Each returns false on a violation; validation goes on while violations are recorded.
    bool kind_ok = true;
    switch (v.kind) {
      case JsonKind::kNumber:
        kind_ok = numeric(n, v, failed);
        break;
      case JsonKind::kString:
        kind_ok = string(n, v, failed);
        break;
      case JsonKind::kArray:
        kind_ok = array(n, v, ev, failed);
        break;
      case JsonKind::kObject:
        kind_ok = object(n, v, ev, failed);
        break;
      default:
        break;
    }
    if (!kind_ok) {
      ok = false;
      if (!collecting()) return false;
    }

    for (SchemaId s : n.all_of) {
      if (!check(s, v, ev)) {
        ok = false;
        if (!collecting()) return false;
      }
    }
    if (!n.discriminator.empty() && v.kind == JsonKind::kObject) {
      // The discriminator names the one alternative that applies: its violations are the
      // useful ones.
      const Value* tag = v.find(n.discriminator);
      if (tag == nullptr || tag->kind != JsonKind::kString) {
        if (failed("discriminator", text("property '", n.discriminator, "' is required")))
          return false;
      } else {
        auto m = std::find_if(n.mapping.begin(), n.mapping.end(),
                              [&](const auto& e) { return e.first == tag->text; });
        if (m == n.mapping.end()) {
          if (failed("discriminator",
                     text("'", tag->text, "' is not a known value of '", n.discriminator, "'")))
            return false;
        } else if (!check(m->second, v, ev)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
    } else {
      if (!n.any_of.empty()) {
        bool any = false;
        for (SchemaId s : n.any_of) {
          Evaluated branch;
          if (ev != nullptr) branch = fresh(v);
          if (quietly(s, v, ev ? &branch : nullptr)) {
            any = true;
            if (ev == nullptr) break;
            ev->merge(branch);
          }
        }
        if (!any && failed("anyOf", "value matches none of the alternatives")) return false;
      }
      if (!n.one_of.empty()) {
        std::size_t matches = 0;
        Evaluated chosen;
        for (SchemaId s : n.one_of) {
          Evaluated branch;
          if (ev != nullptr) branch = fresh(v);
          if (quietly(s, v, ev ? &branch : nullptr)) {
            if (++matches > 1) break;
            chosen = branch;
          }
        }
        if (matches == 0) {
          if (failed("oneOf", "value matches none of the alternatives")) return false;
        } else if (matches > 1) {
          if (failed("oneOf", "value matches more than one alternative")) return false;
        } else if (ev != nullptr) {
          ev->merge(chosen);
        }
      }
    }
    if (n.not_schema != kNone && quietly(n.not_schema, v, nullptr)) {
      if (failed("not", "value matches a schema it must not match")) return false;
    }
    if (n.if_schema != kNone) {
      Evaluated branch;
      if (ev != nullptr) branch = fresh(v);
      if (quietly(n.if_schema, v, ev ? &branch : nullptr)) {
        if (ev != nullptr) ev->merge(branch);
        if (n.then_schema != kNone && !check(n.then_schema, v, ev)) {
          ok = false;
          if (!collecting()) return false;
        }
      } else if (n.else_schema != kNone && !check(n.else_schema, v, ev)) {
        ok = false;
        if (!collecting()) return false;
      }
    }
    if (v.kind == JsonKind::kObject) {
      for (const auto& [name, s] : n.dependent_schemas) {
        if (v.find(name) != nullptr && !check(s, v, ev)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
    }

    // Last: what no other keyword evaluated.
    if (n.unevaluated_properties != kNone && v.kind == JsonKind::kObject && ev != nullptr) {
      for (std::uint32_t i = 0; i < v.count; ++i) {
        if (ev->has(i)) continue;
        Step step(*this, {v.members[i].name});
        if (!check(n.unevaluated_properties, v.members[i].value, nullptr)) {
          ok = false;
          if (quiet_ > 0 || !collecting()) return false;
        }
        ev->mark(i);
      }
    }
    if (n.unevaluated_items != kNone && v.kind == JsonKind::kArray && ev != nullptr) {
      for (std::uint32_t i = 0; i < v.count; ++i) {
        if (ev->has(i)) continue;
        Step step(*this, {std::string_view(), i});
        if (!check(n.unevaluated_items, v.items[i], nullptr)) {
          ok = false;
          if (quiet_ > 0 || !collecting()) return false;
        }
        ev->mark(i);
      }
    }
    if (ok && parent != nullptr && ev != nullptr) parent->merge(*ev);
    return ok;
  }

  template <typename Failed>
  bool numeric(const Node& n, const Value& v, Failed& failed) noexcept {
    const double x = v.number;
    if (n.minimum && x < *n.minimum &&
        failed("minimum", text("value ", v.text, " is less than ", number_text(*n.minimum))))
      return false;
    if (n.maximum && x > *n.maximum &&
        failed("maximum", text("value ", v.text, " is greater than ", number_text(*n.maximum))))
      return false;
    if (n.exclusive_minimum && x <= *n.exclusive_minimum &&
        failed("exclusiveMinimum",
               text("value ", v.text, " is not greater than ", number_text(*n.exclusive_minimum))))
      return false;
    if (n.exclusive_maximum && x >= *n.exclusive_maximum &&
        failed("exclusiveMaximum",
               text("value ", v.text, " is not less than ", number_text(*n.exclusive_maximum))))
      return false;
    if (n.multiple_of) {
      const double m = *n.multiple_of;
      bool multiple;
      if (v.integer && std::trunc(m) == m && m < 9.2e18) {
        multiple = v.integer_value % static_cast<std::int64_t>(m) == 0;
      } else {
        const double q = x / m;
        multiple = std::isfinite(q) && std::fabs(q - std::round(q)) < 1e-9;
      }
      if (!multiple &&
          failed("multipleOf", text("value ", v.text, " is not a multiple of ", number_text(m))))
        return false;
    }
    if (n.format != Format::kNone && !format_accepts(n.format, v) &&
        failed("format", text("value is not a valid ", n.format_name)))
      return false;
    return true;
  }

  template <typename Failed>
  bool string(const Node& n, const Value& v, Failed& failed) noexcept {
    // A string of n bytes has between n/4 and n characters: count them only in between.
    const std::size_t bytes = v.text.size();
    if ((n.min_length && bytes / 4 < *n.min_length) || (n.max_length && bytes > *n.max_length)) {
      const std::size_t length = utf8_length(v.text);
      if (n.min_length && length < *n.min_length &&
          failed("minLength",
                 text("string is shorter than ", std::to_string(*n.min_length), " characters")))
        return false;
      if (n.max_length && length > *n.max_length &&
          failed("maxLength",
                 text("string is longer than ", std::to_string(*n.max_length), " characters")))
        return false;
    }
    if (n.pattern &&
        !RE2::PartialMatch(re2::StringPiece(v.text.data(), v.text.size()), *n.pattern) &&
        failed("pattern", text("string does not match the pattern ", n.pattern_text)))
      return false;
    if (n.format != Format::kNone && !format_accepts(n.format, v) &&
        failed("format", text("string is not a valid ", n.format_name)))
      return false;
    return true;
  }

  template <typename Failed>
  bool array(const Node& n, const Value& v, Evaluated* ev, Failed& failed) noexcept {
    if (n.min_items && v.count < *n.min_items &&
        failed("minItems", text("array has fewer than ", std::to_string(*n.min_items), " items")))
      return false;
    if (n.max_items && v.count > *n.max_items &&
        failed("maxItems", text("array has more than ", std::to_string(*n.max_items), " items")))
      return false;
    bool ok = true;
    for (std::uint32_t i = 0; i < v.count; ++i) {
      SchemaId s = i < n.prefix_items.size() ? n.prefix_items[i] : n.items;
      if (s == kNone) continue;
      Step step(*this, {std::string_view(), i});
      if (!check(s, v.items[i], nullptr)) {
        ok = false;
        if (!collecting()) return false;
      }
      if (ev != nullptr) ev->mark(i);
    }
    if (!ok) return false;
    if (n.contains != kNone) {
      std::uint64_t found = 0;
      for (std::uint32_t i = 0; i < v.count; ++i) {
        if (quietly(n.contains, v.items[i], nullptr)) {
          ++found;
          if (ev != nullptr) ev->mark(i);
        }
      }
      const std::uint64_t least = n.min_contains ? *n.min_contains : 1;
      if (found < least &&
          failed("contains", least == 1 ? std::string_view("no item matches the contains schema")
                                        : text("fewer than ", std::to_string(least),
                                               " items match the contains schema")))
        return false;
      if (n.max_contains && found > *n.max_contains &&
          failed("maxContains", text("more than ", std::to_string(*n.max_contains),
                                     " items match the contains schema")))
        return false;
    }
    if (n.unique_items && v.count > 1 && !unique(v) &&
        failed("uniqueItems", "array items are not unique"))
      return false;
    return true;
  }

  bool unique(const Value& v) noexcept {
    // Sorted by hash, equal hashes compared: n log n, whatever the array holds.
    auto* order = static_cast<std::pair<std::uint64_t, std::uint32_t>*>(arena_->allocate(
        v.count * sizeof(std::pair<std::uint64_t, std::uint32_t>), alignof(std::uint64_t)));
    for (std::uint32_t i = 0; i < v.count; ++i) order[i] = {hash_value(v.items[i]), i};
    std::sort(order, order + v.count);
    for (std::uint32_t i = 0; i < v.count; ++i) {
      for (std::uint32_t j = i + 1; j < v.count && order[j].first == order[i].first; ++j) {
        if (json_equal(v.items[order[i].second], v.items[order[j].second])) return false;
      }
    }
    return true;
  }

  template <typename Failed>
  bool object(const Node& n, const Value& v, Evaluated* ev, Failed& failed) noexcept {
    if (n.min_properties && v.count < *n.min_properties &&
        failed("minProperties",
               text("object has fewer than ", std::to_string(*n.min_properties), " properties")))
      return false;
    if (n.max_properties && v.count > *n.max_properties &&
        failed("maxProperties",
               text("object has more than ", std::to_string(*n.max_properties), " properties")))
      return false;
    const bool request = set_.options_.request;
    for (const std::string& name : n.required) {
      if (v.find(name) != nullptr) continue;
      if (request && set_.options_.dialect != Dialect::kDraft4) {
        const Property* p = n.property(name);
        if (p != nullptr && p->read_only) continue;  // sent by the server only
      }
      if (failed("required", text("property '", name, "' is required"))) return false;
    }
    bool ok = true;
    for (std::uint32_t i = 0; i < v.count; ++i) {
      const Member& m = v.members[i];
      Step step(*this, {m.name});
      bool named = false;
      if (const Property* p = n.property(m.name)) {
        named = true;
        if (p->read_only && request && set_.options_.dialect != Dialect::kDraft4) {
          if (failed("readOnly", text("property '", m.name, "' is read-only"))) return false;
        }
        if (!check(p->schema, m.value, nullptr)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
      for (const auto& [re, s] : n.pattern_properties) {
        if (!RE2::PartialMatch(re2::StringPiece(m.name.data(), m.name.size()), *re)) continue;
        named = true;
        if (!check(s, m.value, nullptr)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
      if (!named) {
        if (n.additional_properties != kNone) {
          named = true;
          if (!check(n.additional_properties, m.value, nullptr)) {
            ok = false;
            if (!collecting()) return false;
          }
        } else if (n.closed) {
          if (failed("additionalProperties", text("property '", m.name, "' is not allowed")))
            return false;
        }
      }
      if (named && ev != nullptr) ev->mark(i);
      if (n.property_names != kNone) {
        Value name;
        name.kind = JsonKind::kString;
        name.text = m.name;
        if (!check(n.property_names, name, nullptr)) {
          ok = false;
          if (!collecting()) return false;
        }
      }
    }
    for (const auto& [name, needs] : n.dependent_required) {
      if (v.find(name) == nullptr) continue;
      for (const std::string& other : needs) {
        if (v.find(other) == nullptr &&
            failed("dependentRequired",
                   text("property '", other, "' is required when '", name, "' is present")))
          return false;
      }
    }
    return ok;
  }

  const SchemaSet& set_;
  ValidationOutput* out_;
  std::pmr::memory_resource* arena_;
  int quiet_ = 0;
  std::size_t depth_ = 0;
  std::array<Segment, kMaxDepth> path_{};
  std::size_t path_size_ = 0;
  std::array<int, kMaxDepth> scope_{};
  std::size_t scope_size_ = 0;
  std::size_t checks_ = 0;
  bool budget_spent_ = false;
};

// ---------------------------------------------------------------- SchemaSet

SchemaSet::SchemaSet(SchemaOptions options, Loader loader)
    : options_(options), loader_(std::move(loader)), compiler_(std::make_unique<Compiler>(*this)) {}

SchemaSet::~SchemaSet() = default;

void SchemaSet::add_document(const std::string& uri, nlohmann::json document) {
  documents_[strip_fragment(uri)] = std::make_unique<json>(std::move(document));
}

Result<SchemaId> SchemaSet::compile(const std::string& uri) {
  try {
    return compiler_->compile_uri(uri);
  } catch (const nlohmann::json::exception& e) {
    return Error{std::string("cannot compile the schema: ") + e.what(), {}, 0, uri};
  }
}

Result<SchemaId> SchemaSet::compile_value(const nlohmann::json& schema, const std::string& base_uri,
                                          const std::string& location) {
  values_.push_back(std::make_unique<json>(schema));
  try {
    return compiler_->compile_at(*values_.back(), base_uri, location);
  } catch (const nlohmann::json::exception& e) {
    return Error{std::string("cannot compile the schema: ") + e.what(), {}, 0, location};
  }
}

bool SchemaSet::validate(SchemaId id, const Value& value, ValidationOutput* out) const noexcept {
  if (id >= nodes_.size()) return false;
  if (out != nullptr) {
    Validation v(*this, out, out->arena);
    bool ok = v.check(id, value, nullptr);
    v.report_budget();
    return ok && !v.budget_spent();
  }
  std::array<std::byte, 1024> inline_buffer;
  std::pmr::monotonic_buffer_resource arena(inline_buffer.data(), inline_buffer.size());
  Validation v(*this, nullptr, &arena);
  return v.check(id, value, nullptr) && !v.budget_spent();
}

std::string SchemaSet::resolve_uri(const std::string& base, const std::string& ref) {
  auto scheme_end = [](const std::string& s) -> std::size_t {
    for (std::size_t i = 0; i < s.size(); ++i) {
      char c = s[i];
      if (c == ':') return i > 0 ? i : std::string::npos;
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.'))
        return std::string::npos;
    }
    return std::string::npos;
  };
  auto remove_dots = [](const std::string& path) {
    std::vector<std::string> out;
    std::size_t at = 0;
    const bool absolute = !path.empty() && path[0] == '/';
    std::string last;
    while (at <= path.size()) {
      std::size_t slash = path.find('/', at);
      std::string seg =
          path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
      if (seg == "..") {
        if (!out.empty()) out.pop_back();
        last = slash == std::string::npos ? "/" : "";
      } else if (seg == ".") {
        last = slash == std::string::npos ? "/" : "";
      } else {
        out.push_back(seg);
        last = "";
      }
      if (slash == std::string::npos) break;
      at = slash + 1;
    }
    std::string joined;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (i > 0) joined += '/';
      joined += out[i];
    }
    if (absolute && (joined.empty() || joined[0] != '/')) joined.insert(0, "/");
    if (!last.empty() && (joined.empty() || joined.back() != '/')) joined += '/';
    return joined;
  };
  if (ref.empty()) return strip_fragment(base);
  if (scheme_end(ref) != std::string::npos) return ref;
  if (ref[0] == '#') return strip_fragment(base) + ref;
  const std::string b = strip_fragment(base);
  std::size_t se = scheme_end(b);
  std::string scheme = se == std::string::npos ? "" : b.substr(0, se + 1);
  std::string rest = se == std::string::npos ? b : b.substr(se + 1);
  std::string authority;
  if (rest.rfind("//", 0) == 0) {
    std::size_t slash = rest.find('/', 2);
    authority = rest.substr(0, slash);
    rest = slash == std::string::npos ? "" : rest.substr(slash);
  } else if (!scheme.empty() && (rest.empty() || rest[0] != '/')) {
    // Not hierarchical (urn:...): only fragments resolve against it.
    return ref;
  }
  if (ref.rfind("//", 0) == 0) return scheme + ref;
  std::string path_and_rest = ref;
  std::string query;
  std::size_t hash = path_and_rest.find('#');
  std::string fragment = hash == std::string::npos ? "" : path_and_rest.substr(hash);
  std::string path = hash == std::string::npos ? path_and_rest : path_and_rest.substr(0, hash);
  if (!path.empty() && path[0] == '/') return scheme + authority + remove_dots(path) + fragment;
  std::string merged;
  if (!authority.empty() && rest.empty()) {
    merged = "/" + path;
  } else {
    std::size_t last = rest.rfind('/');
    merged = (last == std::string::npos ? "" : rest.substr(0, last + 1)) + path;
  }
  return scheme + authority + remove_dots(merged) + fragment;
}

}  // namespace portcullis::schema
