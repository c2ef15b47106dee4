#include "core/exchange.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace portcullis {

namespace {
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void Exchange::set_target(std::string_view request_target) noexcept {
  target = request_target;
  std::size_t q = target.find('?');
  path = target.substr(0, q);
  query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

std::string_view Exchange::keep(std::string_view text) {
  if (text.empty()) return {};
  char* p = static_cast<char*>(arena_.allocate(text.size(), 1));
  std::memcpy(p, text.data(), text.size());
  return {p, text.size()};
}

std::span<HeaderField> Exchange::keep(std::span<const HeaderField> fields) {
  auto* out = static_cast<HeaderField*>(
      arena_.allocate(sizeof(HeaderField) * fields.size(), alignof(HeaderField)));
  for (std::size_t i = 0; i < fields.size(); ++i) {
    new (&out[i]) HeaderField{keep(fields[i].name), keep(fields[i].value)};
  }
  return {out, fields.size()};
}

Exchange::~Exchange() {
  for (std::size_t i = states_used_; i > 0; --i) states_[i - 1].destroy(states_[i - 1].ptr);
}

std::string_view Exchange::header(std::string_view name, bool* found) const noexcept {
  for (const HeaderField& field : headers) {
    if (iequals(field.name, name)) {
      if (found) *found = true;
      return field.value;
    }
  }
  if (found) *found = false;
  return {};
}

std::string_view to_string(Action action) noexcept {
  switch (action) {
    case Action::kContinue:
      return "continue";
    case Action::kBlock:
      return "block";
    case Action::kChallenge:
      return "challenge";
    case Action::kRateLimit:
      return "rate_limit";
  }
  return "unknown";
}

}  // namespace portcullis

namespace portcullis {

void Exchange::add_stage_time(std::string_view stage, std::uint64_t ns) noexcept {
  auto clamp = [](std::uint64_t v) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, UINT32_MAX));
  };
  for (std::uint8_t i = 0; i < stages_timed; ++i) {
    if (stage_names[i] == stage) {
      stage_ns[i] = clamp(stage_ns[i] + ns);
      return;
    }
  }
  if (stages_timed == kMaxTimedStages) return;
  stage_names[stages_timed] = stage;
  stage_ns[stages_timed++] = clamp(ns);
}

}  // namespace portcullis
