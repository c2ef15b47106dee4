// Exchange: one per request. A read-only view of what was received plus the annotations that
// stages write for later stages. Every string_view points into the connection's buffers or the
// exchange's arena and is valid until the exchange ends; stages must not keep them longer.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <span>
#include <string_view>
#include <vector>

#include "core/verdict.h"

namespace portcullis {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

enum class Protocol : std::uint8_t { kHttp10, kHttp11, kHttp2 };

// ASCII case-insensitive equality, as header names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

class Exchange {
 public:
  Exchange() noexcept : arena_(inline_.data(), inline_.size()) {}
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

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

  // --- Annotations that stages write for later stages and for the event log.
  std::string_view route_id;
  std::string_view policy_id;
  int anomaly_score = 0;
  int bot_score = 0;
  std::string_view bot_class;
  std::string_view limiter_key;
  // A verdict that detect mode let through; the session logs it. Empty action kContinue if none.
  Verdict detected;

  // Time each stage took (both hooks added up), in the order the pipeline ran them.
  static constexpr std::size_t kMaxTimedStages = 8;
  std::array<std::string_view, kMaxTimedStages> stage_names{};
  std::array<std::uint32_t, kMaxTimedStages> stage_ns{};
  std::uint8_t stages_timed = 0;
  void add_stage_time(std::string_view stage, std::uint64_t ns) noexcept;

  // First value of the header `name` (case-insensitive), or empty with *found == false.
  std::string_view header(std::string_view name, bool* found = nullptr) const noexcept;

  // Per-request memory: freed all at once when the exchange ends.
  std::pmr::memory_resource* arena() noexcept { return &arena_; }

 private:
  alignas(std::max_align_t) std::array<std::byte, 2048> inline_;
  std::pmr::monotonic_buffer_resource arena_;
};

}  // namespace portcullis
