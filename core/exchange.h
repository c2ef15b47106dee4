// Exchange: one per request. A read-only view of what was received plus the annotations that
// stages write for later stages. Every string_view points into the connection's buffers or the
// exchange's arena and is valid until the exchange ends; stages must not keep them longer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <new>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/block_cache.h"
#include "core/header_field.h"
#include "core/verdict.h"

namespace portcullis {

enum class Protocol : std::uint8_t { kHttp10, kHttp11, kHttp2 };

// One rule that matched a request, for its security event: WAF rules, and any stage's own.
// The views point into the config snapshot or the exchange's arena.
struct Finding {
  std::string_view stage;
  std::string_view rule;      // "942100"
  std::string_view message;   // the rule's msg, macros expanded
  std::string_view data;      // its logdata, expanded, masked and cut to a bounded excerpt
  std::string_view variable;  // the variable that matched, "ARGS:id"
  std::int8_t severity = -1;  // 0 EMERGENCY .. 7 DEBUG; -1 none
  std::uint8_t phase = 0;
};

// ASCII case-insensitive equality, as header names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Exchange {
 public:
  Exchange() noexcept : arena_(inline_.data(), inline_.size(), &BlockCache::local()) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;
  ~Exchange();

  // --- What was received (filled by the session before the first stage runs).
  std::string_view method;
  std::string_view target;               // as received
  std::string_view path;                 // target up to '?', still percent-encoded
  std::string_view query;                // after '?', without it; empty if none
  std::string_view host;                 // Host (or :authority) without the port, as received
  std::span<const HeaderField> headers;  // in wire order
  Protocol protocol = Protocol::kHttp11;
  bool tls = false;
  std::string_view client_ip;  // textual peer address
  // TLS client fingerprints of the connection (JA3 string and MD5, JA4 and its raw form),
  // computed from its ClientHello; empty without TLS or when the ClientHello did not parse.
  std::string_view ja3, ja3_hash, ja4, ja4_r;
  bool tls_grease = false;  // the ClientHello carried GREASE values (RFC 8701), as browsers do
  // The HTTP/2 fingerprint of the connection (bots/h2_fingerprint.h); empty over HTTP/1.x.
  std::string_view h2_fingerprint;
  std::uint16_t client_port = 0;
  std::string_view request_id;

  // Body framing as announced by the client.
  bool has_body = false;
  bool body_chunked = false;
  std::uint64_t content_length = 0;  // valid when has_body && !body_chunked

  // Body bytes received so far: set before on_body runs, and only when a stage asked for the
  // body (Pipeline::wants_body). `body_complete` is false when only the inspected prefix is here.
  std::span<const char> body;
  bool body_complete = false;

  // --- The upstream's response: set before the response hooks run (Stage::on_response_*).
  std::uint16_t response_status = 0;
  Protocol response_protocol = Protocol::kHttp11;
  std::span<const HeaderField> response_headers;
  std::span<const char> response_body;  // the held body, or its first bytes
  bool response_body_complete = false;

  // --- Annotations that stages write for later stages and for the event log.
  std::string_view route_id;
  std::string_view policy_id;
  int anomaly_score = 0;
  int bot_score = 0;                    // 0..100 (bots/classifier.h)
  std::string_view bot_class;           // "human", "verified_bot", "automation", "malicious"
  std::string_view bot_signals;         // the classifier's signals, comma-separated
  std::uint32_t bot_signal_bits = 0;    // the same as bits (bit i: bots::Signal i)
  std::string_view header_fingerprint;  // bots/header_fingerprint.h
  std::string_view limiter_key;
  // A verdict that detect mode let through; the session logs it. Empty action kContinue if none.
  Verdict detected;
  // Rules that matched (logged with the request's security event even when nothing blocked).
  std::span<const Finding> findings;
  // Header fields a stage adds to the request sent upstream (the bots stage's fingerprints).
  // The session drops the client's own fields of these names first; a field with an empty
  // value is only dropped.
  std::span<const HeaderField> upstream_headers;
  // Header fields a stage adds to the upstream's response on its way to the client (the
  // limiter's RateLimit fields). The session drops the upstream's own fields of these names.
  std::span<const HeaderField> response_fields;

  // The status the client was sent (0: none), set before Stage::on_complete runs.
  std::uint16_t sent_status = 0;

  // Time each stage took (both hooks added up), in the order the pipeline ran them.
  static constexpr std::size_t kMaxTimedStages = 8;
  std::array<std::string_view, kMaxTimedStages> stage_names{};
  std::array<std::uint32_t, kMaxTimedStages> stage_ns{};
  std::uint8_t stages_timed = 0;
  void add_stage_time(std::string_view stage, std::uint64_t ns) noexcept;

  // Sets target, and path and query split from it at the first '?'.
  void set_target(std::string_view request_target) noexcept;

  // First value of the header `name` (case-insensitive), or empty with *found == false.
  std::string_view header(std::string_view name, bool* found = nullptr) const noexcept;

  // Per-request memory: freed all at once when the exchange ends.
  std::pmr::memory_resource* arena() noexcept { return &arena_; }
  // Copies into the arena, for views that must outlive the buffers they point into (a
  // response head the stages keep until the exchange ends).
  std::string_view keep(std::string_view text);
  std::span<HeaderField> keep(std::span<const HeaderField> fields);

  // Per-request state a stage keeps between its hooks, found by the stage's address. make_state
  // builds a T in the arena (nullptr when kMaxStates stages already keep state); the exchange
  // destroys it when it ends.
  static constexpr std::size_t kMaxStates = 4;
  template <typename T, typename... Args>
  T* make_state(const void* owner, Args&&... args) {
    if (states_used_ == kMaxStates) return nullptr;
    void* mem = arena_.allocate(sizeof(T), alignof(T));
    T* state = new (mem) T(std::forward<Args>(args)...);
    states_[states_used_++] = {owner, state, [](void* p) { static_cast<T*>(p)->~T(); }};
    return state;
  }
  template <typename T>
  T* state(const void* owner) const noexcept {
    for (std::size_t i = 0; i < states_used_; ++i) {
      if (states_[i].owner == owner) return static_cast<T*>(states_[i].ptr);
    }
    return nullptr;
  }

 private:
  struct StateSlot {
    const void* owner = nullptr;
    void* ptr = nullptr;
    void (*destroy)(void*) = nullptr;
  };
  std::array<StateSlot, kMaxStates> states_{};
  std::size_t states_used_ = 0;
  alignas(std::max_align_t) std::array<std::byte, 2048> inline_;
  std::pmr::monotonic_buffer_resource arena_;
};

}  // namespace portcullis
