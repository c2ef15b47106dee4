// One request's run through the rules (see transaction.h). The evaluation order follows
// ModSecurity v3: per phase, rules in load order; per rule, each target's values, transformed,
// tested; setvar runs for each matched value; ctl, logging and the disruptive action once the
// whole chain matched.
#include "waf/engine/transaction.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <new>

namespace portcullis::waf {
namespace {

constexpr std::size_t idx(Var v) noexcept { return static_cast<std::size_t>(v); }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoding where both digits are hex; everything else is kept (ModSecurity's uri_decode).
std::string_view uri_decode(std::string_view in, std::pmr::memory_resource* arena) noexcept {
  if (in.find('%') == std::string_view::npos) return in;
  char* out = static_cast<char*>(arena->allocate(in.size(), 1));
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      int hi = hex_value(in[i + 1]);
      int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out[n++] = in[i];
  }
  return {out, n};
}

bool starts_with_ci(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool ends_with_ci(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

// TX and the other collections keep their keys in lower case, as rules and macros name them.
bool same_key(std::string_view stored, std::string_view lower) noexcept {
  return stored.size() == lower.size() &&
         std::memcmp(stored.data(), lower.data(), lower.size()) == 0;
}

char lower_ascii(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool contains_ci(std::string_view s, std::string_view lower_needle) noexcept {
  if (lower_needle.size() > s.size()) return false;
  for (std::size_t i = 0; i + lower_needle.size() <= s.size(); ++i) {
    if (iequals(s.substr(i, lower_needle.size()), lower_needle)) return true;
  }
  return false;
}

// Whether a key regex target selects `key`.
bool key_regex_matches(const Target& t, std::string_view key) noexcept {
  if (!t.key_literal.empty()) {
    const bool has = t.key_literal_anchored ? starts_with_ci(key, t.key_literal)
                                            : contains_ci(key, t.key_literal);
    if (!has) return false;
    if (t.key_literal_only) return true;
  }
  return RE2::PartialMatch(key, *t.key_re);
}

bool key_matches(const Target& t, std::string_view key) noexcept {
  if (t.key_re) return key_regex_matches(t, key);
  if (t.key.empty()) return true;
  return iequals(t.key, key);
}

// Whether a variable's values stay put for the whole request (so that transformed values can
// be cached by address). TX and the other collections are copied afresh on each read.
bool cacheable(Var v) noexcept {
  switch (v) {
    case Var::kTx:
    case Var::kIp:
    case Var::kGlobal:
    case Var::kSession:
    case Var::kUser:
    case Var::kResource:
    case Var::kMatchedVar:
    case Var::kMatchedVarName:
    case Var::kMatchedVars:
    case Var::kMatchedVarsNames:
    case Var::kRule:
      return false;
    default:
      return true;
  }
}

std::size_t hash_key(const char* data, std::size_t size, std::uint32_t chain) noexcept {
  std::uint64_t h = reinterpret_cast<std::uintptr_t>(data) * 0x9e3779b97f4a7c15ull;
  h ^= (static_cast<std::uint64_t>(size) << 32 | chain) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 31;
  return static_cast<std::size_t>(h);
}

bool parse_int(std::string_view s, std::int64_t& out) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  if (s.empty()) {
    out = 0;
    return true;
  }
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto [p, ec] = std::from_chars(begin, s.data() + s.size(), out);
  if (ec != std::errc()) {
    out = 0;
    return false;
  }
  (void)p;
  return true;
}

constexpr std::string_view kProtocols[] = {"HTTP/1.0", "HTTP/1.1", "HTTP/2.0"};

// The worker thread's phase scratch (see Transaction::scratch_): one buffer, reused by every
// phase of every request the thread runs (phases never interleave on a thread); what a phase
// needs beyond it comes from the heap and goes back when the phase ends.
constexpr std::size_t kPhaseScratchBytes = 256 * 1024;

std::pmr::monotonic_buffer_resource& phase_scratch() noexcept {
  struct Scratch {
    std::unique_ptr<std::byte[]> buffer{new std::byte[kPhaseScratchBytes]};
    std::pmr::monotonic_buffer_resource resource{buffer.get(), kPhaseScratchBytes};
  };
  thread_local Scratch scratch;
  return scratch.resource;
}

}  // namespace

Transaction::Transaction(const RuleSet& rules, const RunOptions& options,
                         Exchange& exchange) noexcept
    : rules_(rules),
      options_(options),
      ex_(exchange),
      arena_(exchange.arena()),
      get_(arena_),
      post_(arena_),
      cookies_(arena_),
      entries_(arena_),
      entry_index_(arena_),
      matched_vars_(arena_),
      removed_ids_(arena_),
      removed_tags_(arena_),
      removed_targets_(arena_),
      target_unions_(rules.target_group_count, nullptr, arena_),
      member_unions_(rules.target_union_count, nullptr, arena_),
      findings_(arena_),
      scratch_{std::pmr::string(arena_), std::pmr::string(arena_)} {
  engine_mode_ = rules.settings.engine_mode;
  body_access_ = rules.settings.request_body_access;
  // Room for what a CRS run needs, so that vectors in the arena (which never reuses memory)
  // do not leave their outgrown copies behind.
  entries_.reserve(128);
  entry_index_.assign(512, 0);
  // What earlier stages found stays in the event, before the rules' own findings.
  for (const Finding& f : ex_.findings) findings_.push_back(f);
  prepare_request();
}

void Transaction::prepare_request() noexcept {
  headers_ = ex_.headers;
  if (ex_.protocol == Protocol::kHttp2 && !ex_.host.empty()) {
    // HTTP/2 carries the host in :authority; rules (and the CRS's "missing Host" check) look
    // for a Host header, which nginx also makes from :authority for ModSecurity.
    bool has_host = false;
    for (const HeaderField& h : ex_.headers) has_host = has_host || iequals(h.name, "host");
    if (!has_host) {
      auto* fields = static_cast<HeaderField*>(
          arena_->allocate(sizeof(HeaderField) * (ex_.headers.size() + 1), alignof(HeaderField)));
      fields[0] = HeaderField{"host", ex_.host};
      for (std::size_t i = 0; i < ex_.headers.size(); ++i) fields[i + 1] = ex_.headers[i];
      headers_ = std::span<const HeaderField>(fields, ex_.headers.size() + 1);
    }
  }
  bodies::Limits limits;
  limits.max_args = rules_.settings.arguments_limit;
  if (!ex_.query.empty()) bodies::parse_urlencoded(ex_.query, limits, get_);
  for (const HeaderField& h : headers_) {
    if (iequals(h.name, "cookie")) bodies::parse_cookies(h.value, cookies_);
  }
  {
    auto h = static_cast<std::uint32_t>(headers_.size());
    auto c = static_cast<std::uint32_t>(cookies_.size());
    auto g = static_cast<std::uint32_t>(get_.args.size());
    ids_.headers = 0;
    ids_.cookies = 2 * h;
    ids_.get = 2 * h + 2 * c;
    ids_.singles = ids_.get + 2 * g;
    next_id_ = ids_.singles + static_cast<std::uint32_t>(Var::kCount_);
  }
  std::string_view type = bodies::media_type(ex_.header("content-type"));
  if (iequals(type, "application/x-www-form-urlencoded")) {
    body_processor_ = "URLENCODED";
  } else if (iequals(type, "multipart/form-data")) {
    body_processor_ = "MULTIPART";
  } else if (starts_with_ci(type, "application/") &&
             (iequals(type, "application/json") || ends_with_ci(type, "+json"))) {
    body_processor_ = "JSON";
  } else if (iequals(type, "application/xml") || iequals(type, "text/xml") ||
             ends_with_ci(type, "+xml")) {
    body_processor_ = "XML";
  }
}

// ---------------------------------------------------------------- phases

void Transaction::request_headers() noexcept { run_phase(1); }

void Transaction::request_body() noexcept {
  parse_body();
  run_phase(2);
}

void Transaction::response_headers() noexcept {
  ids_.response = next_id_;
  next_id_ += 2 * static_cast<std::uint32_t>(ex_.response_headers.size());
  run_phase(3);
}

void Transaction::response_body() noexcept { run_phase(4); }

void Transaction::logging() noexcept {
  // The logging phase runs whatever happened before, as in ModSecurity.
  bool disrupted = intervention_.disrupted;
  intervention_.disrupted = false;
  allow_all_ = false;
  allow_request_ = false;
  run_phase(5);
  intervention_.disrupted = disrupted || intervention_.disrupted;
}

void Transaction::parse_body() noexcept {
  if (body_parsed_) return;
  body_parsed_ = true;
  if (!body_access_ || ex_.body.empty()) return;
  std::string_view body(ex_.body.data(), ex_.body.size());
  bodies::Limits limits;
  limits.max_args = rules_.settings.arguments_limit;
  limits.json_max_depth = rules_.settings.json_depth_limit;
  if (body_processor_ == "URLENCODED") {
    bodies::parse_urlencoded(body, limits, post_);
  } else if (body_processor_ == "MULTIPART") {
    bodies::parse_multipart(body, ex_.header("content-type"), limits, post_);
  } else if (body_processor_ == "JSON") {
    bodies::parse_json(body, limits, post_);
  } else if (body_processor_ == "XML") {
    bodies::parse_xml(body, limits, post_);
  }
  ids_.post = next_id_;
  next_id_ += 2 * static_cast<std::uint32_t>(post_.args.size());
  ids_.files = next_id_;
  next_id_ += 3 * static_cast<std::uint32_t>(post_.files.size());
  ids_.parts = next_id_;
  next_id_ += static_cast<std::uint32_t>(post_.part_headers.size());
  ids_.xml = next_id_;
  next_id_ += 1 + static_cast<std::uint32_t>(post_.xml_attributes.size());
  if (post_.error && findings_.size() < options_.max_findings) {
    // A body its processor could not read is worth an entry in the event by itself, as in
    // ModSecurity's error log; rules see it through REQBODY_ERROR.
    Finding f;
    f.stage = "waf";
    f.message = post_.error_message;
    f.variable = "REQBODY_ERROR";
    f.phase = 2;
    findings_.push_back(f);
    ex_.findings = std::span<const Finding>(findings_.data(), findings_.size());
  }
}

void Transaction::run_phase(int phase) noexcept {
  if (engine_mode_ == 0 || intervention_.disrupted) return;
  if (allow_all_ || (allow_request_ && phase <= 2)) return;
  phase_memory_ = &phase_scratch();
  allow_phase_ = false;
  skip_to_marker_ = {};
  skip_next_ = 0;
  for (const auto& ptr : rules_.phases[static_cast<std::size_t>(phase - 1)]) {
    const Rule& rule = *ptr;
    if (!skip_to_marker_.empty()) {
      if (rule.is_marker && rule.marker == skip_to_marker_) skip_to_marker_ = {};
      continue;
    }
    if (rule.is_marker) continue;
    if (skip_next_ > 0) {
      --skip_next_;
      continue;
    }
    if (allow_phase_ || allow_all_ || (allow_request_ && phase <= 2)) break;
    if (removed(rule)) continue;
    current_ = &rule;
    matched_vars_.clear();
    matched_var_ = {};
    matched_var_name_ = {};
    evaluate(rule, rule, phase);
    if (intervention_.disrupted) break;
  }
  current_ = nullptr;
  end_phase_memory();
  if (phase <= 2) {
    std::int64_t score = 0;
    if (auto v = tx("blocking_inbound_anomaly_score")) {
      parse_int(*v, score);
    } else if (auto v3 = tx("anomaly_score")) {
      parse_int(*v3, score);
    } else if (auto v4 = tx("inbound_anomaly_score")) {
      parse_int(*v4, score);
    }
    ex_.anomaly_score = static_cast<int>(score);
  }
}

bool Transaction::removed(const Rule& rule) const noexcept {
  for (const auto& [from, to] : removed_ids_) {
    if (rule.id >= from && rule.id <= to) return true;
  }
  for (std::string_view tag : removed_tags_) {
    if (rule.has_tag(tag)) return true;
  }
  return false;
}

bool Transaction::target_removed(const Rule& head, Var var, std::string_view key) const noexcept {
  for (const TargetRemoval& r : removed_targets_) {
    if (r.var != var) continue;
    if (!r.key.empty() && !iequals(r.key, key)) continue;
    if (r.id != 0 ? head.id >= r.id && head.id <= r.id_to : head.has_tag(r.tag)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- evaluation

bool Transaction::evaluate(const Rule& rule, const Rule& head, int phase) noexcept {
  if (rule.target_group >= 0 && !group_may_match(rule)) {
    matched_vars_.clear();
    return false;
  }
  bool any = false;
  capturing_ = rule.capture;
  auto excluded = [&](Var var, std::string_view key) {
    for (const Target& e : rule.exclusions) {
      if (e.var == var && key_matches(e, key)) return true;
    }
    return target_removed(head, var, key);
  };
  if (rule.targets.empty()) {  // SecAction
    if (rule.op->match(std::string_view(), *this) != rule.negated) {
      any = true;
      for (const SetVar& sv : rule.setvars) apply_setvar(sv);
    }
  }
  for (const Target& target : rule.targets) {
    for_each_value(target, [&](Var var, std::string_view key, std::string_view value) {
      const std::uint32_t id = member_id_;
      if (!target.count && excluded(var, key)) return;
      auto on_result = [&](std::string_view v, bool op_matched) {
        if (op_matched == rule.negated) return;
        // A match: remember it (the transformed value, as ModSecurity does) and run setvar.
        std::string_view name;
        {
          std::string_view coll = variable_name(var);
          std::size_t size = coll.size() + (key.empty() ? 0 : key.size() + 1);
          char* p = static_cast<char*>(arena_->allocate(size, 1));
          std::copy(coll.begin(), coll.end(), p);
          if (!key.empty()) {
            p[coll.size()] = ':';
            std::copy(key.begin(), key.end(), p + coll.size() + 1);
          }
          name = {p, size};
        }
        matched_var_ = copy(v);
        matched_var_name_ = name;
        matched_vars_.push_back({name, matched_var_});
        for (const SetVar& sv : rule.setvars) apply_setvar(sv);
        any = true;
      };
      auto test = [&](std::string_view v) { on_result(v, rule.op->match(v, *this)); };
      if (rule.multi_match && rule.prefilter_slot >= 0 && cacheable(var) &&
          value.data() != nullptr) {
        // The value, then after each transformation that changed it, each checked against the
        // prefilter first.
        const auto slot = static_cast<std::size_t>(rule.prefilter_slot);
        auto check = [&](std::string_view text) {
          if (!Prefilter::has(candidates(text), slot)) {
            on_result(text, false);
          } else {
            test(text);
          }
        };
        check(value);
        apply_transforms(rule, value, id, check);
        return;
      }
      if (!rule.multi_match && cacheable(var) && value.data() != nullptr) {
        value_id_ = id;
        CacheEntry* e = transformed(rule, value);
        value_id_ = kNoId;
        // The regex cannot match: the operator is false without running it.
        if (rule.prefilter_slot >= 0 &&
            !may_match(*e, static_cast<std::size_t>(rule.prefilter_slot))) {
          on_result(e->result, false);
          return;
        }
        test(e->result);
        return;
      }
      if (rule.multi_match) test(value);
      std::string_view result = apply_transforms(rule, value, kNoId, [&](std::string_view text) {
        if (rule.multi_match) test(text);
      });
      if (!rule.multi_match) test(result);
    });
  }
  if (!any) {
    matched_vars_.clear();
    return false;
  }
  if (rule.chained && !evaluate(*rule.chained, head, phase)) return false;
  after_full_match(rule, head);
  if (&rule != &head) return true;

  // The head of a fully matched chain: log, then its disruptive action.
  bool log = rule.log_set ? rule.log : rules_.default_log[static_cast<std::size_t>(phase - 1)];
  if (log) add_finding(head);
  if (head.severity >= 0 && head.severity < highest_severity_) highest_severity_ = head.severity;
  Disruptive d = head.disruptive;
  if (d == Disruptive::kAllow) {
    if (engine_mode_ != 2) return true;
    if (head.allow_scope == AllowScope::kPhase) {
      allow_phase_ = true;
    } else if (head.allow_scope == AllowScope::kRequest) {
      allow_request_ = true;
    } else {
      allow_all_ = true;
    }
    return true;
  }
  if (d == Disruptive::kDeny || d == Disruptive::kDrop || d == Disruptive::kRedirect) {
    Intervention& iv = intervention_;
    int status =
        head.status ? head.status : rules_.default_status[static_cast<std::size_t>(phase - 1)];
    if (status == 0) status = 403;
    if (engine_mode_ == 2) {
      iv.disrupted = true;
    } else if (iv.would_disrupt) {
      return true;
    } else {
      iv.would_disrupt = true;
    }
    iv.status = status;
    iv.drop = d == Disruptive::kDrop;
    iv.rule = &head;
    iv.message = expand(head.msg);
  }
  return true;
}

Transaction::ValueSlot& Transaction::grow_slots(std::uint32_t id) noexcept {
  std::size_t size = std::max<std::size_t>(next_id_ + 64, id + 1);
  auto* grown = static_cast<ValueSlot*>(
      phase_memory_->allocate(sizeof(ValueSlot) * size, alignof(ValueSlot)));
  for (std::size_t i = 0; i < size; ++i) {
    new (&grown[i]) ValueSlot(i < values_size_ ? values_[i] : ValueSlot());
  }
  values_ = grown;
  values_size_ = size;
  return values_[id];
}

void Transaction::end_phase_memory() noexcept {
  cache_ = nullptr;
  cache_capacity_ = 0;
  cache_used_ = 0;
  values_ = nullptr;
  values_size_ = 0;
  std::fill(target_unions_.begin(), target_unions_.end(), nullptr);
  std::fill(member_unions_.begin(), member_unions_.end(), nullptr);
  phase_memory_ = nullptr;
  phase_scratch().release();
}

std::string_view Transaction::phase_copy(std::string_view s) noexcept {
  if (s.empty()) return {};
  if (phase_memory_ == nullptr) return copy(s);  // outside a phase (a macro expanded afterwards)
  char* p = static_cast<char*>(phase_memory_->allocate(s.size(), 1));
  std::copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

Transaction::CacheEntry* Transaction::cache_find(std::string_view value,
                                                 std::uint32_t chain) noexcept {
  if (value_id_ != kNoId && chain < rules_.chain_count) {
    CacheEntry** row = slot(value_id_).row;
    CacheEntry* e = row != nullptr ? row[chain] : nullptr;
    if (e != nullptr && e->data == value.data() && e->size == value.size()) return e;
    return nullptr;
  }
  if (cache_capacity_ == 0) return nullptr;
  std::size_t mask = cache_capacity_ - 1;
  for (std::size_t i = hash_key(value.data(), value.size(), chain) & mask;; i = (i + 1) & mask) {
    CacheEntry& e = cache_[i];
    if (e.data == nullptr && e.size == 0 && e.chain == 0) return nullptr;
    if (e.data == value.data() && e.size == value.size() && e.chain == chain) return &e;
  }
}

Transaction::CacheEntry* Transaction::cache_insert(std::string_view value, std::uint32_t chain,
                                                   std::string_view result) noexcept {
  if (value_id_ != kNoId && chain < rules_.chain_count) {
    ValueSlot& v = slot(value_id_);
    if (v.row == nullptr) {
      v.row = static_cast<CacheEntry**>(
          phase_memory_->allocate(sizeof(CacheEntry*) * rules_.chain_count, alignof(CacheEntry*)));
      std::fill(v.row, v.row + rules_.chain_count, nullptr);
    }
    auto* e =
        static_cast<CacheEntry*>(phase_memory_->allocate(sizeof(CacheEntry), alignof(CacheEntry)));
    new (e) CacheEntry{value.data(), value.size(), chain, result, nullptr};
    v.row[chain] = e;
    return e;
  }
  if ((cache_used_ + 1) * 2 > cache_capacity_) {
    std::size_t capacity = cache_capacity_ ? cache_capacity_ * 2 : 256;
    auto* table = static_cast<CacheEntry*>(
        phase_memory_->allocate(sizeof(CacheEntry) * capacity, alignof(CacheEntry)));
    for (std::size_t i = 0; i < capacity; ++i) new (&table[i]) CacheEntry();
    CacheEntry* old = cache_;
    std::size_t old_capacity = cache_capacity_;
    cache_ = table;
    cache_capacity_ = capacity;
    for (std::size_t i = 0; i < old_capacity; ++i) {
      const CacheEntry& e = old[i];
      if (e.data == nullptr && e.size == 0 && e.chain == 0) continue;
      std::size_t mask = capacity - 1;
      std::size_t j = hash_key(e.data, e.size, e.chain) & mask;
      while (!(cache_[j].data == nullptr && cache_[j].size == 0 && cache_[j].chain == 0))
        j = (j + 1) & mask;
      cache_[j] = e;
    }
  }
  std::size_t mask = cache_capacity_ - 1;
  std::size_t j = hash_key(value.data(), value.size(), chain) & mask;
  while (!(cache_[j].data == nullptr && cache_[j].size == 0 && cache_[j].chain == 0))
    j = (j + 1) & mask;
  cache_[j] = CacheEntry{value.data(), value.size(), chain, result, nullptr};
  ++cache_used_;
  return &cache_[j];
}

bool Transaction::may_match(CacheEntry& e, std::size_t slot) noexcept {
  if (e.candidates == nullptr) e.candidates = candidates(e.result);
  return Prefilter::has(e.candidates, slot);
}

const std::uint64_t* Transaction::candidates(std::string_view text) noexcept {
  // Cached in the transform cache under a chain number no chain has; texts are told apart by
  // address, the empty ones all share one.
  constexpr std::uint32_t kCandidatesKey = 0xffffffffu;
  static constexpr char kEmpty[1] = {0};
  if (text.empty()) text = std::string_view(kEmpty, 0);
  if (CacheEntry* e = cache_find(text, kCandidatesKey)) return e->candidates;
  const Prefilter& pf = *rules_.prefilter;
  auto* out = static_cast<std::uint64_t*>(
      phase_memory_->allocate(pf.words() * sizeof(std::uint64_t), alignof(std::uint64_t)));
  pf.candidates(text, out);
  cache_insert(text, kCandidatesKey, text)->candidates = out;
  return out;
}

// What target_union() answers for a target with values that are not fixed: every regex may
// match. Compared by address.
constexpr std::uint64_t kNotFixed[1] = {~std::uint64_t{0}};

const std::uint64_t* Transaction::target_union(const Rule& rule, std::size_t i) noexcept {
  const std::uint64_t*& memo = member_unions_[rule.target_unions[i]];
  if (memo != nullptr) return memo;
  const std::size_t words = rules_.prefilter->words();
  auto* u = static_cast<std::uint64_t*>(
      phase_memory_->allocate(words * sizeof(std::uint64_t), alignof(std::uint64_t)));
  std::fill(u, u + words, 0);
  bool fixed = true;
  const std::uint64_t* last = nullptr;
  for_each_value(rule.targets[i], [&](Var, std::string_view, std::string_view value) {
    if (!fixed) return;
    if (member_id_ == kNoId) {
      fixed = false;
      return;
    }
    const std::uint64_t* c;
    if (value.empty()) {
      // Transformations of an empty value (t:length makes it "0").
      c = candidates(apply_transforms(rule, std::string_view(), kNoId, [](std::string_view) {}));
    } else {
      value_id_ = member_id_;
      CacheEntry* e = transformed(rule, value);
      value_id_ = kNoId;
      if (e->candidates == nullptr) e->candidates = candidates(e->result);
      c = e->candidates;
    }
    if (c == last) return;
    last = c;
    for (std::size_t w = 0; w < words; ++w) u[w] |= c[w];
  });
  memo = fixed ? u : kNotFixed;
  return memo;
}

bool Transaction::group_may_match(const Rule& rule) noexcept {
  const std::uint64_t*& bits = target_unions_[static_cast<std::size_t>(rule.target_group)];
  const auto slot = static_cast<std::size_t>(rule.prefilter_slot);
  if (bits == nullptr && rule.targets.size() == 1) {
    // One target: its own union is the group's (unless it is not fixed, which has one word).
    const std::uint64_t* t = target_union(rule, 0);
    if (t != kNotFixed) bits = t;
  }
  if (bits == nullptr) {
    const std::size_t words = rules_.prefilter->words();
    auto* u = static_cast<std::uint64_t*>(
        phase_memory_->allocate(words * sizeof(std::uint64_t), alignof(std::uint64_t)));
    std::fill(u, u + words, 0);
    for (std::size_t i = 0; i < rule.targets.size(); ++i) {
      const std::uint64_t* t = target_union(rule, i);
      if (t == kNotFixed) {
        std::fill(u, u + words, ~std::uint64_t{0});
        break;
      }
      for (std::size_t w = 0; w < words; ++w) u[w] |= t[w];
    }
    bits = u;
  }
  return Prefilter::has(bits, slot);
}

Transaction::CacheEntry* Transaction::transformed(const Rule& rule,
                                                  std::string_view value) noexcept {
  const std::size_t n = rule.chain_ids.size();
  std::uint32_t full = n == 0 ? 0 : rule.chain_ids[n - 1];
  // A numbered value that no transformation of the chain can change shares the entry of the
  // value as it is (chain 0), whatever the chain.
  if (full != 0 && value_id_ != kNoId && !rule.chain_always &&
      !bytes_of(value_id_, value).intersects(rule.chain_triggers)) {
    full = 0;
  }
  if (CacheEntry* e = cache_find(value, full)) return e;
  if (full == 0) return cache_insert(value, 0, value);
  std::string_view result = apply_transforms(rule, value, value_id_, [](std::string_view) {});
  return cache_insert(value, full, result);
}

template <typename F>
std::string_view Transaction::apply_transforms(const Rule& rule, std::string_view value,
                                               std::uint32_t id, F&& changed) noexcept {
  if (rule.transforms.empty()) return value;
  ByteSet present = bytes_of(id, value);
  std::string_view current = value;
  for (const TransformationInfo* t : rule.transforms) {
    if (!t->may_change(present)) continue;
    std::pmr::string& out = scratch_[0];
    if (t->fn(current, out)) {
      current = phase_copy(out);
      present = ByteSet::of(current);
      changed(current);
    }
  }
  return current;
}

ByteSet Transaction::bytes_of(std::uint32_t id, std::string_view value) noexcept {
  if (id == kNoId) return ByteSet::of(value);
  ValueSlot& v = slot(id);
  if (v.data != value.data() || v.size != value.size() || !v.known) {
    v.data = value.data();
    v.size = value.size();
    v.known = true;
    v.bytes = ByteSet::of(value);
  }
  return v.bytes;
}

void Transaction::after_full_match(const Rule& link, const Rule& head) noexcept {
  (void)head;
  for (const Ctl& ctl : link.ctls) apply_ctl(ctl);
  if (link.skip > 0) skip_next_ = link.skip;
  if (!link.skip_after.empty()) skip_to_marker_ = link.skip_after;
}

void Transaction::add_finding(const Rule& head) noexcept {
  if (findings_.size() >= options_.max_findings) return;
  Finding f;
  f.stage = "waf";
  f.rule = head.id_text;
  f.message = expand(head.msg);
  std::string_view data = expand(head.logdata);
  if (options_.mask && !matched_var_.empty() &&
      RE2::PartialMatch(matched_var_name_, *options_.mask)) {
    std::pmr::string masked(arena_);
    std::size_t pos = 0;
    while (true) {
      std::size_t hit = data.find(matched_var_, pos);
      masked.append(data.substr(pos, hit == std::string_view::npos ? data.npos : hit - pos));
      if (hit == std::string_view::npos) break;
      masked.append("[masked]");
      pos = hit + matched_var_.size();
    }
    data = copy(masked);
  }
  if (data.size() > options_.max_data_bytes) data = data.substr(0, options_.max_data_bytes);
  f.data = data;
  f.variable = matched_var_name_;
  f.severity = static_cast<std::int8_t>(head.severity);
  f.phase = static_cast<std::uint8_t>(head.phase);
  findings_.push_back(f);
  ex_.findings = std::span<const Finding>(findings_.data(), findings_.size());
}

// ---------------------------------------------------------------- actions

void Transaction::index_entry(std::size_t i) noexcept {
  if ((entries_.size() + 1) * 2 > entry_index_.size()) {
    reindex_entries();  // grows the table and indexes every entry, `i` too
    return;
  }
  const std::size_t mask = entry_index_.size() - 1;
  std::size_t j = member_key_hash(entries_[i].collection, entries_[i].key) & mask;
  while (entry_index_[j] != 0) j = (j + 1) & mask;
  entry_index_[j] = static_cast<std::int32_t>(i + 1);
}

void Transaction::reindex_entries() noexcept {
  std::size_t size = std::max<std::size_t>(entry_index_.size(), 64);
  while (size < (entries_.size() + 1) * 4) size *= 2;
  entry_index_.assign(size, 0);
  const std::size_t mask = size - 1;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    std::size_t j = member_key_hash(entries_[i].collection, entries_[i].key) & mask;
    while (entry_index_[j] != 0) j = (j + 1) & mask;
    entry_index_[j] = static_cast<std::int32_t>(i + 1);
  }
}

const Transaction::Entry* Transaction::find_entry(Var collection, std::string_view key,
                                                  std::uint64_t hash) const noexcept {
  if (entry_index_.empty()) return nullptr;
  const std::size_t mask = entry_index_.size() - 1;
  for (std::size_t j = static_cast<std::size_t>(hash) & mask; entry_index_[j] != 0;
       j = (j + 1) & mask) {
    const Entry& e = entries_[static_cast<std::size_t>(entry_index_[j] - 1)];
    if (e.collection == collection && same_key(e.key, key)) return &e;
  }
  return nullptr;
}

std::optional<std::string_view> Transaction::tx(std::string_view key) const noexcept {
  if (const Entry* e = find_entry(Var::kTx, key, member_key_hash(Var::kTx, key))) {
    return std::string_view(e->value);
  }
  return std::nullopt;
}

void Transaction::apply_setvar(const SetVar& sv) noexcept {
  std::string_view key = lowered(expand(sv.key));
  Entry* e = find_entry(sv.collection, key,
                        sv.key.has_refs() ? member_key_hash(sv.collection, key) : sv.key_hash);
  if (sv.op == SetVar::Op::kDelete) {
    if (e != nullptr) {
      std::size_t i = static_cast<std::size_t>(e - entries_.data());
      entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
      reindex_entries();
    }
    return;
  }
  std::string_view value = expand(sv.value);
  if (e == nullptr) {
    entries_.push_back(
        Entry{sv.collection, std::pmr::string(key, arena_), std::pmr::string(arena_)});
    index_entry(entries_.size() - 1);
    e = &entries_.back();
  }
  if (sv.op == SetVar::Op::kSet) {
    e->value.assign(value);
    return;
  }
  std::int64_t current = 0;
  std::int64_t delta = 0;
  parse_int(e->value, current);
  parse_int(value, delta);
  std::int64_t result = sv.op == SetVar::Op::kAdd ? current + delta : current - delta;
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, result);
  (void)ec;
  e->value.assign(buf, p);
}

void Transaction::apply_ctl(const Ctl& ctl) noexcept {
  // Target removals, the body processor and the body variable change what rules see.
  std::fill(target_unions_.begin(), target_unions_.end(), nullptr);
  std::fill(member_unions_.begin(), member_unions_.end(), nullptr);
  switch (ctl.kind) {
    case Ctl::Kind::kRuleEngine:
      engine_mode_ = ctl.engine_mode;
      break;
    case Ctl::Kind::kRuleRemoveById:
      removed_ids_.emplace_back(ctl.id_from, ctl.id_to);
      break;
    case Ctl::Kind::kRuleRemoveByTag:
      removed_tags_.push_back(ctl.text);
      break;
    case Ctl::Kind::kRuleRemoveTargetById:
      removed_targets_.push_back({ctl.id_from, ctl.id_to, {}, ctl.target_var, ctl.target_key});
      break;
    case Ctl::Kind::kRuleRemoveTargetByTag:
      removed_targets_.push_back({0, 0, ctl.text, ctl.target_var, ctl.target_key});
      break;
    case Ctl::Kind::kRequestBodyProcessor:
      body_processor_ = ctl.text;
      break;
    case Ctl::Kind::kRequestBodyAccess:
      body_access_ = ctl.flag;
      break;
    case Ctl::Kind::kForceRequestBodyVariable:
      force_body_variable_ = ctl.flag;
      break;
    case Ctl::Kind::kIgnored:
      break;
  }
}

void Transaction::set_capture(int index, std::string_view value) noexcept {
  if (index < 0 || index > 9) return;
  char key[2] = {static_cast<char>('0' + index), 0};
  std::string_view k(key, 1);
  Entry* e = find_entry(Var::kTx, k);
  if (e == nullptr) {
    entries_.push_back(Entry{Var::kTx, std::pmr::string(k, arena_), std::pmr::string(arena_)});
    index_entry(entries_.size() - 1);
    e = &entries_.back();
  }
  e->value.assign(value);
}

// ---------------------------------------------------------------- variables

std::string_view Transaction::lowered(std::string_view key) noexcept {
  if (std::none_of(key.begin(), key.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return key;
  }
  char* lower = static_cast<char*>(arena_->allocate(key.size(), 1));
  std::transform(key.begin(), key.end(), lower, lower_ascii);
  return {lower, key.size()};
}

std::string_view Transaction::copy(std::string_view s) noexcept {
  if (s.empty()) return {};
  char* p = static_cast<char*>(arena_->allocate(s.size(), 1));
  std::copy(s.begin(), s.end(), p);
  return {p, s.size()};
}

std::string_view Transaction::number(std::uint64_t n) noexcept {
  char buf[24];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  return copy(std::string_view(buf, static_cast<std::size_t>(p - buf)));
}

template <typename F>
void Transaction::for_each_member(Var var, F&& f) noexcept {
  member_id_ = kNoId;  // TX, MATCHED_VARS, RULE ... are not numbered
  // Name/value pairs numbered from `base` (values first, then names), one call per member.
  auto pairs = [&](const auto& members, std::uint32_t base, bool names) {
    const auto n = static_cast<std::uint32_t>(members.size());
    for (std::uint32_t i = 0; i < n; ++i) {
      member_id_ = base == kNoId ? kNoId : base + (names ? n : 0) + i;
      f(members[i].name, names ? members[i].name : members[i].value);
    }
  };
  switch (var) {
    case Var::kRequestHeaders:
    case Var::kRequestHeadersNames:
      pairs(headers_, ids_.headers, var == Var::kRequestHeadersNames);
      return;
    case Var::kRequestCookies:
    case Var::kRequestCookiesNames:
      pairs(cookies_, ids_.cookies, var == Var::kRequestCookiesNames);
      return;
    case Var::kArgs:
    case Var::kArgsNames:
    case Var::kArgsGet:
    case Var::kArgsGetNames:
    case Var::kArgsPost:
    case Var::kArgsPostNames: {
      const bool names =
          var == Var::kArgsNames || var == Var::kArgsGetNames || var == Var::kArgsPostNames;
      if (var != Var::kArgsPost && var != Var::kArgsPostNames) pairs(get_.args, ids_.get, names);
      if (var != Var::kArgsGet && var != Var::kArgsGetNames) pairs(post_.args, ids_.post, names);
      return;
    }
    case Var::kFiles:
    case Var::kFilesNames:
    case Var::kFilesSizes: {
      const auto n = static_cast<std::uint32_t>(post_.files.size());
      const std::uint32_t which = var == Var::kFiles ? 0 : var == Var::kFilesNames ? 1 : 2;
      for (std::uint32_t i = 0; i < n; ++i) {
        const auto& file = post_.files[i];
        member_id_ = ids_.files == kNoId ? kNoId : ids_.files + which * n + i;
        f(file.name, which == 0 ? file.filename : which == 1 ? file.name : number(file.size));
      }
      return;
    }
    case Var::kMultipartPartHeaders:
      pairs(post_.part_headers, ids_.parts, false);
      return;
    case Var::kXml:
      if (body_processor_ != "XML" || post_.error || !body_parsed_ || ex_.body.empty()) return;
      member_id_ = ids_.xml;
      f(std::string_view(), post_.xml_text);
      return;
    case Var::kResponseHeaders:
    case Var::kResponseHeadersNames:
      pairs(ex_.response_headers, ids_.response, var == Var::kResponseHeadersNames);
      return;
    case Var::kMatchedVars:
      for (std::size_t i = 0, n = matched_vars_.size(); i < n && i < matched_vars_.size(); ++i) {
        f(matched_vars_[i].name, matched_vars_[i].value);
      }
      return;
    case Var::kMatchedVarsNames:
      for (std::size_t i = 0, n = matched_vars_.size(); i < n && i < matched_vars_.size(); ++i) {
        f(matched_vars_[i].name, matched_vars_[i].name);
      }
      return;
    case Var::kRule:
      if (current_ != nullptr) {
        f("id", std::string_view(current_->id_text));
        f("msg", expand(current_->msg));
        f("logdata", expand(current_->logdata));
        f("phase", number(static_cast<std::uint64_t>(current_->phase)));
        if (current_->severity >= 0)
          f("severity", number(static_cast<std::uint64_t>(current_->severity)));
      }
      return;
    case Var::kTx:
    case Var::kIp:
    case Var::kGlobal:
    case Var::kSession:
    case Var::kUser:
    case Var::kResource:
      // By index, and only the members there were when the rule started: a setvar run by an
      // earlier member's match may append to entries_ (and must not be matched in turn).
      for (std::size_t i = 0, n = entries_.size(); i < n && i < entries_.size(); ++i) {
        // Copies: the rule's own capture or setvar may rewrite the entry while it is tested.
        if (entries_[i].collection == var) {
          f(phase_copy(entries_[i].key), phase_copy(entries_[i].value));
        }
      }
      return;
    default:
      return;  // ENV, GEO, response collections before phase 3: empty
  }
}

template <typename F>
void Transaction::for_each_value(const Target& target, F&& f) noexcept {
  const bool collection = is_collection(target.var);
  if (target.var == Var::kXml && target.xml_attributes) {
    if (body_processor_ != "XML" || post_.error || !body_parsed_) return;
    if (target.count) {
      member_id_ = kNoId;
      f(target.var, std::string_view(), number(post_.xml_attributes.size()));
      return;
    }
    for (std::uint32_t i = 0; i < post_.xml_attributes.size(); ++i) {
      member_id_ = ids_.xml == kNoId ? kNoId : ids_.xml + 1 + i;
      f(target.var, std::string_view(), post_.xml_attributes[i]);
    }
    return;
  }
  if (!collection) {
    if (target.count) {
      member_id_ = kNoId;
      f(target.var, std::string_view(), std::string_view("1"));
      return;
    }
    std::string_view v = single(target.var);
    // Only values computed once for the request keep a number (REQBODY_ERROR and the like
    // change as the request goes on).
    member_id_ = has_cached_[idx(target.var)]
                     ? ids_.singles + static_cast<std::uint32_t>(target.var)
                     : kNoId;
    f(target.var, std::string_view(), v);
    return;
  }
  if (!cacheable(target.var) && target.var != Var::kRule && target.var != Var::kMatchedVars &&
      target.var != Var::kMatchedVarsNames) {
    // TX and the other writable collections: look at keys first, copy only what is tested.
    if (!target.key_re && !target.key.empty()) {
      // One key names at most one member.
      Entry* e = find_entry(target.var, target.key, target.key_hash);
      member_id_ = kNoId;
      if (target.count) {
        f(target.var, std::string_view(), e != nullptr ? std::string_view("1") : "0");
      } else if (e != nullptr) {
        f(target.var, phase_copy(e->key), phase_copy(e->value));
      }
      return;
    }
    std::uint64_t n = 0;
    for (std::size_t i = 0, size = entries_.size(); i < size && i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (e.collection != target.var) continue;
      if (target.key_re && !key_regex_matches(target, e.key)) continue;
      if (target.count) {
        ++n;
        continue;
      }
      // Copies: the rule's own capture or setvar may rewrite the entry while it is tested.
      member_id_ = kNoId;
      f(target.var, phase_copy(e.key), phase_copy(e.value));
    }
    member_id_ = kNoId;
    if (target.count) f(target.var, std::string_view(), number(n));
    return;
  }
  if (target.count) {
    std::uint64_t n = 0;
    for_each_member(target.var, [&](std::string_view key, std::string_view) {
      if (target.var == Var::kXml || key_matches(target, key)) ++n;
    });
    member_id_ = kNoId;
    f(target.var, std::string_view(), number(n));
    return;
  }
  for_each_member(target.var, [&](std::string_view key, std::string_view value) {
    if (target.var == Var::kXml || key_matches(target, key)) f(target.var, key, value);
  });
}

std::string_view Transaction::single(Var var) noexcept {
  const std::size_t i = idx(var);
  switch (var) {
    case Var::kMatchedVar:
      return matched_var_;
    case Var::kMatchedVarName:
      return matched_var_name_;
    case Var::kReqbodyProcessor:
      return body_processor_;
    case Var::kReqbodyError:
    case Var::kReqbodyProcessorError:
      return post_.error ? "1" : "0";
    case Var::kReqbodyErrorMsg:
    case Var::kReqbodyProcessorErrorMsg:
      return post_.error_message;
    case Var::kHighestSeverity:
      return highest_severity_ == 255 ? std::string_view("255")
                                      : number(static_cast<std::uint64_t>(highest_severity_));
    case Var::kArgsCombinedSize: {
      std::uint64_t n = 0;
      for (const auto& a : get_.args) n += a.name.size() + a.value.size();
      for (const auto& a : post_.args) n += a.name.size() + a.value.size();
      return number(n);
    }
    case Var::kDuration:
      return "0";
    case Var::kResponseStatus:
      return ex_.response_status ? number(ex_.response_status) : std::string_view();
    case Var::kResponseProtocol:
      return ex_.response_status ? kProtocols[static_cast<std::size_t>(ex_.response_protocol)]
                                 : std::string_view();
    case Var::kResponseContentType:
      for (const HeaderField& h : ex_.response_headers) {
        if (iequals(h.name, "content-type")) return h.value;
      }
      return {};
    case Var::kResponseContentLength:
      for (const HeaderField& h : ex_.response_headers) {
        if (iequals(h.name, "content-length")) return h.value;
      }
      return {};
    case Var::kResponseBody:
      return std::string_view(ex_.response_body.data(), ex_.response_body.size());
    case Var::kOutboundDataError:
      return !ex_.response_body.empty() && !ex_.response_body_complete ? "1" : "0";
    case Var::kStatusLine:
      return {};
    default:
      break;
  }
  if (has_cached_[i]) return cached_[i];
  std::string_view v;
  const auto& mp = post_.multipart;
  auto flag = [](bool b) { return b ? std::string_view("1") : std::string_view("0"); };
  switch (var) {
    case Var::kRequestMethod:
      v = ex_.method;
      break;
    case Var::kRequestProtocol:
      v = kProtocols[static_cast<std::size_t>(ex_.protocol)];
      break;
    case Var::kRequestLine: {
      std::string_view proto = kProtocols[static_cast<std::size_t>(ex_.protocol)];
      std::pmr::string s(arena_);
      s.append(ex_.method).append(" ").append(ex_.target).append(" ").append(proto);
      v = copy(s);
      break;
    }
    case Var::kRequestUri: {
      std::string_view t = ex_.target.substr(0, ex_.target.find('#'));
      v = uri_decode(t, arena_);
      if (!v.empty() && v.front() != '/') {
        std::size_t scheme = v.find("://");
        if (scheme != std::string_view::npos) {
          std::size_t path = v.find('/', scheme + 3);
          if (path != std::string_view::npos) v = v.substr(path);
        }
      }
      break;
    }
    case Var::kRequestUriRaw:
      v = ex_.target;
      break;
    case Var::kRequestFilename:
      v = uri_decode(ex_.path, arena_);
      break;
    case Var::kRequestBasename: {
      std::string_view path = single(Var::kRequestFilename);
      std::size_t slash = path.find_last_of("/\\");
      if (slash != std::string_view::npos && slash + 1 < path.size()) v = path.substr(slash + 1);
      break;
    }
    case Var::kQueryString:
      v = ex_.query;
      break;
    case Var::kRemoteAddr:
      v = ex_.client_ip;
      break;
    case Var::kRemotePort:
      v = number(ex_.client_port);
      break;
    case Var::kServerName:
      v = ex_.host;
      break;
    case Var::kUniqueId:
      v = ex_.request_id;
      break;
    case Var::kRequestBody:
      // URLENCODED and JSON bodies, or a forced variable (ctl:forceRequestBodyVariable, which
      // the CRS sets when no processor applies). Not XML and MULTIPART bodies, whose parts the
      // rules see through XML:/* and the multipart variables: as ModSecurity 2, the CRS's
      // reference (its tests expect no REQUEST_BODY match on XML; libmodsecurity 3 differs).
      if (body_processor_ == "URLENCODED" || body_processor_ == "JSON" || force_body_variable_) {
        v = std::string_view(ex_.body.data(), ex_.body.size());
      }
      return v;  // not cached: the ctl may come later
    case Var::kRequestBodyLength:
      v = number(ex_.body.size());
      break;
    case Var::kInboundDataError:
      v = flag(ex_.has_body && !ex_.body.empty() && !ex_.body_complete);
      break;
    case Var::kFullRequest: {
      std::pmr::string s(arena_);
      for (const HeaderField& h : headers_)
        s.append(h.name).append(": ").append(h.value).append("\n");
      s.append("\n\n").append(ex_.body.data(), ex_.body.size());
      v = copy(s);
      break;
    }
    case Var::kFullRequestLength:
      v = number(single(Var::kFullRequest).size());
      break;
    case Var::kFilesCombinedSize: {
      std::uint64_t n = 0;
      for (const auto& file : post_.files) n += file.size;
      v = number(n);
      break;
    }
    case Var::kMultipartStrictError:
      v = flag(mp.strict_error);
      break;
    case Var::kMultipartUnmatchedBoundary:
      v = flag(mp.unmatched_boundary);
      break;
    case Var::kMultipartBoundaryQuoted:
      v = flag(mp.boundary_quoted);
      break;
    case Var::kMultipartBoundaryWhitespace:
      v = flag(mp.boundary_whitespace);
      break;
    case Var::kMultipartDataBefore:
      v = flag(mp.data_before);
      break;
    case Var::kMultipartDataAfter:
      v = flag(mp.data_after);
      break;
    case Var::kMultipartHeaderFolding:
      v = flag(mp.header_folding);
      break;
    case Var::kMultipartLfLine:
      v = flag(mp.lf_line);
      break;
    case Var::kMultipartCrlfLfLines:
      v = flag(mp.crlf_lf_lines);
      break;
    case Var::kMultipartMissingSemicolon:
      v = flag(mp.missing_semicolon);
      break;
    case Var::kMultipartInvalidQuoting:
      v = flag(mp.invalid_quoting);
      break;
    case Var::kMultipartInvalidPart:
      v = flag(mp.invalid_part);
      break;
    case Var::kMultipartInvalidHeaderFolding:
      v = flag(mp.invalid_header_folding);
      break;
    case Var::kMultipartFileLimitExceeded:
      v = flag(mp.file_limit_exceeded);
      break;
    case Var::kTime:
    case Var::kTimeEpoch:
    case Var::kTimeYear:
    case Var::kTimeMon:
    case Var::kTimeDay:
    case Var::kTimeHour:
    case Var::kTimeMin:
    case Var::kTimeSec:
    case Var::kTimeWday: {
      std::time_t now = std::time(nullptr);
      std::tm tm{};
      localtime_r(&now, &tm);
      char buf[32];
      int n = 0;
      switch (var) {
        case Var::kTime:
          n = std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
          break;
        case Var::kTimeEpoch:
          n = std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(now));
          break;
        case Var::kTimeYear:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_year + 1900);
          break;
        case Var::kTimeMon:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_mon);
          break;
        case Var::kTimeDay:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_mday);
          break;
        case Var::kTimeHour:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_hour);
          break;
        case Var::kTimeMin:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_min);
          break;
        case Var::kTimeSec:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_sec);
          break;
        default:
          n = std::snprintf(buf, sizeof buf, "%d", tm.tm_wday);
          break;
      }
      v = copy(std::string_view(buf, static_cast<std::size_t>(std::max(n, 0))));
      return v;  // not cached: time moves
    }
    default:
      v = {};
      break;
  }
  cached_[i] = v;
  has_cached_[i] = true;
  return v;
}

std::string_view Transaction::resolve(Var var, std::string_view key, std::uint64_t hash) noexcept {
  if (!is_collection(var)) return single(var);
  if (!cacheable(var) && var != Var::kRule && var != Var::kMatchedVars &&
      var != Var::kMatchedVarsNames) {
    if (!key.empty()) {
      const Entry* e = find_entry(var, key, hash);
      return e != nullptr ? std::string_view(e->value) : std::string_view();
    }
    for (const Entry& e : entries_) {
      if (e.collection == var) return e.value;
    }
    return {};
  }
  std::string_view found;
  bool done = false;
  for_each_member(var, [&](std::string_view k, std::string_view v) {
    if (done) return;
    if (key.empty() || iequals(k, key)) {
      found = v;
      done = true;
    }
  });
  return found;
}

std::string_view Transaction::expand(const Macro& macro) noexcept {
  if (!macro.has_refs()) return macro.text();
  std::pmr::string out(arena_);
  for (const MacroPart& part : macro.parts()) {
    if (part.is_ref) {
      out.append(resolve(part.var, part.key, part.key_hash));
    } else {
      out.append(part.literal);
    }
  }
  return copy(out);
}

std::string_view Transaction::expand(std::string_view text, std::pmr::string& storage) noexcept {
  if (text.find("%{") == std::string_view::npos) return text;
  storage.clear();
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t open = text.find("%{", i);
    std::size_t close = open == std::string_view::npos ? open : text.find('}', open + 2);
    if (close == std::string_view::npos) {
      storage.append(text.substr(i));
      break;
    }
    storage.append(text.substr(i, open - i));
    std::string_view ref = text.substr(open + 2, close - open - 2);
    std::size_t sep = ref.find_first_of(".:");
    std::string_view name = ref.substr(0, sep);
    std::string_view key = sep == std::string_view::npos ? std::string_view() : ref.substr(sep + 1);
    if (const VariableInfo* info = find_variable(name)) {
      // Spelled at run time (an operator's argument): members are found by lower-case key.
      key = lowered(key);
      storage.append(resolve(info->var, key, member_key_hash(info->var, key)));
    }
    i = close + 1;
  }
  return storage;
}

bool Rule::has_tag(std::string_view tag) const noexcept {
  for (const std::string& t : tags) {
    if (t == tag) return true;
  }
  return false;
}

}  // namespace portcullis::waf
