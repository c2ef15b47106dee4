#include "schema/schema_stage.h"

#include <algorithm>
#include <charconv>
#include <memory_resource>

#include "core/json_text.h"
#include "schema/text.h"

namespace portcullis::schema {
namespace {

// What on_headers found for on_body.
struct BodyPlan {
  const MediaType* media = nullptr;
};

// Percent-decodes `s` (and '+' to space when `plus`) into the arena; `s` itself when there is
// nothing to decode.
std::string_view decode(std::string_view s, bool plus, std::pmr::memory_resource* arena) noexcept {
  if (s.find('%') == std::string_view::npos && (!plus || s.find('+') == std::string_view::npos)) {
    return s;
  }
  char* out = static_cast<char*>(arena->allocate(s.size(), 1));
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      c = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else if (c == '+' && plus) {
      c = ' ';
    }
    out[n++] = c;
  }
  return {out, n};
}

struct Pair {
  std::string_view name, value;
};

// name=value pairs split on `sep`, the names decoded (values are decoded by leaf()).
std::pmr::vector<Pair> pairs(std::string_view text, char sep, bool plus,
                             std::pmr::memory_resource* arena) {
  std::pmr::vector<Pair> out(arena);
  std::size_t at = 0;
  while (at <= text.size() && !text.empty()) {
    std::size_t end = text.find(sep, at);
    std::string_view item = text.substr(at, end == std::string_view::npos ? end : end - at);
    if (sep == ';') {
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    }
    if (!item.empty()) {
      std::size_t eq = item.find('=');
      std::string_view name = item.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
      // Values stay encoded until they are split into items: an encoded ',' is data.
      out.push_back({decode(name, plus, arena), value});
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

// How the text of a value is encoded where it came from.
enum class Encoding : std::uint8_t {
  kNone,     // headers, cookies, multipart fields: as sent
  kPercent,  // path segments
  kForm,     // query strings and form bodies: percent-encoding, '+' for space
};

// The text of a parameter as the JSON type its schema gives it; text that does not read as
// that type stays a string, so that the schema's `type` reports it.
Value scalar_value(std::string_view raw, Scalar type, Encoding encoding,
                   std::pmr::memory_resource* arena) noexcept {
  std::string_view text =
      encoding == Encoding::kNone ? raw : decode(raw, encoding == Encoding::kForm, arena);
  Value v;
  v.kind = JsonKind::kString;
  v.text = text;
  if (type == Scalar::kInteger || type == Scalar::kNumber) {
    JsonResult r = parse_json(text, arena);
    if (r.value != nullptr && r.value->kind == JsonKind::kNumber) return *r.value;
  } else if (type == Scalar::kBoolean) {
    if (text == "true" || text == "false") {
      v.kind = JsonKind::kBoolean;
      v.boolean = text == "true";
    }
  }
  return v;
}

Value array_value(const std::pmr::vector<std::string_view>& items, Scalar type, Encoding encoding,
                  std::pmr::memory_resource* arena) noexcept {
  Value v;
  v.kind = JsonKind::kArray;
  auto* out =
      static_cast<Value*>(arena->allocate(sizeof(Value) * (items.size() + 1), alignof(Value)));
  for (std::size_t i = 0; i < items.size(); ++i) {
    new (&out[i]) Value(scalar_value(items[i], type, encoding, arena));
  }
  v.items = out;
  v.count = static_cast<std::uint32_t>(items.size());
  return v;
}

Value object_value(const std::pmr::vector<Pair>& fields, const Parameter* param,
                   const MediaType* media, Encoding encoding,
                   std::pmr::memory_resource* arena) noexcept {
  auto type_of = [&](std::string_view name) {
    const auto& props = param != nullptr ? param->properties : media->properties;
    for (const auto& [n, t] : props) {
      if (n == name) return t;
    }
    return Scalar::kAny;
  };
  auto is_array = [&](std::string_view name) {
    return media != nullptr &&
           std::find(media->array_properties.begin(), media->array_properties.end(), name) !=
               media->array_properties.end();
  };
  // Members in first-appearance order; repeated names of array fields gather their values.
  std::pmr::vector<std::string_view> names(arena);
  for (const Pair& f : fields) {
    if (std::find(names.begin(), names.end(), f.name) == names.end()) names.push_back(f.name);
  }
  Value v;
  v.kind = JsonKind::kObject;
  auto* members =
      static_cast<Member*>(arena->allocate(sizeof(Member) * (names.size() + 1), alignof(Member)));
  for (std::size_t i = 0; i < names.size(); ++i) {
    new (&members[i]) Member();
    members[i].name = names[i];
    std::pmr::vector<std::string_view> values(arena);
    for (const Pair& f : fields) {
      if (f.name == names[i]) values.push_back(f.value);
    }
    if (is_array(names[i])) {
      members[i].value = array_value(values, type_of(names[i]), encoding, arena);
    } else {
      members[i].value = scalar_value(values.back(), type_of(names[i]), encoding, arena);
    }
  }
  v.members = members;
  v.count = static_cast<std::uint32_t>(names.size());
  return v;
}

std::pmr::vector<std::string_view> split(std::string_view text, char sep,
                                         std::pmr::memory_resource* arena) {
  std::pmr::vector<std::string_view> out(arena);
  std::size_t at = 0;
  while (true) {
    std::size_t end = text.find(sep, at);
    out.push_back(text.substr(at, end == std::string_view::npos ? end : end - at));
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

std::string_view lower_essence(std::string_view content_type, std::pmr::memory_resource* arena) {
  std::string_view essence = content_type.substr(0, content_type.find(';'));
  while (!essence.empty() && (essence.back() == ' ' || essence.back() == '\t')) {
    essence.remove_suffix(1);
  }
  while (!essence.empty() && (essence.front() == ' ' || essence.front() == '\t')) {
    essence.remove_prefix(1);
  }
  char* out = static_cast<char*>(arena->allocate(essence.size() + 1, 1));
  for (std::size_t i = 0; i < essence.size(); ++i) {
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(essence[i])));
  }
  return {out, essence.size()};
}

// The value of parameter `name` ("boundary") in a Content-Type, unquoted.
std::string_view media_parameter(std::string_view content_type, std::string_view name) {
  std::size_t at = content_type.find(';');
  while (at != std::string_view::npos) {
    std::size_t next = content_type.find(';', at + 1);
    std::string_view p =
        content_type.substr(at + 1, next == std::string_view::npos ? next : next - at - 1);
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    std::size_t eq = p.find('=');
    if (eq != std::string_view::npos && iequals(p.substr(0, eq), name)) {
      std::string_view v = p.substr(eq + 1);
      while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v;
    }
    at = next;
  }
  return {};
}

// multipart/form-data fields (RFC 7578): name → content. False when the body is not
// well-formed multipart.
bool multipart_fields(std::string_view body, std::string_view boundary, std::pmr::vector<Pair>& out,
                      std::pmr::memory_resource* arena) {
  if (boundary.empty() || boundary.size() > 200) return false;
  std::pmr::string delimiter(arena);
  delimiter = "--";
  delimiter += boundary;
  std::size_t at = body.find(delimiter);
  if (at == std::string_view::npos) return false;
  while (true) {
    at += delimiter.size();
    if (body.substr(at, 2) == "--") return true;  // the closing delimiter
    if (body.substr(at, 2) != "\r\n") return false;
    at += 2;
    std::size_t head_end = body.find("\r\n\r\n", at);
    if (head_end == std::string_view::npos) return false;
    std::string_view head = body.substr(at, head_end - at);
    std::size_t content_start = head_end + 4;
    std::pmr::string next_delim(arena);
    next_delim = "\r\n";
    next_delim += delimiter;
    std::size_t content_end = body.find(next_delim, content_start);
    if (content_end == std::string_view::npos) return false;
    std::string_view name;
    for (std::string_view line : split(head, '\n', arena)) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos ||
          !iequals(line.substr(0, colon), "content-disposition")) {
        continue;
      }
      std::string_view value = line.substr(colon + 1);
      std::size_t n = value.find("name=\"");
      while (n != std::string_view::npos && n > 0 && value[n - 1] != ' ' && value[n - 1] != ';') {
        n = value.find("name=\"", n + 1);  // skip filename="
      }
      if (n == std::string_view::npos) continue;
      std::size_t end = value.find('"', n + 6);
      if (end == std::string_view::npos) return false;
      name = value.substr(n + 6, end - n - 6);
    }
    if (name.data() == nullptr) return false;
    out.push_back({name, body.substr(content_start, content_end - content_start)});
    at = content_end + 2;
  }
}

const char* in_name(ParamIn in) {
  switch (in) {
    case ParamIn::kPath:
      return "path";
    case ParamIn::kQuery:
      return "query";
    case ParamIn::kHeader:
      return "header";
    case ParamIn::kCookie:
      return "cookie";
  }
  return "query";
}

std::string_view joined(std::pmr::memory_resource* arena,
                        std::initializer_list<std::string_view> parts) {
  std::size_t size = 0;
  for (auto p : parts) size += p.size();
  char* out = static_cast<char*>(arena->allocate(size + 1, 1));
  std::size_t n = 0;
  for (auto p : parts) {
    std::copy(p.begin(), p.end(), out + n);
    n += p.size();
  }
  return {out, n};
}

// Violations gathered over the parts of one request, each pointer prefixed with the part
// ("/query/page", "/body/items/2/qty").
class Report {
 public:
  Report(Exchange& ex, std::size_t max) : ex_(ex), out_(ex.arena(), max) {}

  void add(std::string_view pointer, std::string_view keyword, std::string_view message) {
    if (out_.violations.size() < out_.max_violations) {
      out_.violations.push_back({pointer, keyword, message});
    }
  }
  // Validates `value` against `schema`; its violations get the pointer prefix() makes (only
  // called when there are some: a valid request builds no pointer).
  template <typename Prefix>
  void validate(const SchemaSet& set, SchemaId schema, const Value& value, Prefix&& prefix) {
    const std::size_t before = out_.violations.size();
    set.validate(schema, value, &out_);
    if (out_.violations.size() == before) return;
    const std::string_view part = prefix();
    for (std::size_t i = before; i < out_.violations.size(); ++i) {
      out_.violations[i].pointer = joined(ex_.arena(), {part, out_.violations[i].pointer});
    }
  }
  bool empty() const { return out_.violations.empty(); }
  const std::pmr::vector<Violation>& violations() const { return out_.violations; }

 private:
  Exchange& ex_;
  ValidationOutput out_;
};

// RFC 9457 problem details, in the exchange's arena.
std::string_view problem(Exchange& ex, int status, std::string_view title, std::string_view detail,
                         const std::pmr::vector<Violation>* violations) {
  std::pmr::string out(ex.arena());
  out.reserve(256);
  out += "{\"type\":\"about:blank\",\"title\":";
  append_json_string(out, title);
  out += ",\"status\":";
  char buf[8];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, status);
  out.append(buf, p);
  out += ",\"detail\":";
  append_json_string(out, detail);
  if (violations != nullptr) {
    out += ",\"violations\":[";
    for (std::size_t i = 0; i < violations->size(); ++i) {
      const Violation& v = (*violations)[i];
      if (i > 0) out += ',';
      out += "{\"pointer\":";
      append_json_string(out, v.pointer);
      out += ",\"rule\":";
      append_json_string(out, v.keyword);
      out += ",\"message\":";
      append_json_string(out, v.message);
      out += '}';
    }
    out += ']';
  }
  out += ",\"request_id\":";
  append_json_string(out, ex.request_id);
  out += "}\n";
  return ex.keep(out);
}

Verdict refusal(Exchange& ex, std::uint16_t status, std::string_view rule, std::string_view title,
                std::string_view detail, const std::pmr::vector<Violation>* violations) {
  Verdict v = Verdict::block(status, "schema", detail, rule);
  v.body = problem(ex, status, title, detail, violations);
  v.content_type = "application/problem+json";
  return v;
}

Verdict violated(Exchange& ex, const Report& report) {
  // Each violation becomes a finding of the security event, after those already there.
  const auto& vs = report.violations();
  auto* findings = static_cast<Finding*>(
      ex.arena()->allocate(sizeof(Finding) * (ex.findings.size() + vs.size()), alignof(Finding)));
  std::size_t n = 0;
  for (const Finding& f : ex.findings) new (&findings[n++]) Finding(f);
  for (const Violation& v : vs) {
    new (&findings[n++]) Finding{.stage = "schema",
                                 .rule = v.keyword,
                                 .message = v.message,
                                 .data = {},
                                 .variable = v.pointer};
  }
  ex.findings = std::span<const Finding>(findings, n);
  const Violation& first = vs.front();
  std::string_view detail =
      joined(ex.arena(), {"the request does not match the API description: ",
                          first.pointer.empty() ? "/" : first.pointer, ": ", first.message});
  Verdict v = refusal(ex, 400, first.keyword, "Bad Request", detail, &report.violations());
  return v;
}

}  // namespace

SchemaStage::SchemaStage(SchemaStageConfig config) : config_(std::move(config)) {}

bool SchemaStage::wants_body() const noexcept { return config_.api->has_request_bodies(); }

Verdict SchemaStage::finish(Exchange& ex, Verdict verdict) const noexcept {
  if (verdict.is_continue() || !config_.detect) return verdict;
  if (ex.detected.is_continue()) ex.detected = verdict;
  return Verdict::pass();
}

Verdict SchemaStage::on_headers(Exchange& ex) const noexcept {
  const OpenApi& api = *config_.api;
  const SchemaSet& set = api.schemas();
  std::pmr::memory_resource* arena = ex.arena();
  RouteMatch match = api.route(ex.method, ex.path);
  if (match.result == RouteMatch::Result::kUnknownPath) {
    using U = SchemaStageConfig::UnknownPath;
    if (config_.unknown_path == U::kPass) return Verdict::pass();
    const bool forbid = config_.unknown_path == U::kForbidden;
    return finish(ex, refusal(ex, forbid ? 403 : 404, "path", forbid ? "Forbidden" : "Not Found",
                              "no operation of the API matches this path", nullptr));
  }
  if (match.result == RouteMatch::Result::kMethodNotAllowed) {
    // The sessions put a 405's reason in its Allow header.
    return finish(ex, Verdict::block(405, "schema", match.allow, "method"));
  }
  const Operation& op = *match.operation;
  Report report(ex, config_.max_violations);

  std::pmr::vector<Pair> query(arena);
  bool query_parsed = false;
  std::pmr::vector<Pair> cookies(arena);
  bool cookies_parsed = false;
  for (const Parameter& p : op.parameters) {
    auto where = [&] { return joined(arena, {"/", in_name(p.in), "/", p.name}); };
    const Encoding encoding = p.in == ParamIn::kPath    ? Encoding::kPercent
                              : p.in == ParamIn::kQuery ? Encoding::kForm
                                                        : Encoding::kNone;
    bool present = false;
    bool built = false;  // `value` holds the parameter (objects gathered from several pairs)
    Value value;
    std::string_view text;
    std::pmr::vector<std::string_view> repeated(arena);  // form-exploded arrays
    switch (p.in) {
      case ParamIn::kPath:
        for (std::size_t i = 0; i < match.path_param_count; ++i) {
          if (match.path_params[i].first == p.name) {
            text = match.path_params[i].second;
            present = true;
          }
        }
        break;
      case ParamIn::kHeader:
        text = ex.header(p.name, &present);
        break;
      case ParamIn::kCookie:
        if (!cookies_parsed) {
          for (const HeaderField& h : ex.headers) {
            if (!iequals(h.name, "cookie")) continue;
            for (const Pair& c : pairs(h.value, ';', false, arena)) cookies.push_back(c);
          }
          cookies_parsed = true;
        }
        for (const Pair& c : cookies) {
          if (c.name == p.name) {
            text = c.value;
            present = true;
          }
        }
        break;
      case ParamIn::kQuery:
        if (!query_parsed) {
          query = pairs(ex.query, '&', true, arena);
          query_parsed = true;
        }
        if (p.shape == Parameter::Shape::kObject && p.style == ParamStyle::kDeepObject) {
          std::pmr::vector<Pair> fields(arena);
          for (const Pair& q : query) {
            if (q.name.size() > p.name.size() + 2 && q.name.starts_with(p.name) &&
                q.name[p.name.size()] == '[' && q.name.back() == ']') {
              fields.push_back(
                  {q.name.substr(p.name.size() + 1, q.name.size() - p.name.size() - 2), q.value});
            }
          }
          present = built = !fields.empty();
          if (present) value = object_value(fields, &p, nullptr, encoding, arena);
        } else if (p.shape == Parameter::Shape::kObject && p.explode) {
          // form, exploded: each property is a query parameter of its own.
          std::pmr::vector<Pair> fields(arena);
          for (const Pair& q : query) {
            for (const auto& [name, type] : p.properties) {
              if (q.name == name) fields.push_back(q);
            }
          }
          present = built = !fields.empty();
          if (present) value = object_value(fields, &p, nullptr, encoding, arena);
        } else {
          for (const Pair& q : query) {
            if (q.name == p.name) {
              repeated.push_back(q.value);
              text = q.value;
              present = true;
            }
          }
        }
        break;
    }
    if (!present) {
      if (p.required) {
        report.add(where(), "required",
                   joined(arena, {in_name(p.in), " parameter '", p.name, "' is required"}));
      }
      continue;
    }
    if (!built) {
      if (p.shape == Parameter::Shape::kArray) {
        if (p.in == ParamIn::kQuery && p.explode && p.style == ParamStyle::kForm) {
          value = array_value(repeated, p.scalar, encoding, arena);
        } else {
          char sep = p.style == ParamStyle::kSpaceDelimited  ? ' '
                     : p.style == ParamStyle::kPipeDelimited ? '|'
                                                             : ',';
          if (sep == ',') {
            value = array_value(split(text, sep, arena), p.scalar, encoding, arena);
          } else {
            // The space or pipe that delimits arrives encoded (%20, '+', %7C).
            std::string_view plain = encoding == Encoding::kNone
                                         ? text
                                         : decode(text, encoding == Encoding::kForm, arena);
            value = array_value(split(plain, sep, arena), p.scalar, Encoding::kNone, arena);
          }
        }
      } else if (p.shape == Parameter::Shape::kObject) {
        // simple/form, not exploded: k,v,k,v; simple exploded: k=v,k=v.
        std::pmr::vector<Pair> fields(arena);
        auto items = split(text, ',', arena);
        if (p.explode) {
          for (std::string_view item : items) {
            std::size_t eq = item.find('=');
            fields.push_back(
                {item.substr(0, eq), eq == std::string_view::npos ? "" : item.substr(eq + 1)});
          }
        } else {
          for (std::size_t i = 0; i + 1 < items.size(); i += 2) {
            fields.push_back({items[i], items[i + 1]});
          }
        }
        value = object_value(fields, &p, nullptr, encoding, arena);
      } else {
        value = scalar_value(text, p.scalar, encoding, arena);
      }
    }
    if (p.has_schema) report.validate(set, p.schema, value, where);
  }

  // The body: described or not, of an accepted type, present when required.
  const bool has_body = ex.has_body && (ex.body_chunked || ex.content_length > 0);
  if (!op.content.empty()) {
    if (!has_body) {
      if (op.body_required) report.add("/body", "required", "a request body is required");
    } else {
      std::string_view content_type = ex.header("content-type");
      std::string_view essence = lower_essence(content_type, arena);
      const MediaType* chosen = nullptr;
      std::string_view major = essence.substr(0, essence.find('/'));
      for (int pass = 0; pass < 3 && chosen == nullptr; ++pass) {
        for (const MediaType& m : op.content) {
          std::string_view type = std::string_view(m.type).substr(0, m.type.find(';'));
          bool hit = pass == 0   ? type == essence
                     : pass == 1 ? type.size() == major.size() + 2 && type.starts_with(major) &&
                                       type.ends_with("/*") && !major.empty()
                                 : type == "*/*";
          if (hit) {
            chosen = &m;
            break;
          }
        }
      }
      if (chosen == nullptr) {
        bool allowed =
            std::any_of(config_.allow_content_types.begin(), config_.allow_content_types.end(),
                        [&](const std::string& t) { return t == essence; });
        if (!allowed) {
          std::pmr::string accepted(arena);
          for (const MediaType& m : op.content) {
            if (!accepted.empty()) accepted += ", ";
            accepted += m.type;
          }
          std::string_view detail =
              joined(arena, {"content type '", essence.empty() ? "(none)" : essence,
                             "' is not accepted here; accepted: ", accepted});
          return finish(
              ex, refusal(ex, 415, "content-type", "Unsupported Media Type", detail, nullptr));
        }
      } else if (chosen->has_schema && chosen->reader != MediaType::Reader::kNone) {
        if (BodyPlan* plan = ex.make_state<BodyPlan>(this)) plan->media = chosen;
      }
    }
  }
  if (!report.empty()) return finish(ex, violated(ex, report));
  return Verdict::pass();
}

Verdict SchemaStage::on_body(Exchange& ex) const noexcept {
  const BodyPlan* plan = ex.state<BodyPlan>(this);
  if (plan == nullptr || plan->media == nullptr) return Verdict::pass();
  const MediaType& media = *plan->media;
  std::pmr::memory_resource* arena = ex.arena();
  if (ex.body.size() > config_.max_body || !ex.body_complete) {
    return finish(ex, refusal(ex, 413, "body-size", "Content Too Large",
                              "request body larger than the validation limit", nullptr));
  }
  std::string_view body(ex.body.data(), ex.body.size());
  Report report(ex, config_.max_violations);
  Value form;
  const Value* value = nullptr;
  switch (media.reader) {
    case MediaType::Reader::kJson: {
      JsonResult parsed = parse_json(body, arena);
      if (parsed.value == nullptr) {
        char at[24];
        auto [p, ec] = std::to_chars(at, at + sizeof at, parsed.offset);
        report.add("/body", "json",
                   joined(arena, {"invalid JSON at byte ", std::string_view(at, p - at), ": ",
                                  parsed.error}));
        return finish(ex, violated(ex, report));
      }
      value = parsed.value;
      break;
    }
    case MediaType::Reader::kForm:
      form = object_value(pairs(body, '&', true, arena), nullptr, &media, Encoding::kForm, arena);
      value = &form;
      break;
    case MediaType::Reader::kMultipart: {
      std::pmr::vector<Pair> fields(arena);
      std::string_view boundary = media_parameter(ex.header("content-type"), "boundary");
      if (!multipart_fields(body, boundary, fields, arena)) {
        report.add("/body", "multipart", "the body is not well-formed multipart/form-data");
        return finish(ex, violated(ex, report));
      }
      form = object_value(fields, nullptr, &media, Encoding::kNone, arena);
      value = &form;
      break;
    }
    case MediaType::Reader::kNone:
      return Verdict::pass();
  }
  report.validate(config_.api->schemas(), media.schema, *value,
                  [] { return std::string_view("/body"); });
  if (!report.empty()) return finish(ex, violated(ex, report));
  return Verdict::pass();
}

}  // namespace portcullis::schema
