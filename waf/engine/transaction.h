// Transaction: one request's run through a RuleSet — the variables it offers rules (from the
// Exchange and the body processors), the TX collection and the other per-request state
// (matched variables, captures, ctl changes, skips), the phases, and what came out of them:
// findings for the security event and, when a disruptive action fired, the intervention.
// One per request, used by one thread; lives in the exchange's arena. Never throws: hostile
// input only changes what matches.
#pragma once

#include <array>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/exchange.h"
#include "waf/bodies/bodies.h"
#include "waf/engine/rule.h"
#include "waf/operators/operator.h"

namespace portcullis::waf {

// What the engine options add to a RuleSet at run time (docs/waf.md "waf").
struct RunOptions {
  // Variable names whose values are masked in findings ("(?i)pass|token|secret" ...).
  std::shared_ptr<const RE2> mask;
  std::size_t max_data_bytes = 200;  // a finding's data excerpt is cut to this many bytes
  std::size_t max_findings = 64;
};

// What a disruptive action decided.
struct Intervention {
  bool disrupted = false;      // deny/drop fired with the engine On
  bool would_disrupt = false;  // it fired in DetectionOnly (logged, not enforced)
  int status = 403;
  bool drop = false;
  const Rule* rule = nullptr;
  std::string_view message;  // the rule's msg, expanded
};

class Transaction final : public MatchContext {
 public:
  Transaction(const RuleSet& rules, const RunOptions& options, Exchange& exchange) noexcept;

  // Phase 1: request headers.
  void request_headers() noexcept;
  // Phase 2: request body (the body in exchange.body; empty when the request has none).
  void request_body() noexcept;
  // Phase 3: response headers (exchange.response_*).
  void response_headers() noexcept;
  // Phase 4: response body (exchange.response_body).
  void response_body() noexcept;
  // Phase 5: logging, once the exchange is over. Runs even after a disruptive action.
  void logging() noexcept;

  const Intervention& intervention() const noexcept { return intervention_; }
  // The TX value `key` (lower-case), or nullopt.
  std::optional<std::string_view> tx(std::string_view key) const noexcept;
  int engine_mode() const noexcept { return engine_mode_; }

  // MatchContext
  std::string_view expand(std::string_view text, std::pmr::string& storage) noexcept override;
  bool capturing() const noexcept override { return capturing_; }
  void set_capture(int index, std::string_view value) noexcept override;
  std::pmr::memory_resource* arena() noexcept override { return arena_; }

 private:
  struct Entry {
    Var collection;
    std::pmr::string key;
    std::pmr::string value;
  };
  struct Matched {
    std::string_view name;
    std::string_view value;
  };
  struct TargetRemoval {
    std::int64_t id;  // 0: by tag
    std::int64_t id_to;
    std::string_view tag;
    Var var;
    std::string_view key;
  };

  void run_phase(int phase) noexcept;
  // Evaluates one rule (and its chain); true when the whole chain matched.
  bool evaluate(const Rule& rule, const Rule& head, int phase) noexcept;
  void after_full_match(const Rule& link, const Rule& head) noexcept;
  bool removed(const Rule& rule) const noexcept;
  bool target_removed(const Rule& head, Var var, std::string_view key) const noexcept;

  template <typename F>
  void for_each_value(const Target& target, F&& f) noexcept;
  template <typename F>
  void for_each_member(Var var, F&& f) noexcept;
  std::string_view single(Var var) noexcept;
  // The value a macro names (`key` in lower case, `hash` as for find_entry).
  std::string_view resolve(Var var, std::string_view key, std::uint64_t hash) noexcept;
  // `key` in lower case (a copy in the arena when it had upper case).
  std::string_view lowered(std::string_view key) noexcept;
  std::string_view expand(const Macro& macro) noexcept;
  std::string_view number(std::uint64_t n) noexcept;
  std::string_view copy(std::string_view s) noexcept;
  // What only one phase's evaluation needs (transformed values, prefilter verdicts, the caches
  // that find them) lives in the worker thread's phase scratch, emptied when the phase ends;
  // the exchange's arena keeps only what the request keeps (TX, matches, findings).
  std::pmr::memory_resource* phase_memory_ = nullptr;
  std::string_view phase_copy(std::string_view s) noexcept;
  void end_phase_memory() noexcept;

  // The member `key` (lower case) of `collection`; `hash` is member_key_hash(collection, key).
  const Entry* find_entry(Var collection, std::string_view key, std::uint64_t hash) const noexcept;
  Entry* find_entry(Var collection, std::string_view key, std::uint64_t hash) noexcept {
    return const_cast<Entry*>(std::as_const(*this).find_entry(collection, key, hash));
  }
  Entry* find_entry(Var collection, std::string_view key) noexcept {
    return find_entry(collection, key, member_key_hash(collection, key));
  }
  // entries_ by collection and key: an open-addressing table of index + 1 (0: empty).
  void index_entry(std::size_t i) noexcept;
  void reindex_entries() noexcept;
  void apply_setvar(const SetVar& sv) noexcept;
  void apply_ctl(const Ctl& ctl) noexcept;
  void add_finding(const Rule& head) noexcept;
  void parse_body() noexcept;

  // Transformed values cached per request, by the source value's bytes (address and size:
  // request data never moves and the arena never reuses memory) and chain-prefix number.
  struct CacheEntry {
    const char* data = nullptr;
    std::size_t size = 0;
    std::uint32_t chain = 0;
    std::string_view result;
    const std::uint64_t* candidates = nullptr;  // the prefilter's verdicts for `result`, once asked
  };
  CacheEntry* cache_find(std::string_view value, std::uint32_t chain) noexcept;
  // Request values are also numbered (member_id_ while for_each_member/for_each_value hand one
  // out; value_id_ while its transforms are looked up): their cache entries are then found in a
  // row per value, by chain number, instead of the hash table.
  static constexpr std::uint32_t kNoId = 0xffffffffu;
  struct IdBases {
    std::uint32_t headers = kNoId, cookies = kNoId, get = kNoId, singles = kNoId, post = kNoId,
                  files = kNoId, parts = kNoId, xml = kNoId, response = kNoId;
  };
  IdBases ids_;
  std::uint32_t next_id_ = 0;
  std::uint32_t member_id_ = kNoId;
  std::uint32_t value_id_ = kNoId;
  struct ValueSlot {
    CacheEntry** row = nullptr;  // by chain number (chain_count entries), once the value has one
    const char* data = nullptr;  // the value whose bytes are known
    std::size_t size = 0;
    bool known = false;
    ByteSet bytes;
  };
  ValueSlot& slot(std::uint32_t id) noexcept {
    return id < values_size_ ? values_[id] : grow_slots(id);
  }
  ValueSlot& grow_slots(std::uint32_t id) noexcept;  // slot() past the end: grows, then slot()
  CacheEntry* cache_insert(std::string_view value, std::uint32_t chain,
                           std::string_view result) noexcept;
  // The value after the rule's whole transformation chain (cached).
  CacheEntry* transformed(const Rule& rule, std::string_view value) noexcept;
  // Runs the rule's transformations over `value` (numbered `id`, or kNoId), skipping those that
  // cannot change a value with its bytes; calls changed(text) after each one that did. Returns
  // the result (a copy in the arena when it differs).
  template <typename F>
  std::string_view apply_transforms(const Rule& rule, std::string_view value, std::uint32_t id,
                                    F&& changed) noexcept;
  // The bytes of `value`, remembered per value number.
  ByteSet bytes_of(std::uint32_t id, std::string_view value) noexcept;
  void prepare_request() noexcept;

  const RuleSet& rules_;
  const RunOptions& options_;
  Exchange& ex_;
  std::pmr::memory_resource* arena_;

  // Request data, built once.
  std::span<const HeaderField> headers_;  // the request's, with Host made from :authority
  bodies::Parsed get_;
  bodies::Parsed post_;
  std::pmr::vector<bodies::Arg> cookies_;
  std::array<std::string_view, static_cast<std::size_t>(Var::kCount_)> cached_{};
  std::array<bool, static_cast<std::size_t>(Var::kCount_)> has_cached_{};
  std::string_view body_processor_;  // URLENCODED, MULTIPART, JSON, XML or empty
  bool body_parsed_ = false;
  bool body_access_ = true;
  bool force_body_variable_ = false;

  // Collections and rule state.
  std::pmr::vector<Entry> entries_;
  std::pmr::vector<std::int32_t> entry_index_;
  std::pmr::vector<Matched> matched_vars_;
  std::string_view matched_var_;
  std::string_view matched_var_name_;
  const Rule* current_ = nullptr;  // the chain head being evaluated (RULE.*)
  bool capturing_ = false;
  int engine_mode_ = 2;
  std::pmr::vector<std::pair<std::int64_t, std::int64_t>> removed_ids_;
  std::pmr::vector<std::string_view> removed_tags_;
  std::pmr::vector<TargetRemoval> removed_targets_;
  ValueSlot* values_ = nullptr;  // by value number, in the phase scratch
  std::size_t values_size_ = 0;
  std::string_view skip_to_marker_;
  int skip_next_ = 0;
  bool allow_all_ = false;
  bool allow_phase_ = false;
  bool allow_request_ = false;
  int highest_severity_ = 255;

  CacheEntry* cache_ = nullptr;
  std::size_t cache_capacity_ = 0;
  std::size_t cache_used_ = 0;
  // Which regexes of the rule set may match `text` (RuleSet::prefilter), once per distinct text.
  const std::uint64_t* candidates(std::string_view text) noexcept;
  // Whether the regex in `slot` may match the entry's value (the entry keeps the verdicts).
  bool may_match(CacheEntry& e, std::size_t slot) noexcept;
  // Whether any value of the rule's targets may match its regex (Rule::target_group): the
  // union of the prefilter verdicts of those values, computed once per phase. Values that are
  // not fixed for the request (TX ...) make the union all ones.
  bool group_may_match(const Rule& rule) noexcept;
  std::pmr::vector<const std::uint64_t*> target_unions_;  // by group; null: not computed yet
  // The union of one target's verdicts through one chain (Rule::target_unions), computed once
  // per phase: null when not computed yet, kAllOnes when a value is not fixed for the request.
  const std::uint64_t* target_union(const Rule& rule, std::size_t i) noexcept;
  std::pmr::vector<const std::uint64_t*> member_unions_;

  std::pmr::vector<Finding> findings_;
  Intervention intervention_;
  std::pmr::string scratch_[2];
};

}  // namespace portcullis::waf
