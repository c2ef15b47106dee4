#include "core/pipeline.h"

#include <algorithm>
#include <utility>

#include "core/clock.h"

namespace portcullis {

Pipeline::Pipeline(std::string name, Mode mode, std::vector<std::unique_ptr<Stage>> stages,
                   BodyInspection body)
    : name_(std::move(name)), mode_(mode), stages_(std::move(stages)), body_(body) {
  for (const auto& stage : stages_) {
    wants_body_ = wants_body_ || stage->wants_body();
    inspects_responses_ = inspects_responses_ || stage->inspects_responses();
  }
}

template <typename Hook>
Verdict Pipeline::run(Exchange& exchange, Hook hook) const noexcept {
  for (const auto& stage : stages_) {
    TimePoint start = Clock::now();
    Verdict verdict = hook(*stage, exchange);
    exchange.add_stage_time(stage->name(),
                            static_cast<std::uint64_t>((Clock::now() - start).count()));
    if (verdict.is_continue()) continue;
    if (mode_ == Mode::kBlock) return verdict;
    // Detect mode keeps the first finding: it is the one block mode would have enforced.
    if (exchange.detected.is_continue()) exchange.detected = verdict;
  }
  return Verdict::pass();
}

Verdict Pipeline::on_headers(Exchange& exchange) const noexcept {
  return run(exchange, [](const Stage& s, Exchange& e) { return s.on_headers(e); });
}

Verdict Pipeline::on_body(Exchange& exchange) const noexcept {
  return run(exchange, [](const Stage& s, Exchange& e) {
    return s.wants_body() ? s.on_body(e) : Verdict::pass();
  });
}

Verdict Pipeline::on_response_headers(Exchange& exchange) const noexcept {
  return run(exchange, [](const Stage& s, Exchange& e) {
    return s.inspects_responses() ? s.on_response_headers(e) : Verdict::pass();
  });
}

std::size_t Pipeline::response_body_limit(const Exchange& exchange) const noexcept {
  std::size_t limit = 0;
  for (const auto& stage : stages_) {
    if (stage->inspects_responses()) limit = std::max(limit, stage->response_body_limit(exchange));
  }
  return limit;
}

Verdict Pipeline::on_response_body(Exchange& exchange) const noexcept {
  return run(exchange, [](const Stage& s, Exchange& e) {
    return s.inspects_responses() ? s.on_response_body(e) : Verdict::pass();
  });
}

void Pipeline::on_complete(Exchange& exchange) const noexcept {
  for (const auto& stage : stages_) stage->on_complete(exchange);
}

}  // namespace portcullis
