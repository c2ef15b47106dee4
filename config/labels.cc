#include "config/labels.h"

#include <mutex>

namespace portcullis::config {
namespace {

struct Table {
  std::vector<std::string> names;
};

std::mutex& table_mutex() {
  static std::mutex mu;
  return mu;
}

Table& table(LabelKind kind) {
  static Table tables[3] = {{}, {{""}}, {}};  // route slot 0: requests that matched no route
  return tables[static_cast<int>(kind)];
}

}  // namespace

std::uint16_t label_slot(LabelKind kind, std::string_view name) {
  std::lock_guard lock(table_mutex());
  auto& names = table(kind).names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<std::uint16_t>(i);
  }
  const std::size_t capacity = label_capacity(kind);
  if (names.size() + 1 >= capacity) {
    if (names.size() < capacity) names.emplace_back("other");
    return static_cast<std::uint16_t>(capacity - 1);
  }
  names.emplace_back(name);
  return static_cast<std::uint16_t>(names.size() - 1);
}

std::vector<std::string> label_names(LabelKind kind) {
  std::lock_guard lock(table_mutex());
  return table(kind).names;
}

}  // namespace portcullis::config
