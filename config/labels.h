// Metric label slots: each listener, route and upstream name gets a small, stable index that
// the data plane uses to find its counters without hashing or allocating. The table only grows
// (a name keeps its slot across reloads, so counters stay monotonic); past its capacity names
// share the last slot, shown as "other". Thread-safe; used when a config is compiled and when
// metrics are rendered, never per request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config {

enum class LabelKind : std::uint8_t { kListener, kRoute, kUpstream };

inline constexpr std::size_t label_capacity(LabelKind kind) noexcept {
  return kind == LabelKind::kListener ? 8 : 64;
}

// The slot of `name` (interning it if new). Slot 0 of kRoute is reserved for "" (no route).
std::uint16_t label_slot(LabelKind kind, std::string_view name);

// The names of the slots in use, index = slot; the last slot of a full table is "other".
std::vector<std::string> label_names(LabelKind kind);

}  // namespace portcullis::config
