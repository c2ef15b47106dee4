#include "tests/crs/security_events.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace portcullis::testing::crs {
namespace {

// The event log writes every byte >= 0x80 as \u00XX, so a decoded string whose code points all
// fit in a byte is turned back into those bytes.
std::string to_bytes(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    auto b = static_cast<unsigned char>(utf8[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
    } else if ((b == 0xC2 || b == 0xC3) && i + 1 < utf8.size() &&
               (static_cast<unsigned char>(utf8[i + 1]) & 0xC0) == 0x80) {
      out +=
          static_cast<char>(((b & 0x03) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3F));
      ++i;
    } else {
      return utf8;  // real UTF-8 beyond U+00FF: keep the text as it is
    }
  }
  return out;
}

std::string text(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return {};
  if (it->is_string()) return to_bytes(it->get<std::string>());
  return it->dump();  // numbers (a numeric rule id, a line) as their JSON text
}

std::string log_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u > 0x7e) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

void tag(std::string& line, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  line += " [";
  line += name;
  line += " \"";
  line += log_escape(value);
  line += "\"]";
}

}  // namespace

std::optional<std::string> SecurityEvent::marker() const {
  for (const MatchedRule& rule : rules) {
    if (rule.message.starts_with(kMarkerPrefix)) {
      return rule.message.substr(kMarkerPrefix.size());
    }
  }
  return std::nullopt;
}

std::optional<SecurityEvent> parse_event(std::string_view line, std::string* why) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    if (why) *why = "not a JSON object";
    return std::nullopt;
  }
  SecurityEvent event;
  event.raw = std::string(line);
  event.request_id = text(j, "request_id");
  event.host = text(j, "host");
  event.path = text(j, "path");
  event.stage = text(j, "stage");
  event.action = text(j, "action");
  if (auto it = j.find("status"); it != j.end() && it->is_number_integer()) {
    event.status = it->get<int>();
  }
  if (auto it = j.find("rules"); it != j.end() && it->is_array()) {
    for (const nlohmann::json& r : *it) {
      if (!r.is_object()) continue;
      MatchedRule rule;
      rule.id = text(r, "id");
      rule.message = text(r, "message");
      if (rule.message.empty()) rule.message = text(r, "msg");
      rule.data = text(r, "data");
      rule.variable = text(r, "variable");
      rule.severity = text(r, "severity");
      rule.match = text(r, "match");
      rule.file = text(r, "file");
      rule.line = text(r, "line");
      rule.version = text(r, "ver");
      if (auto p = r.find("phase"); p != r.end() && p->is_number_integer()) {
        rule.phase = p->get<int>();
      }
      if (auto t = r.find("tags"); t != r.end() && t->is_array()) {
        for (const nlohmann::json& v : *t) {
          if (v.is_string()) rule.tags.push_back(to_bytes(v.get<std::string>()));
        }
      }
      event.rules.push_back(std::move(rule));
    }
  }
  if (auto it = j.find("messages"); it != j.end() && it->is_array()) {
    for (const nlohmann::json& v : *it) {
      if (v.is_string()) event.messages.push_back(to_bytes(v.get<std::string>()));
    }
  }
  return event;
}

std::vector<std::string> modsecurity_lines(const SecurityEvent& event) {
  std::vector<std::string> lines;
  for (const MatchedRule& rule : event.rules) {
    std::string line = "ModSecurity: Warning.";
    if (!rule.match.empty()) {
      line += " " + log_escape(rule.match);
    } else if (!rule.variable.empty()) {
      line += " Matched at " + log_escape(rule.variable) + ".";
    }
    tag(line, "file", rule.file);
    tag(line, "line", rule.line);
    tag(line, "id", rule.id);
    tag(line, "msg", rule.message);
    tag(line, "data", rule.data);
    tag(line, "severity", rule.severity);
    tag(line, "ver", rule.version);
    for (const std::string& t : rule.tags) tag(line, "tag", t);
    tag(line, "hostname", event.host);
    tag(line, "uri", event.path);
    tag(line, "unique_id", event.request_id);
    lines.push_back(std::move(line));
  }
  for (const std::string& message : event.messages) {
    lines.push_back("ModSecurity: " + log_escape(message));
  }
  return lines;
}

void collect_rule_ids(const SecurityEvent& event, std::set<std::uint64_t>& ids) {
  for (const MatchedRule& rule : event.rules) {
    if (rule.id.empty() || rule.id.size() > 18) continue;
    std::uint64_t id = 0;
    bool numeric = true;
    for (char c : rule.id) {
      numeric = numeric && c >= '0' && c <= '9';
      id = id * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (numeric) ids.insert(id);
  }
}

std::vector<std::string> EventLogTail::read_lines() {
  std::vector<std::string> lines;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lines;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::pread(fd, buffer, sizeof(buffer), static_cast<off_t>(offset_));
    if (n <= 0) break;
    offset_ += static_cast<std::uint64_t>(n);
    partial_.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  size_t start = 0;
  for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1) {
    if (nl > start) lines.push_back(partial_.substr(start, nl - start));
  }
  partial_.erase(0, start);
  return lines;
}

}  // namespace portcullis::testing::crs
