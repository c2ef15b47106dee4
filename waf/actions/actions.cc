// setvar and ctl compilation, and the table of action names (see actions.h).
#include "waf/actions/actions.h"

#include <cctype>
#include <charconv>

#include "core/exchange.h"

namespace portcullis::waf {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_id(std::string_view s, std::int64_t& out) {
  s = trim(s);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

bool on_off(std::string_view v, bool& out) {
  if (iequals(v, "on") || iequals(v, "true")) {
    out = true;
    return true;
  }
  if (iequals(v, "off") || iequals(v, "false")) {
    out = false;
    return true;
  }
  return false;
}

// "ARGS:foo" / "REQUEST_HEADERS" → variable and lower-cased key.
Result<bool> parse_target(std::string_view text, Var& var, std::string& key) {
  text = trim(text);
  std::string_view name = text;
  std::string_view k;
  if (std::size_t colon = text.find(':'); colon != std::string_view::npos) {
    name = text.substr(0, colon);
    k = text.substr(colon + 1);
  }
  const VariableInfo* info = find_variable(name);
  if (info == nullptr) return Error{"unknown variable '" + std::string(name) + "'"};
  var = info->var;
  key = lower(k);
  return true;
}

struct ActionName {
  std::string_view name;
  ActionUse use;
};

constexpr ActionName kActions[] = {
    {"id", ActionUse::kKnown},
    {"phase", ActionUse::kKnown},
    {"msg", ActionUse::kKnown},
    {"logdata", ActionUse::kKnown},
    {"severity", ActionUse::kKnown},
    {"tag", ActionUse::kKnown},
    {"ver", ActionUse::kKnown},
    {"rev", ActionUse::kMetadata},
    {"maturity", ActionUse::kMetadata},
    {"accuracy", ActionUse::kMetadata},
    {"t", ActionUse::kKnown},
    {"setvar", ActionUse::kKnown},
    {"ctl", ActionUse::kKnown},
    {"capture", ActionUse::kKnown},
    {"multiMatch", ActionUse::kKnown},
    {"chain", ActionUse::kKnown},
    {"skip", ActionUse::kKnown},
    {"skipAfter", ActionUse::kKnown},
    {"pass", ActionUse::kKnown},
    {"block", ActionUse::kKnown},
    {"deny", ActionUse::kKnown},
    {"drop", ActionUse::kKnown},
    {"allow", ActionUse::kKnown},
    {"redirect", ActionUse::kKnown},
    {"status", ActionUse::kKnown},
    {"log", ActionUse::kKnown},
    {"nolog", ActionUse::kKnown},
    {"auditlog", ActionUse::kMetadata},
    {"noauditlog", ActionUse::kMetadata},
    {"sanitiseArg", ActionUse::kUnsupported},
    {"sanitiseMatched", ActionUse::kUnsupported},
    {"sanitiseMatchedBytes", ActionUse::kUnsupported},
    {"sanitiseRequestHeader", ActionUse::kUnsupported},
    {"sanitiseResponseHeader", ActionUse::kUnsupported},
    {"initcol", ActionUse::kKnown},
    {"expirevar", ActionUse::kUnsupported},
    {"deprecatevar", ActionUse::kUnsupported},
    {"setuid", ActionUse::kUnsupported},
    {"setsid", ActionUse::kUnsupported},
    {"setrsc", ActionUse::kUnsupported},
    {"setenv", ActionUse::kUnsupported},
    {"exec", ActionUse::kUnsupported},
    {"proxy", ActionUse::kUnsupported},
    {"pause", ActionUse::kUnsupported},
    {"append", ActionUse::kUnsupported},
    {"prepend", ActionUse::kUnsupported},
    {"xmlns", ActionUse::kUnsupported},
    {"sanitizeArg", ActionUse::kUnsupported},
    {"sanitizeMatched", ActionUse::kUnsupported},
    {"sanitizeMatchedBytes", ActionUse::kUnsupported},
    {"sanitizeRequestHeader", ActionUse::kUnsupported},
    {"sanitizeResponseHeader", ActionUse::kUnsupported},
};

}  // namespace

Result<SetVar> compile_setvar(std::string_view text) {
  text = trim(text);
  SetVar sv;
  if (!text.empty() && text.front() == '!') {
    sv.op = SetVar::Op::kDelete;
    text.remove_prefix(1);
  }
  std::string_view lhs = text;
  std::string_view rhs;
  bool has_value = false;
  if (std::size_t eq = text.find('='); eq != std::string_view::npos) {
    lhs = text.substr(0, eq);
    rhs = text.substr(eq + 1);
    has_value = true;
  }
  std::size_t dot = lhs.find('.');
  if (dot == std::string_view::npos) {
    return Error{"setvar needs COLLECTION.name: '" + std::string(text) + "'"};
  }
  const VariableInfo* info = find_variable(lhs.substr(0, dot));
  if (info == nullptr ||
      (info->var != Var::kTx && info->var != Var::kIp && info->var != Var::kGlobal &&
       info->var != Var::kSession && info->var != Var::kUser && info->var != Var::kResource)) {
    return Error{"setvar cannot write to '" + std::string(lhs.substr(0, dot)) + "'"};
  }
  sv.collection = info->var;
  auto key = Macro::compile(lower(lhs.substr(dot + 1)));
  if (!key) return key.error();
  sv.key = std::move(*key);
  if (!sv.key.has_refs()) sv.key_hash = member_key_hash(sv.collection, sv.key.text());
  if (sv.op != SetVar::Op::kDelete) {
    if (!has_value) {
      rhs = "1";
    } else if (!rhs.empty() && (rhs.front() == '+' || rhs.front() == '-')) {
      sv.op = rhs.front() == '+' ? SetVar::Op::kAdd : SetVar::Op::kSubtract;
      rhs.remove_prefix(1);
    }
    auto value = Macro::compile(rhs);
    if (!value) return value.error();
    sv.value = std::move(*value);
  }
  return sv;
}

Result<Ctl> compile_ctl(std::string_view text) {
  std::size_t eq = text.find('=');
  if (eq == std::string_view::npos)
    return Error{"ctl needs NAME=VALUE: '" + std::string(text) + "'"};
  std::string_view name = trim(text.substr(0, eq));
  std::string_view value = trim(text.substr(eq + 1));
  Ctl ctl;
  ctl.text = std::string(value);
  if (iequals(name, "ruleEngine")) {
    ctl.kind = Ctl::Kind::kRuleEngine;
    if (iequals(value, "off")) {
      ctl.engine_mode = 0;
    } else if (iequals(value, "detectiononly")) {
      ctl.engine_mode = 1;
    } else if (iequals(value, "on")) {
      ctl.engine_mode = 2;
    } else {
      return Error{"ctl:ruleEngine takes On, Off or DetectionOnly, not '" + std::string(value) +
                   "'"};
    }
    return ctl;
  }
  if (iequals(name, "ruleRemoveById")) {
    ctl.kind = Ctl::Kind::kRuleRemoveById;
    std::size_t dash = value.find('-', 1);
    if (dash == std::string_view::npos) {
      if (!parse_id(value, ctl.id_from))
        return Error{"ctl:ruleRemoveById: bad id '" + ctl.text + "'"};
      ctl.id_to = ctl.id_from;
    } else if (!parse_id(value.substr(0, dash), ctl.id_from) ||
               !parse_id(value.substr(dash + 1), ctl.id_to)) {
      return Error{"ctl:ruleRemoveById: bad range '" + ctl.text + "'"};
    }
    return ctl;
  }
  if (iequals(name, "ruleRemoveByTag")) {
    ctl.kind = Ctl::Kind::kRuleRemoveByTag;
    return ctl;
  }
  if (iequals(name, "ruleRemoveTargetById") || iequals(name, "ruleRemoveTargetByTag")) {
    bool by_id = iequals(name, "ruleRemoveTargetById");
    ctl.kind = by_id ? Ctl::Kind::kRuleRemoveTargetById : Ctl::Kind::kRuleRemoveTargetByTag;
    std::size_t semi = value.find(';');
    if (semi == std::string_view::npos) {
      return Error{"ctl:" + std::string(name) + " needs WHICH;VARIABLE: '" + ctl.text + "'"};
    }
    ctl.text = std::string(trim(value.substr(0, semi)));
    if (by_id) {
      std::string_view ids = ctl.text;
      std::size_t dash = ids.find('-', 1);
      bool ok = dash == std::string_view::npos
                    ? parse_id(ids, ctl.id_from) && (ctl.id_to = ctl.id_from, true)
                    : parse_id(ids.substr(0, dash), ctl.id_from) &&
                          parse_id(ids.substr(dash + 1), ctl.id_to);
      if (!ok) return Error{"ctl:ruleRemoveTargetById: bad id or range '" + ctl.text + "'"};
    }
    auto t = parse_target(value.substr(semi + 1), ctl.target_var, ctl.target_key);
    if (!t) return t.error();
    return ctl;
  }
  if (iequals(name, "requestBodyProcessor")) {
    ctl.kind = Ctl::Kind::kRequestBodyProcessor;
    if (!iequals(value, "URLENCODED") && !iequals(value, "MULTIPART") && !iequals(value, "JSON") &&
        !iequals(value, "XML")) {
      return Error{"ctl:requestBodyProcessor takes URLENCODED, MULTIPART, JSON or XML, not '" +
                   ctl.text + "'"};
    }
    for (char& c : ctl.text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return ctl;
  }
  if (iequals(name, "requestBodyAccess") || iequals(name, "forceRequestBodyVariable")) {
    ctl.kind = iequals(name, "requestBodyAccess") ? Ctl::Kind::kRequestBodyAccess
                                                  : Ctl::Kind::kForceRequestBodyVariable;
    if (!on_off(value, ctl.flag)) {
      return Error{"ctl:" + std::string(name) + " takes On or Off, not '" + ctl.text + "'"};
    }
    return ctl;
  }
  if (iequals(name, "auditEngine") || iequals(name, "auditLogParts") ||
      iequals(name, "debugLogLevel") || iequals(name, "responseBodyAccess") ||
      iequals(name, "hashEngine") || iequals(name, "hashEnforcement") ||
      iequals(name, "parseXmlIntoArgs")) {
    ctl.kind = Ctl::Kind::kIgnored;
    return ctl;
  }
  return Error{"unknown ctl '" + std::string(name) + "'"};
}

const ActionUse* find_action_use(std::string_view name) noexcept {
  for (const ActionName& a : kActions) {
    if (iequals(a.name, name)) return &a.use;
  }
  return nullptr;
}

}  // namespace portcullis::waf
