#include "bots/h2_fingerprint.h"

namespace portcullis::bots {

void H2FingerprintBuilder::on_settings_begin() noexcept { ++settings_frames_; }

void H2FingerprintBuilder::on_setting(std::uint16_t id, std::uint32_t value) {
  if (settings_frames_ != 1 || settings_count_ >= kMaxSettings) return;
  if (settings_count_++ > 0) settings_ += ';';
  settings_ += std::to_string(id);
  settings_ += ':';
  settings_ += std::to_string(value);
}

void H2FingerprintBuilder::on_connection_window_update(std::uint32_t increment) {
  if (headers_seen_ || !window_update_.empty()) return;
  window_update_ = std::to_string(increment);
}

void H2FingerprintBuilder::on_priority(std::int32_t stream, bool exclusive, std::int32_t depends_on,
                                       int weight) {
  if (headers_seen_ || priority_count_ >= kMaxPriorities) return;
  if (priority_count_++ > 0) priorities_ += ',';
  priorities_ += std::to_string(stream);
  priorities_ += exclusive ? ":1:" : ":0:";
  priorities_ += std::to_string(depends_on);
  priorities_ += ':';
  priorities_ += std::to_string(weight);
}

void H2FingerprintBuilder::on_pseudo_header(std::string_view name) {
  if (headers_seen_ || name.size() < 2 || name[0] != ':' || pseudo_.size() >= 16) return;
  if (!pseudo_.empty()) pseudo_ += ',';
  pseudo_ += name[1];
}

void H2FingerprintBuilder::on_request_headers_end() {
  if (headers_seen_) return;
  headers_seen_ = true;
  complete_ = true;
  text_ = settings_;
  text_ += '|';
  text_ += window_update_.empty() ? "00" : window_update_;
  text_ += '|';
  text_ += priorities_.empty() ? "0" : priorities_;
  text_ += '|';
  text_ += pseudo_;
}

}  // namespace portcullis::bots
