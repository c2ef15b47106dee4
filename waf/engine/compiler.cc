// Compiling SecLang items into a RuleSet (see compiler.h).
#include "waf/engine/compiler.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "core/exchange.h"

namespace portcullis::waf {
namespace {

using seclang::Action;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool parse_i64(std::string_view s, std::int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

int parse_phase(std::string_view v) {
  if (v == "request") return 2;
  if (v == "response") return 4;
  if (v == "logging") return 5;
  if (v.size() == 1 && v[0] >= '1' && v[0] <= '5') return v[0] - '0';
  return 0;
}

int parse_severity(std::string_view v) {
  static constexpr std::string_view kNames[] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                                "WARNING",   "NOTICE", "INFO",     "DEBUG"};
  for (int i = 0; i < 8; ++i) {
    if (iequals(v, kNames[i])) return i;
  }
  if (v.size() == 1 && v[0] >= '0' && v[0] <= '7') return v[0] - '0';
  return -1;
}

// Whether an RE2 compile error is about a PCRE-only feature rather than a malformed pattern.
bool pcre_only(const std::string& message) {
  return message.find("invalid perl operator") != std::string::npos ||
         message.find("bad repetition operator: *+") != std::string::npos ||
         message.find("bad repetition operator: ++") != std::string::npos ||
         message.find("bad repetition operator: ?+") != std::string::npos ||
         message.find("invalid escape sequence: \\1") != std::string::npos ||
         message.find("invalid escape sequence: \\2") != std::string::npos;
}

std::shared_ptr<const RE2> compile_key_regex(const std::string& pattern) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  options.set_max_mem(1 << 20);
  auto re = std::make_shared<RE2>(pattern, options);
  if (!re->ok()) return nullptr;
  return re;
}

// The literal that starts a key regex (after `^`), when every match must contain it: letters,
// digits, '_' and '-' up to the first other character, less the last one when a quantifier
// follows it; nothing when the pattern has an alternation anywhere.
void key_literal(const std::string& pattern, Target& t) {
  if (pattern.find('|') != std::string::npos) return;
  std::size_t i = 0;
  if (!pattern.empty() && pattern[0] == '^') {
    t.key_literal_anchored = true;
    ++i;
  }
  std::string literal;
  auto plain = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  for (; i < pattern.size() && plain(pattern[i]); ++i) literal += lower(std::string(1, pattern[i]));
  if (i < pattern.size() &&
      (pattern[i] == '*' || pattern[i] == '?' || pattern[i] == '{' || pattern[i] == '+')) {
    if (!literal.empty()) literal.pop_back();
  } else if (i == pattern.size()) {
    t.key_literal_only = !literal.empty();
  }
  t.key_literal = literal;
  if (literal.empty()) t.key_literal_anchored = false;
}

Result<Target> compile_target(const seclang::VariableRef& ref) {
  const VariableInfo* info = find_variable(ref.collection);
  if (info == nullptr) return Error{"unknown variable '" + ref.collection + "'"};
  Target t;
  t.var = info->var;
  t.count = ref.count;
  t.display = std::string(ref.exclude ? "!" : "") + (ref.count ? "&" : "") + ref.collection +
              (ref.key.empty() ? "" : ":" + ref.key);
  if (ref.key.empty()) return t;
  if (!info->collection) {
    return Error{"variable '" + ref.collection + "' is not a collection and takes no key"};
  }
  if (info->var == Var::kXml) {
    if (ref.key == "/*") return t;
    if (ref.key == "//@*") {
      t.xml_attributes = true;
      return t;
    }
    return Error{"XPath '" + ref.key + "' is not supported (only XML:/* and XML://@*)"};
  }
  if (ref.key_is_regex) {
    t.key = ref.key;
    t.key_re = compile_key_regex(ref.key);
    if (!t.key_re) return Error{"bad key regex /" + ref.key + "/ for " + ref.collection};
    key_literal(ref.key, t);
    return t;
  }
  t.key = lower(ref.key);
  t.key_hash = member_key_hash(t.var, t.key);
  return t;
}

class Compiler {
 public:
  Result<std::shared_ptr<const RuleSet>> run(const std::vector<seclang::Item>& items);

 private:
  struct Defaults {
    Disruptive disruptive = Disruptive::kPass;
    int status = 0;
    bool log = true;
    std::vector<const TransformationInfo*> transforms;
    std::vector<std::string> transform_names;
    bool set = false;
  };

  Status compile_rule(const seclang::RuleAst& ast, Rule& rule, bool chained, int phase);
  Status apply_action(Rule& rule, const Action& a, bool chained, const std::string& dir);
  Status directive(const seclang::Directive& d);
  Status default_action(const seclang::DefaultActionAst& d);
  void warn(const std::string& file, int line, const std::string& what);
  Status finish();

  std::shared_ptr<RuleSet> set_ = std::make_shared<RuleSet>();
  std::array<Defaults, RuleSet::kPhases> defaults_{};
  std::vector<std::shared_ptr<Rule>> rules_;  // chain heads and markers, load order
  std::unordered_map<std::int64_t, Rule*> by_id_;
  std::vector<seclang::Directive> deferred_;  // SecRuleRemove*/SecRuleUpdate*, in order
};

void Compiler::warn(const std::string& file, int line, const std::string& what) {
  set_->warnings.push_back(file + ":" + std::to_string(line) + ": " + what);
}

Status Compiler::apply_action(Rule& rule, const Action& a, bool chained, const std::string& dir) {
  (void)dir;
  const std::string& n = a.name;
  auto need_value = [&]() -> Status {
    if (!a.has_value) return Error{"action '" + n + "' needs a value"};
    return Ok{};
  };
  if (iequals(n, "id")) {
    if (chained) return Error{"a chained rule cannot have an id"};
    if (!parse_i64(a.value, rule.id) || rule.id <= 0) return Error{"bad rule id '" + a.value + "'"};
    rule.id_text = a.value;
  } else if (iequals(n, "phase")) {
    if (chained) return Error{"a chained rule cannot set the phase"};
    rule.phase = parse_phase(a.value);
    if (rule.phase == 0) return Error{"bad phase '" + a.value + "'"};
  } else if (iequals(n, "msg") || iequals(n, "logdata")) {
    auto m = Macro::compile(a.value);
    if (!m) return m.error();
    (iequals(n, "msg") ? rule.msg : rule.logdata) = std::move(*m);
  } else if (iequals(n, "severity")) {
    rule.severity = parse_severity(a.value);
    if (rule.severity < 0) return Error{"bad severity '" + a.value + "'"};
  } else if (iequals(n, "tag")) {
    rule.tags.push_back(a.value);
  } else if (iequals(n, "ver")) {
    rule.ver = a.value;
  } else if (iequals(n, "t")) {
    if (iequals(a.value, "none")) {
      rule.transforms.clear();
      rule.transform_names.clear();
      return Ok{};
    }
    const TransformationInfo* t = find_transformation(a.value);
    if (t == nullptr) return Error{"unknown transformation 't:" + a.value + "'"};
    if (t->fn == nullptr) {
      rule.transforms.clear();
      rule.transform_names.clear();
      return Ok{};
    }
    rule.transforms.push_back(t);
    rule.transform_names.emplace_back(t->name);
  } else if (iequals(n, "setvar")) {
    if (Status s = need_value(); !s) return s;
    auto sv = compile_setvar(a.value);
    if (!sv) return sv.error();
    rule.setvars.push_back(std::move(*sv));
  } else if (iequals(n, "ctl")) {
    if (Status s = need_value(); !s) return s;
    auto ctl = compile_ctl(a.value);
    if (!ctl) return ctl.error();
    rule.ctls.push_back(std::move(*ctl));
  } else if (iequals(n, "capture")) {
    rule.capture = true;
  } else if (iequals(n, "multiMatch")) {
    rule.multi_match = true;
  } else if (iequals(n, "chain")) {
    // handled by the parser, which gathered the chain
  } else if (iequals(n, "skip")) {
    std::uint64_t k = 0;
    if (!parse_u64(a.value, k) || k == 0) return Error{"bad skip count '" + a.value + "'"};
    rule.skip = static_cast<int>(k);
  } else if (iequals(n, "skipAfter")) {
    if (Status s = need_value(); !s) return s;
    rule.skip_after = a.value;
  } else if (iequals(n, "pass") || iequals(n, "block") || iequals(n, "deny") ||
             iequals(n, "drop") || iequals(n, "allow") || iequals(n, "redirect")) {
    if (chained)
      return Error{"disruptive action '" + n + "' is only allowed in the first rule of a chain"};
    if (iequals(n, "pass")) rule.disruptive = Disruptive::kPass;
    if (iequals(n, "block")) rule.disruptive = Disruptive::kBlock;
    if (iequals(n, "deny")) rule.disruptive = Disruptive::kDeny;
    if (iequals(n, "drop")) rule.disruptive = Disruptive::kDrop;
    if (iequals(n, "redirect")) {
      rule.disruptive = Disruptive::kRedirect;
      warn(rule.file, rule.line, "redirect is not supported: the request is refused as by deny");
    }
    if (iequals(n, "allow")) {
      rule.disruptive = Disruptive::kAllow;
      if (iequals(a.value, "phase")) {
        rule.allow_scope = AllowScope::kPhase;
      } else if (iequals(a.value, "request")) {
        rule.allow_scope = AllowScope::kRequest;
      } else if (a.has_value && !a.value.empty()) {
        return Error{"allow takes phase or request, not '" + a.value + "'"};
      }
    }
  } else if (iequals(n, "status")) {
    std::uint64_t s = 0;
    if (!parse_u64(a.value, s) || s < 100 || s > 599) return Error{"bad status '" + a.value + "'"};
    rule.status = static_cast<int>(s);
  } else if (iequals(n, "log") || iequals(n, "nolog")) {
    rule.log = iequals(n, "log");
    rule.log_set = true;
  } else if (iequals(n, "initcol")) {
    // Persistent collections are kept for the request only (docs/waf.md "Unsupported").
    warn(rule.file, rule.line, "initcol:" + a.value + ": collections last for one request");
  } else {
    const ActionUse* use = find_action_use(n);
    if (use == nullptr) return Error{"unknown action '" + n + "'"};
    if (*use == ActionUse::kUnsupported) {
      warn(rule.file, rule.line, "action '" + n + "' is not supported and has no effect");
    }
  }
  return Ok{};
}

Status Compiler::compile_rule(const seclang::RuleAst& ast, Rule& rule, bool chained, int phase) {
  rule.file = ast.file;
  rule.line = ast.line;
  std::string dir = std::filesystem::path(ast.file).parent_path().string();
  auto fail = [&](const Error& e) -> Status { return Error{e.message, ast.file, ast.line}; };
  if (!chained) {
    if (const Action* p = seclang::find_action(ast.actions, "phase")) {
      phase = parse_phase(p->value);
      if (phase == 0) return fail(Error{"bad phase '" + p->value + "'"});
    } else {
      phase = 2;
    }
    const Defaults& d = defaults_[static_cast<std::size_t>(phase - 1)];
    rule.transforms = d.transforms;
    rule.transform_names = d.transform_names;
  }
  rule.phase = phase;
  for (const Action& a : ast.actions) {
    if (Status s = apply_action(rule, a, chained, dir); !s) return fail(s.error());
  }
  if (!chained && rule.id == 0) return fail(Error{"rule has no id"});
  // Targets.
  for (const seclang::VariableRef& ref : ast.variables) {
    auto t = compile_target(ref);
    if (!t) return fail(t.error());
    (ref.exclude ? rule.exclusions : rule.targets).push_back(std::move(*t));
  }
  // Operator.
  rule.negated = ast.op.negated;
  rule.op_name = ast.op.name;
  rule.op_argument = ast.op.argument;
  OperatorFactory factory = find_operator(ast.op.name);
  if (factory == nullptr) {
    if (iequals(ast.op.name, "geoLookup") || iequals(ast.op.name, "rbl") ||
        iequals(ast.op.name, "inspectFile") || iequals(ast.op.name, "fuzzyHash") ||
        iequals(ast.op.name, "verifyCC") || iequals(ast.op.name, "verifySSN") ||
        iequals(ast.op.name, "verifyCPF") || iequals(ast.op.name, "gsbLookup")) {
      warn(ast.file, ast.line,
           "operator @" + ast.op.name + " is not supported: rule " +
               (rule.id_text.empty() ? "(chained)" : rule.id_text) + " never matches");
      factory = find_operator("noMatch");
      rule.negated = false;
    } else {
      return fail(Error{"unknown operator '@" + ast.op.name + "'"});
    }
  }
  OperatorArgs args{ast.op.argument, dir};
  if (factory == find_operator("noMatch")) args.argument = {};
  auto op = factory(args);
  if (!op && iequals(ast.op.name, "rx") && pcre_only(op.error().message)) {
    // PCRE features RE2 leaves out to stay linear (lookaround, backreferences, possessive
    // quantifiers it cannot prove equivalent): the rule is kept out, loudly.
    warn(ast.file, ast.line,
         "rule " + (rule.id_text.empty() ? std::string("(chained)") : rule.id_text) +
             " never matches: its regex needs PCRE (" +
             op.error().message.substr(op.error().message.rfind(": ") + 2) + ")");
    op = find_operator("noMatch")(OperatorArgs{{}, dir});
    rule.negated = false;
  }
  if (!op) {
    std::string where = rule.id_text.empty() ? "" : " (rule " + rule.id_text + ")";
    return fail(Error{"@" + ast.op.name + where + ": " + op.error().message});
  }
  rule.op = std::move(*op);
  // Chain.
  if (!ast.chained.empty()) {
    Rule* tail = &rule;
    for (const seclang::RuleAst& link : ast.chained) {
      auto next = std::make_unique<Rule>();
      next->id = rule.id;
      next->id_text = rule.id_text;
      if (Status s = compile_rule(link, *next, true, phase); !s) return s;
      tail->chained = std::move(next);
      tail = tail->chained.get();
    }
  }
  if (!chained) {
    const Defaults& d = defaults_[static_cast<std::size_t>(phase - 1)];
    if (rule.disruptive == Disruptive::kNone || rule.disruptive == Disruptive::kBlock) {
      rule.disruptive = d.disruptive;
      if (rule.status == 0) rule.status = d.status;
    }
    if (!rule.log_set) {
      rule.log = d.log;
      rule.log_set = true;
    }
  }
  return Ok{};
}

Status Compiler::default_action(const seclang::DefaultActionAst& d) {
  const Action* p = seclang::find_action(d.actions, "phase");
  if (p == nullptr) return Error{"SecDefaultAction needs a phase", d.file, d.line};
  int phase = parse_phase(p->value);
  if (phase == 0) return Error{"bad phase '" + p->value + "'", d.file, d.line};
  Rule scratch;
  scratch.file = d.file;
  scratch.line = d.line;
  for (const Action& a : d.actions) {
    if (iequals(a.name, "id") || iequals(a.name, "chain") || iequals(a.name, "skipAfter")) {
      return Error{"SecDefaultAction cannot carry '" + a.name + "'", d.file, d.line};
    }
    if (Status s = apply_action(scratch, a, false, {}); !s) {
      return Error{s.error().message, d.file, d.line};
    }
  }
  Defaults& def = defaults_[static_cast<std::size_t>(phase - 1)];
  def.disruptive = scratch.disruptive == Disruptive::kNone ? Disruptive::kPass : scratch.disruptive;
  if (def.disruptive == Disruptive::kBlock) {
    return Error{"SecDefaultAction cannot use block (it is what block refers to)", d.file, d.line};
  }
  def.status = scratch.status;
  def.log = scratch.log_set ? scratch.log : true;
  def.transforms = scratch.transforms;
  def.transform_names = scratch.transform_names;
  def.set = true;
  auto i = static_cast<std::size_t>(phase - 1);
  set_->default_disruptive[i] = def.disruptive;
  set_->default_status[i] = def.status;
  set_->default_log[i] = def.log;
  return Ok{};
}

Status Compiler::directive(const seclang::Directive& d) {
  const std::string& n = d.name;
  EngineSettings& s = set_->settings;
  auto arg = [&](std::size_t i) -> std::string_view {
    return i < d.args.size() ? std::string_view(d.args[i]) : std::string_view();
  };
  auto fail = [&](const std::string& what) -> Status { return Error{what, d.file, d.line}; };
  auto on_off = [&](bool& out) -> Status {
    if (iequals(arg(0), "on")) {
      out = true;
    } else if (iequals(arg(0), "off")) {
      out = false;
    } else {
      return fail(n + " takes On or Off, not '" + std::string(arg(0)) + "'");
    }
    return Ok{};
  };
  auto size = [&](std::uint64_t& out) -> Status {
    if (!parse_u64(arg(0), out))
      return fail(n + " takes a number of bytes, not '" + std::string(arg(0)) + "'");
    return Ok{};
  };
  if (iequals(n, "SecRuleEngine")) {
    if (iequals(arg(0), "on")) {
      s.engine_mode = 2;
    } else if (iequals(arg(0), "off")) {
      s.engine_mode = 0;
    } else if (iequals(arg(0), "detectiononly")) {
      s.engine_mode = 1;
    } else {
      return fail("SecRuleEngine takes On, Off or DetectionOnly");
    }
    return Ok{};
  }
  if (iequals(n, "SecRequestBodyAccess")) return on_off(s.request_body_access);
  if (iequals(n, "SecResponseBodyAccess")) return on_off(s.response_body_access);
  if (iequals(n, "SecRequestBodyLimit")) return size(s.request_body_limit);
  if (iequals(n, "SecRequestBodyNoFilesLimit")) return size(s.request_body_no_files_limit);
  if (iequals(n, "SecResponseBodyLimit")) return size(s.response_body_limit);
  if (iequals(n, "SecArgumentsLimit") || iequals(n, "SecRequestBodyJsonDepthLimit")) {
    std::uint64_t v = 0;
    if (Status st = size(v); !st) return st;
    (iequals(n, "SecArgumentsLimit") ? s.arguments_limit : s.json_depth_limit) =
        static_cast<std::size_t>(v);
    return Ok{};
  }
  if (iequals(n, "SecRequestBodyLimitAction") || iequals(n, "SecResponseBodyLimitAction")) {
    bool reject = iequals(arg(0), "reject");
    if (!reject && !iequals(arg(0), "processpartial")) {
      return fail(n + " takes Reject or ProcessPartial");
    }
    if (iequals(n, "SecRequestBodyLimitAction")) s.request_body_reject_over_limit = reject;
    return Ok{};
  }
  if (iequals(n, "SecResponseBodyMimeType")) {
    for (const std::string& a : d.args) {
      std::size_t start = 0;
      while (start < a.size()) {
        std::size_t end = a.find(' ', start);
        if (end == std::string::npos) end = a.size();
        if (end > start) s.response_mime_types.push_back(lower(a.substr(start, end - start)));
        start = end + 1;
      }
    }
    return Ok{};
  }
  if (iequals(n, "SecResponseBodyMimeTypesClear")) {
    s.response_mime_types.clear();
    return Ok{};
  }
  if (iequals(n, "SecComponentSignature")) {
    s.component_signature = std::string(arg(0));
    return Ok{};
  }
  if (iequals(n, "SecRuleRemoveById") || iequals(n, "SecRuleRemoveByTag") ||
      iequals(n, "SecRuleRemoveByMsg") || iequals(n, "SecRuleUpdateTargetById") ||
      iequals(n, "SecRuleUpdateTargetByTag") || iequals(n, "SecRuleUpdateTargetByMsg") ||
      iequals(n, "SecRuleUpdateActionById")) {
    if (d.args.empty()) return fail(n + " needs arguments");
    deferred_.push_back(d);
    return Ok{};
  }
  static constexpr std::string_view kNoEffect[] = {
      "SecAuditEngine",
      "SecAuditLog",
      "SecAuditLog2",
      "SecAuditLogParts",
      "SecAuditLogType",
      "SecAuditLogStorageDir",
      "SecAuditLogRelevantStatus",
      "SecAuditLogFormat",
      "SecAuditLogDirMode",
      "SecAuditLogFileMode",
      "SecDebugLog",
      "SecDebugLogLevel",
      "SecTmpDir",
      "SecDataDir",
      "SecUploadDir",
      "SecUploadKeepFiles",
      "SecUploadFileMode",
      "SecUploadFileLimit",
      "SecCollectionTimeout",
      "SecUnicodeMapFile",
      "SecUnicodeCodePage",
      "SecStatusEngine",
      "SecPcreMatchLimit",
      "SecPcreMatchLimitRecursion",
      "SecRequestBodyInMemoryLimit",
      "SecTmpSaveUploadedFiles",
      "SecCookieFormat",
      "SecServerSignature",
      "SecXmlExternalEntity",
      "SecConnEngine",
      "SecWebAppId",
      "SecSensorId",
      "SecHashEngine",
      "SecHashKey",
      "SecHashParam",
      "SecHashMethodRx",
      "SecHashMethodPm",
      "SecGeoLookupDb",
      "SecHttpBlKey",
      "SecGsbLookupDb",
      "SecInterceptOnError",
      "SecRemoteRules",
      "SecRemoteRulesFailAction",
      "SecDisableBackendCompression",
      "SecContentInjection",
      "SecStreamOutBodyInspection",
      "SecStreamInBodyInspection",
      "SecChrootDir",
      "SecGuardianLog",
      "SecReadStateLimit",
      "SecWriteStateLimit",
      "SecConnReadStateLimit",
      "SecConnWriteStateLimit",
      "SecCacheTransformations",
  };
  for (std::string_view ne : kNoEffect) {
    if (iequals(n, ne)) {
      warn(d.file, d.line, n + " has no effect here (docs/waf.md)");
      return Ok{};
    }
  }
  if (iequals(n, "SecArgumentSeparator")) {
    if (arg(0) != "&") return fail("SecArgumentSeparator: only '&' is supported");
    return Ok{};
  }
  return fail("unknown directive '" + n + "'");
}

Status Compiler::finish() {
  auto for_ids = [&](std::string_view spec, auto&& f) -> Status {
    std::size_t start = 0;
    while (start < spec.size()) {
      std::size_t end = spec.find_first_of(" ,", start);
      if (end == std::string_view::npos) end = spec.size();
      std::string_view item = spec.substr(start, end - start);
      start = end + 1;
      if (item.empty()) continue;
      std::int64_t from = 0, to = 0;
      std::size_t dash = item.find('-', 1);
      if (dash == std::string_view::npos) {
        if (!parse_i64(item, from)) return Error{"bad rule id '" + std::string(item) + "'"};
        to = from;
      } else if (!parse_i64(item.substr(0, dash), from) || !parse_i64(item.substr(dash + 1), to)) {
        return Error{"bad rule id range '" + std::string(item) + "'"};
      }
      f(from, to);
    }
    return Ok{};
  };
  std::vector<std::pair<std::int64_t, std::int64_t>> removed_ids;
  std::vector<std::string> removed_tags, removed_msgs;
  for (const seclang::Directive& d : deferred_) {
    const std::string& n = d.name;
    auto fail = [&](const Error& e) -> Status { return Error{e.message, d.file, d.line}; };
    if (iequals(n, "SecRuleRemoveById")) {
      for (const std::string& a : d.args) {
        Status s =
            for_ids(a, [&](std::int64_t f, std::int64_t t) { removed_ids.emplace_back(f, t); });
        if (!s) return fail(s.error());
      }
    } else if (iequals(n, "SecRuleRemoveByTag")) {
      for (const std::string& a : d.args) removed_tags.push_back(a);
    } else if (iequals(n, "SecRuleRemoveByMsg")) {
      for (const std::string& a : d.args) removed_msgs.push_back(a);
    } else if (iequals(n, "SecRuleUpdateTargetById") || iequals(n, "SecRuleUpdateTargetByTag") ||
               iequals(n, "SecRuleUpdateTargetByMsg")) {
      if (d.args.size() < 2) return fail(Error{n + " needs WHICH and TARGETS"});
      auto refs = seclang::parse_variables(d.args[1]);
      if (!refs) return fail(refs.error());
      std::vector<Rule*> which;
      if (iequals(n, "SecRuleUpdateTargetById")) {
        Status s = for_ids(d.args[0], [&](std::int64_t f, std::int64_t t) {
          for (auto& [id, r] : by_id_) {
            if (id >= f && id <= t) which.push_back(r);
          }
        });
        if (!s) return fail(s.error());
      } else {
        bool by_tag = iequals(n, "SecRuleUpdateTargetByTag");
        for (auto& r : rules_) {
          if (r->is_marker) continue;
          if (by_tag ? r->has_tag(d.args[0]) : r->msg.text() == d.args[0]) which.push_back(r.get());
        }
      }
      if (which.empty()) warn(d.file, d.line, n + " " + d.args[0] + ": no rule matches");
      for (Rule* r : which) {
        for (const seclang::VariableRef& ref : *refs) {
          auto t = compile_target(ref);
          if (!t) return fail(t.error());
          if (ref.exclude) {
            r->exclusions.push_back(std::move(*t));
          } else if (d.args.size() >= 3) {
            for (Target& existing : r->targets) {
              if (iequals(existing.display, d.args[2])) existing = *t;
            }
          } else {
            r->targets.push_back(std::move(*t));
          }
        }
      }
    } else if (iequals(n, "SecRuleUpdateActionById")) {
      if (d.args.size() < 2) return fail(Error{n + " needs an id and actions"});
      std::int64_t id = 0;
      std::string_view spec = d.args[0];
      if (std::size_t colon = spec.find(':'); colon != std::string_view::npos)
        spec = spec.substr(0, colon);
      if (!parse_i64(spec, id)) return fail(Error{"bad rule id '" + d.args[0] + "'"});
      auto it = by_id_.find(id);
      if (it == by_id_.end()) {
        warn(d.file, d.line, n + " " + d.args[0] + ": no such rule");
        continue;
      }
      auto actions = seclang::parse_actions(d.args[1]);
      if (!actions) return fail(actions.error());
      Rule& r = *it->second;
      for (const Action& a : *actions) {
        if (iequals(a.name, "id") || iequals(a.name, "phase") || iequals(a.name, "chain")) {
          return fail(Error{"SecRuleUpdateActionById cannot change '" + a.name + "'"});
        }
        if (Status s = apply_action(r, a, false, {}); !s) return fail(s.error());
        if (r.disruptive == Disruptive::kBlock) {
          r.disruptive = set_->default_disruptive[static_cast<std::size_t>(r.phase - 1)];
        }
      }
    }
  }
  auto is_removed = [&](const Rule& r) {
    if (r.is_marker) return false;
    for (auto [f, t] : removed_ids) {
      if (r.id >= f && r.id <= t) return true;
    }
    for (const std::string& tag : removed_tags) {
      if (r.has_tag(tag)) return true;
    }
    for (const std::string& msg : removed_msgs) {
      if (r.msg.text() == msg) return true;
    }
    return false;
  };
  // Number transformation-chain prefixes, and give every regex and phrase list a slot in the one
  // prefilter.
  std::map<std::vector<std::uintptr_t>, std::uint32_t> chain_numbers;
  std::vector<Prefilter::Member> members;
  auto number = [&](Rule& link, int phase) {
    std::vector<std::uintptr_t> prefix;
    link.chain_ids.clear();
    link.chain_triggers = {};
    link.chain_always = false;
    for (const TransformationInfo* t : link.transforms) {
      link.chain_triggers = link.chain_triggers | t->triggers;
      link.chain_always = link.chain_always || t->always;
      prefix.push_back(reinterpret_cast<std::uintptr_t>(t->fn));
      auto [it, added] =
          chain_numbers.try_emplace(prefix, static_cast<std::uint32_t>(chain_numbers.size() + 1));
      link.chain_ids.push_back(it->second);
    }
    // Phrase lists of the request phases only: those of the response phases (long lists of
    // error messages) look at response bodies, long texts seen once, where the rule's own
    // automaton does as well and the prefilter's would only grow.
    const std::vector<std::string>* phrases = phase <= 2 && link.op ? link.op->phrases() : nullptr;
    if (link.op && (link.op->regex() != nullptr || phrases != nullptr)) {
      link.prefilter_slot = static_cast<int>(members.size());
      members.push_back({link.op->regex(), phrases});
    }
  };
  for (auto& r : rules_) {
    if (r->is_marker || is_removed(*r)) continue;
    for (Rule* link = r.get(); link != nullptr; link = link->chained.get()) number(*link, r->phase);
  }
  set_->chain_count = static_cast<std::uint32_t>(chain_numbers.size() + 1);
  set_->prefilter = std::make_unique<Prefilter>(members);
  // Target groups: a rule whose operator is in the prefilter, not negated, over targets that
  // list values (no `&` count), can be settled for all its values at once.
  std::map<std::pair<std::string, std::uint32_t>, int> target_groups;
  std::map<std::pair<std::string, std::uint32_t>, std::uint32_t> target_unions;
  for (auto& r : rules_) {
    if (r->is_marker || is_removed(*r)) continue;
    for (Rule* link = r.get(); link != nullptr; link = link->chained.get()) {
      if (link->prefilter_slot < 0 || link->negated || link->multi_match || link->targets.empty()) {
        continue;
      }
      std::string signature;
      bool eligible = true;
      std::vector<std::string> pieces;
      for (const Target& t : link->targets) {
        if (t.count) eligible = false;
        std::string piece = std::to_string(static_cast<int>(t.var));
        piece += t.xml_attributes ? '@' : ':';
        piece += t.key_re ? "/" + t.key : t.key;
        signature += piece;
        signature += '\0';
        pieces.push_back(std::move(piece));
      }
      if (!eligible) continue;
      std::uint32_t chain = link->chain_ids.empty() ? 0 : link->chain_ids.back();
      link->target_unions.clear();
      for (std::string& piece : pieces) {
        auto [u, fresh] = target_unions.try_emplace(
            {std::move(piece), chain}, static_cast<std::uint32_t>(target_unions.size()));
        link->target_unions.push_back(u->second);
      }
      auto [it, added] =
          target_groups.try_emplace({signature, chain}, static_cast<int>(target_groups.size()));
      link->target_group = it->second;
    }
  }
  set_->target_group_count = static_cast<std::uint32_t>(target_groups.size());
  set_->target_union_count = static_cast<std::uint32_t>(target_unions.size());
  for (auto& r : rules_) {
    if (is_removed(*r)) continue;
    if (r->is_marker) {
      for (auto& phase : set_->phases) phase.push_back(r);
      continue;
    }
    set_->phases[static_cast<std::size_t>(r->phase - 1)].push_back(r);
    ++set_->rule_count;
  }
  return Ok{};
}

Result<std::shared_ptr<const RuleSet>> Compiler::run(const std::vector<seclang::Item>& items) {
  for (const seclang::Item& item : items) {
    if (const auto* ast = std::get_if<seclang::RuleAst>(&item)) {
      auto rule = std::make_shared<Rule>();
      if (Status s = compile_rule(*ast, *rule, false, 0); !s) return s.error();
      if (!by_id_.emplace(rule->id, rule.get()).second) {
        return Error{"duplicate rule id " + rule->id_text, ast->file, ast->line};
      }
      rules_.push_back(std::move(rule));
    } else if (const auto* marker = std::get_if<seclang::MarkerAst>(&item)) {
      auto rule = std::make_shared<Rule>();
      rule->is_marker = true;
      rule->marker = marker->name;
      rule->file = marker->file;
      rule->line = marker->line;
      rules_.push_back(std::move(rule));
    } else if (const auto* def = std::get_if<seclang::DefaultActionAst>(&item)) {
      if (Status s = default_action(*def); !s) return s.error();
    } else if (const auto* other = std::get_if<seclang::OtherDirective>(&item)) {
      if (Status s = directive(other->directive); !s) return s.error();
    }
  }
  if (Status s = finish(); !s) return s.error();
  return std::shared_ptr<const RuleSet>(std::move(set_));
}

}  // namespace

Result<std::shared_ptr<const RuleSet>> compile_rules(const std::vector<seclang::Item>& items) {
  Compiler c;
  return c.run(items);
}

}  // namespace portcullis::waf
