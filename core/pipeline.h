// Pipeline: the ordered stages of one policy, built once per config snapshot.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/exchange.h"
#include "core/stage.h"
#include "core/verdict.h"

namespace portcullis {

enum class Mode : std::uint8_t {
  // Verdicts are enforced: the first stage that does not continue decides the response.
  kBlock,
  // Verdicts are recorded in Exchange::detected and logged; the request is forwarded.
  kDetect,
};

// How much of a body is held for the stages that want it (DESIGN.md "Body"). Bodies are
// buffered only when a stage wants them, and only up to `limit` bytes: memory per request is
// bounded whatever the client sends.
struct BodyInspection {
  std::size_t limit = 128 * 1024;
  // Past the limit: true refuses the request with 413; false inspects the first `limit` bytes
  // (Exchange::body_complete is false) and streams the rest unseen.
  bool reject_over_limit = true;
};

// Immutable after construction; safe for concurrent use by multiple threads.
class Pipeline {
 public:
  Pipeline(std::string name, Mode mode, std::vector<std::unique_ptr<Stage>> stages,
           BodyInspection body = {});

  // Runs every stage's on_headers in order. Returns the verdict to enforce: in block mode the
  // first one that does not continue, in detect mode always pass (the first would-be verdict is
  // kept in exchange.detected).
  Verdict on_headers(Exchange& exchange) const noexcept;

  // As on_headers, for the stages that want the body.
  Verdict on_body(Exchange& exchange) const noexcept;

  // True when any stage wants the body buffered.
  bool wants_body() const noexcept { return wants_body_; }

  // The response hooks of the stages (Stage::on_response_headers ...), with the same verdict
  // rules as on_headers. inspects_responses() is false when no stage has them.
  bool inspects_responses() const noexcept { return inspects_responses_; }
  Verdict on_response_headers(Exchange& exchange) const noexcept;
  std::size_t response_body_limit(const Exchange& exchange) const noexcept;
  Verdict on_response_body(Exchange& exchange) const noexcept;
  // Stage::on_complete of every stage.
  void on_complete(Exchange& exchange) const noexcept;

  const BodyInspection& body_inspection() const noexcept { return body_; }
  const std::string& name() const noexcept { return name_; }
  Mode mode() const noexcept { return mode_; }
  std::size_t size() const noexcept { return stages_.size(); }

 private:
  template <typename Hook>
  Verdict run(Exchange& exchange, Hook hook) const noexcept;

  std::string name_;
  Mode mode_;
  std::vector<std::unique_ptr<Stage>> stages_;
  BodyInspection body_;
  bool wants_body_ = false;
  bool inspects_responses_ = false;
};

}  // namespace portcullis
