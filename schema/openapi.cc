#include "schema/openapi.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "schema/text.h"

namespace portcullis::schema {

struct OpenApi::TrieNode {
  // Literal segments, sorted by name.
  std::vector<std::pair<std::string, std::unique_ptr<TrieNode>>> literals;
  // Templated segments ("{id}", "{name}.json"), the most literal text first.
  struct Template {
    std::string prefix, suffix, param;
    std::unique_ptr<TrieNode> node;
  };
  std::vector<Template> templates;
  std::vector<const Operation*> operations;  // of the path that ends here
  std::string allow;                         // their methods, "GET, POST"
};

OpenApi::OpenApi() = default;
OpenApi::~OpenApi() = default;

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kMethods[] = {"get",     "put",  "post",  "delete",
                                    "options", "head", "patch", "trace"};

// YAML (or JSON, which is YAML) to JSON values. Plain scalars follow the YAML 1.2 core schema
// (true/false, null, numbers); quoted scalars stay strings.
Result<json> to_json(const YAML::Node& n, const std::string& file) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return json(nullptr);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const auto& item : n) {
        auto v = to_json(item, file);
        if (!v) return v.error();
        out.push_back(std::move(v.value()));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : n) {
        if (!kv.first.IsScalar()) {
          return Error{"a mapping key must be a scalar", file, kv.first.Mark().line + 1};
        }
        auto v = to_json(kv.second, file);
        if (!v) return v.error();
        const std::string key = kv.first.Scalar();
        if (out.contains(key)) {
          return Error{"duplicate key '" + key + "'", file, kv.first.Mark().line + 1};
        }
        out[key] = std::move(v.value());
      }
      return out;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() != "?") return json(s);  // quoted, or explicitly tagged: a string
      if (s == "true" || s == "True" || s == "TRUE") return json(true);
      if (s == "false" || s == "False" || s == "FALSE") return json(false);
      if (s == "null" || s == "Null" || s == "NULL" || s == "~" || s.empty()) return json(nullptr);
      if (!s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' ||
                         s[0] == '+' || s[0] == '.')) {
        json number = json::parse(s[0] == '+' ? s.substr(1) : s, nullptr, false);
        if (!number.is_discarded() && number.is_number()) return number;
      }
      return json(s);
    }
  }
  return json(nullptr);
}

Result<json> read_document(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read the file", path};
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (text[first] == '{' || text[first] == '[')) {
    try {
      return json::parse(text);
    } catch (const json::parse_error& e) {
      // nlohmann reports a byte offset: turn it into a line.
      std::size_t at = std::min<std::size_t>(e.byte, text.size());
      int line = 1 + static_cast<int>(
                         std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
      return Error{std::string("invalid JSON: ") + e.what(), path, line};
    }
  }
  try {
    return to_json(YAML::Load(text), path);
  } catch (const YAML::Exception& e) {
    return Error{"invalid YAML: " + e.msg, path, e.mark.line + 1};
  }
}

std::string escape_pointer(std::string_view token) {
  std::string out;
  append_pointer_token(out, token);
  return out;
}

Scalar scalar_of(const json& schema) {
  if (!schema.is_object()) return Scalar::kAny;
  auto t = schema.find("type");
  if (t == schema.end()) return Scalar::kAny;
  std::string name;
  if (t->is_string()) {
    name = t->get<std::string>();
  } else if (t->is_array()) {  // 3.1: ["integer", "null"]
    for (const auto& x : *t) {
      if (x.is_string() && x.get<std::string>() != "null") name = x.get<std::string>();
    }
  }
  if (name == "integer") return Scalar::kInteger;
  if (name == "number") return Scalar::kNumber;
  if (name == "boolean") return Scalar::kBoolean;
  if (name == "string") return Scalar::kString;
  return Scalar::kAny;
}

bool is_type(const json& schema, const char* type) {
  if (!schema.is_object()) return false;
  auto t = schema.find("type");
  if (t == schema.end()) return false;
  if (t->is_string()) return t->get<std::string>() == type;
  if (t->is_array()) {
    for (const auto& x : *t) {
      if (x.is_string() && x.get<std::string>() == type) return true;
    }
  }
  return false;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

class OpenApiLoader {
 public:
  OpenApiLoader(std::string path, const OpenApiOptions& options)
      : path_(std::move(path)), options_(options) {}

  Result<std::shared_ptr<const OpenApi>> run() {
    auto doc = read_document(path_);
    if (!doc) return doc.error();
    doc_ = std::move(doc.value());
    if (!doc_.is_object()) return fail("", "an OpenAPI document is an object");
    auto version = doc_.find("openapi");
    if (version == doc_.end() || !version->is_string()) {
      return fail("/openapi", "missing the 'openapi' version (3.0.x or 3.1.x)");
    }
    auto api = std::shared_ptr<OpenApi>(new OpenApi());
    api->source_ = path_;
    api->version_ = version->get<std::string>();
    SchemaOptions so;
    if (api->version_.rfind("3.0", 0) == 0) {
      so.dialect = Dialect::kOpenApi30;
    } else if (api->version_.rfind("3.1", 0) == 0) {
      so.dialect = Dialect::kDraft2020;
    } else {
      return fail("/openapi", "unsupported version '" + api->version_ + "' (3.0.x or 3.1.x)");
    }
    so.assert_formats = options_.assert_formats;
    so.request = true;
    so.strict_additional_properties = options_.strict_additional_properties;
    const fs::path absolute = fs::absolute(path_).lexically_normal();
    doc_uri_ = "file://" + absolute.string();
    api->schemas_ = std::make_unique<SchemaSet>(so, [](const std::string& uri) -> Result<json> {
      if (uri.rfind("file://", 0) != 0) return Error{"only files can be referenced: " + uri};
      return read_document(uri.substr(7));
    });
    api->schemas_->add_document(doc_uri_, doc_);
    schemas_ = api->schemas_.get();

    if (auto st = servers(*api); !st) return st.error();
    auto paths = doc_.find("paths");
    if (paths == doc_.end() || !paths->is_object()) {
      return fail("/paths", "missing 'paths' (an object of path templates)");
    }
    api->root_ = std::make_unique<OpenApi::TrieNode>();
    for (const auto& [path, item] : paths->items()) {
      const std::string where = "/paths/" + escape_pointer(path);
      if (path.empty() || path[0] != '/') return fail(where, "a path must start with '/'");
      if (!item.is_object()) return fail(where, "expected a Path Item object");
      auto node = insert(*api->root_, path, where);
      if (!node) return node.error();
      for (const char* method : kMethods) {
        auto op = item.find(method);
        if (op == item.end()) continue;
        auto compiled = operation(item, *op, path, method, where + "/" + method);
        if (!compiled) return compiled.error();
        if (!compiled.value()->content.empty()) api->has_bodies_ = true;
        node.value()->operations.push_back(compiled.value().get());
        if (!node.value()->allow.empty()) node.value()->allow += ", ";
        node.value()->allow += compiled.value()->method;
        api->operations_.push_back(std::move(compiled.value()));
      }
    }
    return std::shared_ptr<const OpenApi>(std::move(api));
  }

 private:
  Error fail(const std::string& pointer, const std::string& why) const {
    return Error{why, path_, 0, "#" + pointer};
  }

  // The boolean `key` of `obj`, or `fallback` when absent.
  Result<bool> flag(const json& obj, const char* key, bool fallback, const std::string& where) {
    auto it = obj.find(key);
    if (it == obj.end()) return fallback;
    if (!it->is_boolean()) return fail(where + "/" + key, "expected true or false");
    return it->get<bool>();
  }

  // Follows local `$ref`s of a non-schema object (parameters, request bodies).
  Result<std::pair<const json*, std::string>> deref(const json& j, std::string pointer) {
    const json* at = &j;
    for (int hops = 0; at->is_object() && at->contains("$ref"); ++hops) {
      const json& ref = (*at)["$ref"];
      if (hops > 32) return fail(pointer, "a cycle of $ref");
      if (!ref.is_string() || ref.get<std::string>().rfind("#/", 0) != 0) {
        return fail(pointer + "/$ref", "expected a reference into this document ('#/...')");
      }
      pointer = ref.get<std::string>().substr(1);
      json::json_pointer p(pointer);
      if (!doc_.contains(p)) return fail(pointer, "the reference names nothing");
      at = &doc_.at(p);
    }
    return std::make_pair(at, pointer);
  }

  Result<SchemaId> schema_at(const std::string& pointer) {
    auto id = schemas_->compile(doc_uri_ + "#" + pointer);
    if (!id) {
      Error e = id.error();
      std::string where = e.key.empty() ? pointer : e.key;
      std::size_t hash = where.find('#');
      if (hash != std::string::npos) where = where.substr(hash + 1);
      return fail(where, e.message);
    }
    return id;
  }

  // The schema object a pointer names, after local $refs.
  const json& schema_json(const json& schema) {
    const json* at = &schema;
    for (int hops = 0; hops < 32 && at->is_object() && at->contains("$ref"); ++hops) {
      const json& ref = (*at)["$ref"];
      if (!ref.is_string() || ref.get<std::string>().rfind("#/", 0) != 0) break;
      json::json_pointer p(ref.get<std::string>().substr(1));
      if (!doc_.contains(p)) break;
      at = &doc_.at(p);
    }
    return *at;
  }

  Status servers(OpenApi& api) {
    auto list = doc_.find("servers");
    if (list == doc_.end() || !list->is_array() || list->empty()) {
      api.base_paths_.push_back("");
      return Ok{};
    }
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& s = (*list)[i];
      if (!s.is_object() || !s.contains("url") || !s["url"].is_string()) {
        return fail("/servers/" + std::to_string(i), "a server needs a 'url'");
      }
      std::string url = s["url"].get<std::string>();
      // Variables take their default value.
      if (auto vars = s.find("variables"); vars != s.end() && vars->is_object()) {
        for (const auto& [name, v] : vars->items()) {
          std::string token = "{" + name + "}";
          std::string value = v.is_object() && v.contains("default") && v["default"].is_string()
                                  ? v["default"].get<std::string>()
                                  : "";
          for (std::size_t at = url.find(token); at != std::string::npos; at = url.find(token)) {
            url.replace(at, token.size(), value);
          }
        }
      }
      std::size_t scheme = url.find("://");
      std::string path = url;
      if (scheme != std::string::npos) {
        std::size_t slash = url.find('/', scheme + 3);
        path = slash == std::string::npos ? "" : url.substr(slash);
      }
      while (!path.empty() && path.back() == '/') path.pop_back();
      if (std::find(api.base_paths_.begin(), api.base_paths_.end(), path) ==
          api.base_paths_.end()) {
        api.base_paths_.push_back(path);
      }
    }
    // The longest base path first, so that /v1/admin wins over /v1.
    std::sort(api.base_paths_.begin(), api.base_paths_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    return Ok{};
  }

  Result<OpenApi::TrieNode*> insert(OpenApi::TrieNode& root, const std::string& path,
                                    const std::string& where) {
    OpenApi::TrieNode* node = &root;
    std::size_t at = 1;
    while (at <= path.size()) {
      std::size_t slash = path.find('/', at);
      std::string segment =
          path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
      std::size_t open = segment.find('{');
      if (open == std::string::npos) {
        auto it = std::lower_bound(node->literals.begin(), node->literals.end(), segment,
                                   [](const auto& e, const std::string& s) { return e.first < s; });
        if (it == node->literals.end() || it->first != segment) {
          it = node->literals.emplace(it, segment, std::make_unique<OpenApi::TrieNode>());
        }
        node = it->second.get();
      } else {
        std::size_t close = segment.find('}', open);
        if (close == std::string::npos || segment.find('{', close) != std::string::npos) {
          return fail(where, "one {parameter} per path segment, closed by '}'");
        }
        OpenApi::TrieNode::Template t{segment.substr(0, open), segment.substr(close + 1),
                                      segment.substr(open + 1, close - open - 1), nullptr};
        auto it = std::find_if(node->templates.begin(), node->templates.end(), [&](const auto& e) {
          return e.prefix == t.prefix && e.suffix == t.suffix;
        });
        if (it == node->templates.end()) {
          t.node = std::make_unique<OpenApi::TrieNode>();
          node->templates.push_back(std::move(t));
          std::stable_sort(
              node->templates.begin(), node->templates.end(), [](const auto& a, const auto& b) {
                return a.prefix.size() + a.suffix.size() > b.prefix.size() + b.suffix.size();
              });
          it = std::find_if(node->templates.begin(), node->templates.end(), [&](const auto& e) {
            return e.prefix == segment.substr(0, open) && e.suffix == segment.substr(close + 1);
          });
        }
        node = it->node.get();
      }
      if (slash == std::string::npos) break;
      at = slash + 1;
    }
    if (!node->operations.empty()) {
      return fail(where, "the same template as another path (only parameter names differ)");
    }
    return node;
  }

  Result<std::unique_ptr<Operation>> operation(const json& item, const json& op,
                                               const std::string& path, const char* method,
                                               const std::string& where) {
    if (!op.is_object()) return fail(where, "expected an Operation object");
    auto out = std::make_unique<Operation>();
    out->method = method;
    std::transform(out->method.begin(), out->method.end(), out->method.begin(),
                   [](char c) { return static_cast<char>(std::toupper(c)); });
    out->path = path;
    if (op.contains("operationId") && op["operationId"].is_string()) {
      out->operation_id = op["operationId"].get<std::string>();
    }
    out->label = out->operation_id.empty() ? out->method + " " + path : out->operation_id;
    // Path-level parameters, overridden by the operation's of the same name and location.
    std::map<std::pair<std::string, ParamIn>, Parameter> params;
    std::vector<std::pair<std::string, ParamIn>> order;
    const std::string item_where = where.substr(0, where.rfind('/'));
    struct Source {
      const json* owner;
      std::string where;
    };
    for (const Source& source :
         {Source{&item, item_where + "/parameters"}, Source{&op, where + "/parameters"}}) {
      auto list = source.owner->find("parameters");
      if (list == source.owner->end()) continue;
      if (!list->is_array()) return fail(source.where, "expected a list of parameters");
      for (std::size_t i = 0; i < list->size(); ++i) {
        auto p = parameter((*list)[i], source.where + "/" + std::to_string(i));
        if (!p) return p.error();
        auto key = std::make_pair(
            p.value().in == ParamIn::kHeader ? lower(p.value().name) : p.value().name,
            p.value().in);
        if (!params.count(key)) order.push_back(key);
        params[key] = std::move(p.value());
      }
    }
    for (const auto& key : order) out->parameters.push_back(std::move(params[key]));
    // Every template parameter needs a path parameter, and the other way round.
    for (std::size_t open = path.find('{'); open != std::string::npos;
         open = path.find('{', open + 1)) {
      std::string name = path.substr(open + 1, path.find('}', open) - open - 1);
      bool found = std::any_of(out->parameters.begin(), out->parameters.end(), [&](const auto& p) {
        return p.in == ParamIn::kPath && p.name == name;
      });
      if (!found) return fail(where, "path parameter '" + name + "' is not described");
    }
    for (const Parameter& p : out->parameters) {
      if (p.in == ParamIn::kPath && path.find("{" + p.name + "}") == std::string::npos) {
        return fail(where + "/parameters", "path parameter '" + p.name + "' is not in the path");
      }
    }
    if (auto body = op.find("requestBody"); body != op.end()) {
      auto target = deref(*body, where + "/requestBody");
      if (!target) return target.error();
      const json& rb = *target->first;
      const std::string rb_where = target->second;
      if (!rb.is_object() || !rb.contains("content") || !rb["content"].is_object()) {
        return fail(rb_where, "a request body needs 'content'");
      }
      auto required = flag(rb, "required", false, rb_where);
      if (!required) return required.error();
      out->body_required = required.value();
      for (const auto& [type, media] : rb["content"].items()) {
        MediaType m;
        m.type = lower(type);
        const std::string m_where = rb_where + "/content/" + escape_pointer(type);
        std::string essence = m.type.substr(0, m.type.find(';'));
        if (essence == "application/json" || essence.ends_with("+json") || essence == "*/*" ||
            essence == "application/*") {
          m.reader = essence.find("json") != std::string::npos ? MediaType::Reader::kJson
                                                               : MediaType::Reader::kNone;
        }
        if (essence == "application/x-www-form-urlencoded") m.reader = MediaType::Reader::kForm;
        if (essence == "multipart/form-data") m.reader = MediaType::Reader::kMultipart;
        if (media.is_object() && media.contains("schema")) {
          auto id = schema_at(m_where + "/schema");
          if (!id) return id.error();
          m.schema = id.value();
          m.has_schema = true;
          const json& s = schema_json(media["schema"]);
          if (s.is_object() && s.contains("properties") && s["properties"].is_object()) {
            for (const auto& [name, ps] : s["properties"].items()) {
              const json& prop = schema_json(ps);
              if (is_type(prop, "array")) {
                m.array_properties.push_back(name);
                m.properties.emplace_back(name, prop.contains("items")
                                                    ? scalar_of(schema_json(prop["items"]))
                                                    : Scalar::kString);
              } else {
                m.properties.emplace_back(name, scalar_of(prop));
              }
            }
          }
        }
        out->content.push_back(std::move(m));
      }
    }
    return out;
  }

  Result<Parameter> parameter(const json& j, const std::string& where) {
    auto target = deref(j, where);
    if (!target) return target.error();
    const json& p = *target->first;
    const std::string p_where = target->second;
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() || !p.contains("in") ||
        !p["in"].is_string()) {
      return fail(p_where, "a parameter needs 'name' and 'in'");
    }
    Parameter out;
    out.name = p["name"].get<std::string>();
    const std::string in = p["in"].get<std::string>();
    if (in == "path") {
      out.in = ParamIn::kPath;
      out.style = ParamStyle::kSimple;
      out.explode = false;
      out.required = true;
    } else if (in == "query") {
      out.in = ParamIn::kQuery;
    } else if (in == "header") {
      out.in = ParamIn::kHeader;
      out.style = ParamStyle::kSimple;
      out.explode = false;
    } else if (in == "cookie") {
      out.in = ParamIn::kCookie;
    } else {
      return fail(p_where + "/in", "expected path, query, header or cookie");
    }
    if (p.contains("required") && p["required"].is_boolean() && out.in != ParamIn::kPath) {
      out.required = p["required"].get<bool>();
    }
    auto allow_empty = flag(p, "allowEmptyValue", false, p_where);
    if (!allow_empty) return allow_empty.error();
    out.allow_empty = allow_empty.value();
    if (auto style = p.find("style"); style != p.end() && style->is_string()) {
      const std::string s = style->get<std::string>();
      if (s == "simple") {
        out.style = ParamStyle::kSimple;
      } else if (s == "form") {
        out.style = ParamStyle::kForm;
      } else if (s == "deepObject") {
        out.style = ParamStyle::kDeepObject;
      } else if (s == "spaceDelimited") {
        out.style = ParamStyle::kSpaceDelimited;
      } else if (s == "pipeDelimited") {
        out.style = ParamStyle::kPipeDelimited;
      } else {
        return fail(p_where + "/style", "style '" + s + "' is not supported");
      }
    }
    auto explode = flag(p, "explode", out.style == ParamStyle::kForm, p_where);
    if (!explode) return explode.error();
    out.explode = explode.value();
    if (auto schema = p.find("schema"); schema != p.end()) {
      auto id = schema_at(p_where + "/schema");
      if (!id) return id.error();
      out.schema = id.value();
      out.has_schema = true;
      const json& s = schema_json(*schema);
      if (is_type(s, "array")) {
        out.shape = Parameter::Shape::kArray;
        out.scalar = s.contains("items") ? scalar_of(schema_json(s["items"])) : Scalar::kString;
      } else if (is_type(s, "object")) {
        out.shape = Parameter::Shape::kObject;
        if (s.contains("properties") && s["properties"].is_object()) {
          for (const auto& [name, ps] : s["properties"].items()) {
            out.properties.emplace_back(name, scalar_of(schema_json(ps)));
          }
        }
      } else {
        out.scalar = scalar_of(s);
      }
    } else if (p.contains("content")) {
      return fail(p_where + "/content", "parameters described by 'content' are not supported");
    }
    return out;
  }

  std::string path_;
  OpenApiOptions options_;
  json doc_;
  std::string doc_uri_;
  SchemaSet* schemas_ = nullptr;
};

Result<std::shared_ptr<const OpenApi>> OpenApi::load(const std::string& path,
                                                     const OpenApiOptions& options) {
  OpenApiLoader loader(path, options);
  try {
    return loader.run();
  } catch (const nlohmann::json::exception& e) {
    // A malformed JSON pointer in a $ref, a value of an unexpected type ...
    return Error{std::string("cannot load the document: ") + e.what(), path};
  }
}

namespace {

// Whether the percent-encoded `raw` decodes to `literal`.
bool decodes_to(std::string_view raw, std::string_view literal) noexcept {
  std::size_t j = 0;
  for (std::size_t i = 0; i < raw.size(); ++i, ++j) {
    char c = raw[i];
    if (c == '%' && i + 2 < raw.size()) {
      int hi = hex_value(raw[i + 1]), lo = hex_value(raw[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = static_cast<char>(hi * 16 + lo);
        i += 2;
      }
    }
    if (j >= literal.size() || literal[j] != c) return false;
  }
  return j == literal.size();
}

struct Matcher {
  std::string_view path;
  RouteMatch& out;
  int budget = 4096;  // bounds the backtracking a hostile path can cause

  const OpenApi::TrieNode* match(const OpenApi::TrieNode& node, std::size_t at) noexcept {
    if (--budget < 0) return nullptr;
    if (at > path.size()) return node.operations.empty() ? nullptr : &node;
    std::size_t slash = path.find('/', at);
    std::string_view segment =
        path.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at);
    std::size_t next = slash == std::string_view::npos ? path.size() + 1 : slash + 1;
    // A literal segment wins over a template (OpenAPI "Path Templating Matching").
    auto it = std::lower_bound(node.literals.begin(), node.literals.end(), segment,
                               [](const auto& e, std::string_view s) { return e.first < s; });
    if (it != node.literals.end() && it->first == segment) {
      if (const auto* found = match(*it->second, next)) return found;
    } else if (segment.find('%') != std::string_view::npos) {
      for (const auto& [name, child] : node.literals) {
        if (decodes_to(segment, name)) {
          if (const auto* found = match(*child, next)) return found;
        }
      }
    }
    for (const auto& t : node.templates) {
      if (segment.size() <= t.prefix.size() + t.suffix.size()) continue;
      if (!segment.starts_with(t.prefix) || !segment.ends_with(t.suffix)) continue;
      if (out.path_param_count >= RouteMatch::kMaxPathParams) return nullptr;
      const std::size_t saved = out.path_param_count;
      out.path_params[out.path_param_count++] = {
          t.param,
          segment.substr(t.prefix.size(), segment.size() - t.prefix.size() - t.suffix.size())};
      if (const auto* found = match(*t.node, next)) return found;
      out.path_param_count = saved;
    }
    return nullptr;
  }
};

}  // namespace

RouteMatch OpenApi::route(std::string_view method, std::string_view path) const noexcept {
  RouteMatch out;
  for (const std::string& base : base_paths_) {
    if (!path.starts_with(base)) continue;
    std::string_view rest = path.substr(base.size());
    if (rest.empty() || rest[0] != '/') continue;
    out.path_param_count = 0;
    Matcher m{rest, out};
    const TrieNode* node = m.match(*root_, 1);
    if (node == nullptr) continue;
    for (const Operation* op : node->operations) {
      if (op->method == method) {
        out.result = RouteMatch::Result::kFound;
        out.operation = op;
        return out;
      }
    }
    // HEAD is served wherever GET is.
    if (method == "HEAD") {
      for (const Operation* op : node->operations) {
        if (op->method == "GET") {
          out.result = RouteMatch::Result::kFound;
          out.operation = op;
          return out;
        }
      }
    }
    out.result = RouteMatch::Result::kMethodNotAllowed;
    out.allow = node->allow;
    return out;
  }
  out.result = RouteMatch::Result::kUnknownPath;
  return out;
}

}  // namespace portcullis::schema
