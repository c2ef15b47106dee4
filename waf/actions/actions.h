// Actions (SecLang `id:…,phase:…,setvar:…`): compiled forms of the actions that do something at
// run time — setvar, ctl, the disruptive and flow actions — and the table of every action name
// the engine knows, with what it does with it. Compiled once per config snapshot; immutable
// afterwards and safe for concurrent use by multiple threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "waf/engine/macro.h"
#include "waf/seclang/syntax.h"
#include "waf/variables/variables.h"

namespace portcullis::waf {

enum class Disruptive : std::uint8_t {
  kNone,   // not given: the phase's SecDefaultAction decides
  kPass,   // go on with the next rule
  kBlock,  // whatever the default action of the phase says (CRS: pass, scoring decides)
  kDeny,   // stop and refuse with `status` (403 when not given)
  kDrop,   // refuse and close the connection
  kAllow,  // stop inspecting (the whole transaction, or see AllowScope)
  kRedirect,
};

enum class AllowScope : std::uint8_t { kAll, kPhase, kRequest };

// setvar:'tx.score=+%{tx.critical_anomaly_score}', setvar:!tx.flag, setvar:tx.seen
struct SetVar {
  enum class Op : std::uint8_t { kSet, kAdd, kSubtract, kDelete };
  Var collection = Var::kTx;   // TX, IP, GLOBAL, SESSION, USER, RESOURCE
  Macro key;                   // may itself contain macros
  std::uint64_t key_hash = 0;  // member_key_hash(collection, key) when the key has no macro
  Macro value;
  Op op = Op::kSet;
};

Result<SetVar> compile_setvar(std::string_view text);

// ctl:NAME=VALUE — changes the engine for the current transaction only.
struct Ctl {
  enum class Kind : std::uint8_t {
    kRuleEngine,             // On | Off | DetectionOnly
    kRuleRemoveById,         // N or N-M
    kRuleRemoveByTag,        // a tag (exact)
    kRuleRemoveTargetById,   // ID;VAR:key
    kRuleRemoveTargetByTag,  // TAG;VAR:key
    kRequestBodyProcessor,   // URLENCODED | MULTIPART | JSON | XML
    kRequestBodyAccess,      // On | Off
    kForceRequestBodyVariable,
    kIgnored,  // audit-log settings and others with no effect here (docs/waf.md)
  };
  Kind kind = Kind::kIgnored;
  std::string text;  // the value as written, or the tag
  std::int64_t id_from = 0, id_to = 0;
  Var target_var = Var::kArgs;
  std::string target_key;  // lower-cased; empty: the whole collection
  int engine_mode = 0;     // kRuleEngine: 0 Off, 1 DetectionOnly, 2 On
  bool flag = false;       // On/Off values
};

Result<Ctl> compile_ctl(std::string_view text);

// How the rule compiler treats an action name.
enum class ActionUse : std::uint8_t {
  kKnown,        // handled by the compiler
  kMetadata,     // kept for logs only (rev, maturity, accuracy, ...)
  kUnsupported,  // accepted with a counted warning; listed in docs/waf.md with the reason
};

// The use of the action named `name`, or nullptr when there is no such action.
const ActionUse* find_action_use(std::string_view name) noexcept;

}  // namespace portcullis::waf
