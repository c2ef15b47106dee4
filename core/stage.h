// Stage: one inspection step of the request path (bots, ratelimit, schema, waf, access).
#pragma once

#include <cstddef>
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

  // Whether on_response_headers / on_response_body may do anything; a pipeline whose stages
  // all say no relays responses without calling them.
  virtual bool inspects_responses() const noexcept { return false; }

  // Runs once the upstream's response head is here (Exchange::response_*), before any of it
  // reaches the client. A refusal replaces the response with the proxy's own.
  virtual Verdict on_response_headers(Exchange& /*exchange*/) const noexcept {
    return Verdict::pass();
  }

  // How many bytes of this response's body the stage wants held for on_response_body; 0: none.
  // Asked after on_response_headers. Bodies longer than that are inspected by their prefix.
  virtual std::size_t response_body_limit(const Exchange& /*exchange*/) const noexcept { return 0; }

  // Runs once the response body (or its first response_body_limit bytes) is held.
  virtual Verdict on_response_body(Exchange& /*exchange*/) const noexcept {
    return Verdict::pass();
  }

  // Runs once the request is over (answered, refused or abandoned), before its security event
  // and access log line are written: what a stage records about the finished exchange.
  virtual void on_complete(Exchange& /*exchange*/) const noexcept {}
};

}  // namespace portcullis
