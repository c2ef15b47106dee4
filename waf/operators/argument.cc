#include "waf/operators/argument.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace portcullis::waf::operators {

std::string_view trim_spaces(std::string_view text) noexcept {
  while (!text.empty() && is_c_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_c_space(text.back())) text.remove_suffix(1);
  return text;
}

Result<std::vector<std::string>> read_data_lines(std::string_view name,
                                                 const std::string& rules_dir) {
  std::filesystem::path path(name);
  if (path.is_relative() && !rules_dir.empty()) path = std::filesystem::path(rules_dir) / path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error("cannot open data file: " + std::string(std::strerror(errno)), path.string());
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view data = trim_spaces(line);
    if (data.empty() || data.front() == '#') continue;
    lines.push_back(std::move(line));
  }
  if (in.bad()) return Error("cannot read data file", path.string());
  return lines;
}

}  // namespace portcullis::waf::operators
