// The bots stage (DESIGN.md "bots"): classifies each request from its fingerprints and headers
// (bots/classifier.h), writes the class and score on the Exchange for later stages and the
// upstream, and applies the policy's action for that class.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "bots/challenge.h"
#include "bots/classifier.h"
#include "bots/reputation.h"
#include "core/stage.h"

namespace portcullis::bots {

enum class BotAction : std::uint8_t {
  // Annotate only: class, score and signals on the exchange (forwarded when configured).
  kAllow,
  // As allow, and the request's security event lists the class and signals.
  kTag,
  // Browsers (a GET or HEAD that accepts text/html) get the challenge page until they hold a
  // valid pass; any other request of the class is refused with 403, so API clients of a route
  // are challenged only when its policy says so.
  kChallenge,
  // Refuse with 403.
  kBlock,
  // As allow here; the policy's ratelimit limits that select this class (`bot_classes`) apply
  // to it: a stricter limit for the class. A policy must have such a limit to use it.
  kLimit,
};
std::string_view to_string(BotAction action) noexcept;

struct BotStageConfig {
  ClassifierConfig classifier;
  // Indexed by BotClass.
  std::array<BotAction, kBotClasses> actions = {BotAction::kAllow, BotAction::kAllow,
                                                BotAction::kAllow, BotAction::kBlock};
  // Adds x-portcullis-ja4, -ja3, -h2fp, -hfp and -bot ("class:score") to the request sent
  // upstream; the client's own headers of those names are always dropped.
  bool forward_headers = false;
  // Shared with other policies and kept across reloads; nullptr: no reputation signals.
  std::shared_ptr<Reputation> reputation;
  // Required when an action is kChallenge.
  std::optional<ChallengeConfig> challenge;
  std::uint16_t challenge_status = 200;  // status the challenge page is served with
  // Seconds on a wall clock (passes cross restarts and replicas) and on a steady one; tests
  // inject their own.
  std::uint64_t (*wall_seconds)() = nullptr;
  std::uint32_t (*steady_seconds)() = nullptr;
};

// Immutable after construction; safe for concurrent use by multiple threads.
class BotStage final : public Stage {
 public:
  explicit BotStage(BotStageConfig config);

  std::string_view name() const noexcept override { return "bots"; }
  Verdict on_headers(Exchange& exchange) const noexcept override;
  void on_complete(Exchange& exchange) const noexcept override;

  const BotStageConfig& config() const noexcept { return config_; }

 private:
  BotStageConfig config_;
  Classifier classifier_;
  std::optional<Challenge> challenge_;
};

}  // namespace portcullis::bots
