// Verdict: what a Stage decides about an exchange. Stages return it from their hooks; the
// Pipeline combines them with the policy's mode (block or detect).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "core/header_field.h"

namespace portcullis {

enum class Action : std::uint8_t {
  // Let the request go on to the next stage and, after the last, upstream.
  kContinue,
  // Refuse the request with `status` (403 for WAF and bot blocks, 405, 413, ...). In detect mode
  // the refusal is logged and the request continues.
  kBlock,
  // Answer with a challenge (bots); `status` is what the page is served with.
  kChallenge,
  // Refuse with 429; `retry_after_s` goes into Retry-After.
  kRateLimit,
};

// A stage's decision. `reason`, `stage` and `rule` must point at storage that lives as long as
// the exchange: string literals, the config snapshot, or the exchange's arena (a WAF rule's
// expanded msg). Whoever keeps one longer (metrics) copies it.
struct Verdict {
  Action action = Action::kContinue;
  std::uint16_t status = 0;
  std::uint32_t retry_after_s = 0;
  std::string_view stage;
  std::string_view reason;
  // The rule that decided, when the stage has rules ("method", "host", a WAF rule id): the
  // `rule` label of portcullis_blocks_total and the rule of the security event.
  std::string_view rule;
  // A response body of the stage's own for a refusal (a schema stage's problem+json), with its
  // content type; empty: the proxy's usual body.
  std::string_view body;
  std::string_view content_type;
  // Header fields the refusal carries besides the proxy's usual ones (the limiter's RateLimit
  // fields); the same lifetime rules as above.
  std::span<const HeaderField> headers;

  static constexpr Verdict pass() noexcept { return {}; }
  static constexpr Verdict block(std::uint16_t status, std::string_view stage,
                                 std::string_view reason, std::string_view rule = {}) noexcept {
    return {Action::kBlock, status, 0, stage, reason, rule, {}, {}, {}};
  }
  bool is_continue() const noexcept { return action == Action::kContinue; }
};

std::string_view to_string(Action action) noexcept;

}  // namespace portcullis
