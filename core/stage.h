// Stage: one inspection step of the request path (bots, ratelimit, schema, waf, access).
#pragma once

#include <string_view>

#include "core/exchange.h"
#include "core/verdict.h"

namespace portcullis {

// A stage is built once per config snapshot and then shared by every worker: its hooks are
// const and must be safe for concurrent use by multiple threads; per-request state lives in the
// Exchange. Hooks never block and never throw: hostile input becomes a Verdict.
class Stage {
 public:
  virtual ~Stage() = default;

  // Short stable name used in events and metrics ("access", "waf", ...).
  virtual std::string_view name() const noexcept = 0;

  // Runs once the request head is complete, before any body byte is read.
  virtual Verdict on_headers(Exchange& exchange) const noexcept = 0;

  // Runs once the body (or the inspected prefix of it) is buffered, only when wants_body().
  virtual Verdict on_body(Exchange& /*exchange*/) const noexcept { return Verdict::pass(); }

  // Whether this stage needs the body buffered for on_body. A pipeline whose stages all say no
  // streams bodies straight through.
  virtual bool wants_body() const noexcept { return false; }
};

}  // namespace portcullis
