// Responses Portcullis makes itself (DESIGN.md "Responses Portcullis makes itself").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/header_field.h"

namespace portcullis::proxy {

// Standard reason phrase of `status`, or "Unknown".
std::string_view reason_phrase(std::uint16_t status) noexcept;

struct LocalResponse {
  std::uint16_t status = 500;
  std::string_view detail;          // why, for the body (static or snapshot-owned text)
  std::string_view request_id;      // empty when the request could not be parsed far enough
  std::string_view accept;          // the request's Accept header: picks JSON, HTML or text
  std::string_view allow;           // for 405: the Allow header
  std::uint32_t retry_after_s = 0;  // for 429 and 503
  bool close = false;               // adds Connection: close
  bool head = false;                // HEAD request: headers only
  // A body made by a stage (Verdict::body) instead of the usual one, and its content type.
  std::string_view body;
  std::string_view content_type;
  // More header fields (Verdict::headers): written after the usual ones.
  std::span<const HeaderField> headers;
};

// Appends the whole HTTP/1.1 response (head and body) to `out`.
void append_local_response(const LocalResponse& response, std::string& out);

// Appends only the body to `out` and returns its content type (for HTTP/2, whose head is
// made of header fields).
std::string_view append_local_body(const LocalResponse& response, std::string& out);

}  // namespace portcullis::proxy
