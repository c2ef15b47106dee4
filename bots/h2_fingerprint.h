// The HTTP/2 fingerprint of a client connection, in the format most tools share (Akamai's,
// from "Passive Fingerprinting of HTTP/2 Clients", Black Hat EU 2017):
//
//   SETTINGS|WINDOW_UPDATE|PRIORITY|PSEUDO_HEADER_ORDER
//   1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p
//
// - SETTINGS: the entries of the client's first SETTINGS frame, "id:value" in the order sent,
//   joined by ';'.
// - WINDOW_UPDATE: the increment of a connection-level WINDOW_UPDATE sent before the first
//   HEADERS frame, "00" if none.
// - PRIORITY: the PRIORITY frames sent before the first HEADERS frame,
//   "stream:exclusive:depends_on:weight" (weight 1..256) joined by ',', "0" if none.
// - PSEUDO_HEADER_ORDER: the first letters of the pseudo-headers of the first request, in
//   order (m, a, s, p).
// One builder per connection, fed from the HTTP/2 session's frame callbacks; bounded (at most
// kMaxSettings settings and kMaxPriorities priority frames are kept). Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::bots {

class H2FingerprintBuilder {
 public:
  static constexpr int kMaxSettings = 16;
  static constexpr int kMaxPriorities = 16;

  // A SETTINGS frame that is not an acknowledgement; only the first counts.
  void on_settings_begin() noexcept;
  void on_setting(std::uint16_t id, std::uint32_t value);
  // A WINDOW_UPDATE frame on stream 0.
  void on_connection_window_update(std::uint32_t increment);
  // A PRIORITY frame.
  void on_priority(std::int32_t stream, bool exclusive, std::int32_t depends_on, int weight);
  // A pseudo-header of a request HEADERS block (":method" ...).
  void on_pseudo_header(std::string_view name);
  // The first request's HEADERS block ended: the fingerprint is complete.
  void on_request_headers_end();

  bool complete() const noexcept { return complete_; }
  // The fingerprint once complete(); empty before.
  std::string_view text() const noexcept {
    return complete_ ? std::string_view(text_) : std::string_view();
  }

 private:
  std::string settings_, window_update_, priorities_, pseudo_;
  int settings_frames_ = 0;
  int settings_count_ = 0;
  int priority_count_ = 0;
  bool headers_seen_ = false;
  bool complete_ = false;
  std::string text_;
};

}  // namespace portcullis::bots
