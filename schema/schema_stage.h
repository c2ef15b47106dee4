// The `schema` stage: only what the API describes gets through. Each request is routed to an
// operation of the policy's OpenAPI document; an unknown path is refused (404 or 403) or
// passed on, a method the path does not have gets 405 with Allow, parameters (path, query,
// header, cookie) and the request body are validated against their schemas, and an
// undescribed content type gets 415. Violations answer 400 application/problem+json listing
// them (bounded). Built once per config snapshot; its hooks are safe for concurrent use by
// multiple threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/stage.h"
#include "schema/openapi.h"

namespace portcullis::schema {

// docs/config.md "policies[].schema".
struct SchemaStageConfig {
  std::shared_ptr<const OpenApi> api;
  enum class UnknownPath : std::uint8_t {
    kNotFound,   // 404
    kForbidden,  // 403
    kPass,       // on to the next stage, unvalidated
  } unknown_path = UnknownPath::kNotFound;
  std::size_t max_body = 1 << 20;  // larger bodies are refused with 413 before validation
  std::size_t max_violations = 10;
  // Content types passed without validation where an operation does not describe them.
  std::vector<std::string> allow_content_types;
  bool detect = false;  // log what would be refused, refuse nothing
};

class SchemaStage final : public Stage {
 public:
  explicit SchemaStage(SchemaStageConfig config);

  std::string_view name() const noexcept override { return "schema"; }
  Verdict on_headers(Exchange& exchange) const noexcept override;
  Verdict on_body(Exchange& exchange) const noexcept override;
  bool wants_body() const noexcept override;

  const SchemaStageConfig& config() const noexcept { return config_; }

 private:
  Verdict finish(Exchange& exchange, Verdict verdict) const noexcept;

  SchemaStageConfig config_;
};

}  // namespace portcullis::schema
