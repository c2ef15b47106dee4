#include "proxy/event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace portcullis::proxy {

bool LineQueue::push(std::string&& line) noexcept {
  std::size_t tail = tail_.load(std::memory_order_relaxed);
  if (tail - head_.load(std::memory_order_acquire) >= kCapacity) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  slots_[tail % kCapacity] = std::move(line);
  tail_.store(tail + 1, std::memory_order_release);
  return true;
}

bool LineQueue::pop(std::string& out) noexcept {
  std::size_t head = head_.load(std::memory_order_relaxed);
  if (head == tail_.load(std::memory_order_acquire)) return false;
  out = std::move(slots_[head % kCapacity]);
  slots_[head % kCapacity] = std::string();  // the slot does not keep the line's memory
  head_.store(head + 1, std::memory_order_release);
  return true;
}

EventLog::EventLog(std::size_t workers) {
  for (std::size_t i = 0; i < workers; ++i) {
    events_.push_back(std::make_unique<LineQueue>());
    access_.push_back(std::make_unique<LineQueue>());
  }
}

EventLog::~EventLog() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  drain_once();
  std::lock_guard lock(mu_);
  if (events_fd_ > 2) ::close(events_fd_);
  if (access_fd_ > 2) ::close(access_fd_);
}

namespace {

// -1 for "off", else a descriptor (1 and 2 for the standard streams).
int open_target(const std::string& target, std::string& error) {
  if (target == "off") return -1;
  if (target == "-" || target == "stdout") return 1;
  if (target == "stderr") return 2;
  int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) error = "cannot open '" + target + "': " + std::strerror(errno);
  return fd;
}

void write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk or a closed pipe must not stop the proxy
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

std::string EventLog::open(const LogTargets& targets) {
  std::string error;
  int events = open_target(targets.events, error);
  if (!error.empty()) return "logging.events: " + error;
  int access = open_target(targets.access, error);
  if (!error.empty()) {
    if (events > 2) ::close(events);
    return "logging.access: " + error;
  }
  std::lock_guard lock(mu_);
  if (events_fd_ > 2) ::close(events_fd_);
  if (access_fd_ > 2) ::close(access_fd_);
  events_fd_ = events;
  access_fd_ = access;
  access_on_.store(access >= 0, std::memory_order_relaxed);
  return {};
}

void EventLog::start() {
  thread_ = std::thread([this] { run(); });
}

void EventLog::run() {
  while (!stop_.load(std::memory_order_relaxed)) {
    if (!drain_once()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool EventLog::drain_once() {
  std::string line, events_batch, access_batch;
  std::vector<std::string> new_events;
  for (auto& q : events_) {
    while (q->pop(line)) {
      events_batch.append(line).push_back('\n');
      new_events.push_back(std::move(line));
    }
  }
  for (auto& q : access_) {
    while (q->pop(line)) access_batch.append(line).push_back('\n');
  }
  if (new_events.empty() && access_batch.empty()) return false;
  std::lock_guard lock(mu_);
  if (events_fd_ >= 0 && !events_batch.empty()) write_all(events_fd_, events_batch);
  if (access_fd_ >= 0 && !access_batch.empty()) write_all(access_fd_, access_batch);
  events_written_.fetch_add(new_events.size());
  std::size_t access_lines = 0;
  for (char c : access_batch) access_lines += c == '\n';
  access_written_.fetch_add(access_lines);
  for (auto& e : new_events) {
    recent_.push_back(std::move(e));
    if (recent_.size() > kRecent) recent_.pop_front();
  }
  return true;
}

void EventLog::flush() {
  // The writer drains every 20 ms at most; two rounds see everything queued before the call.
  for (int i = 0; i < 2; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
}

std::vector<std::string> EventLog::recent(
    std::size_t limit, const std::vector<std::string>& filters,
    std::optional<std::chrono::system_clock::time_point> when) const {
  const std::string since = when ? event_time(*when) : std::string();
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    // Every event starts with {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ": such times order as text.
    // Workers' events reach the log slightly out of order, so every event is looked at.
    if (!since.empty() && std::string_view(*it).substr(9, since.size()) < since) continue;
    bool match = true;
    for (const std::string& f : filters) match = match && it->find(f) != std::string::npos;
    if (match) out.push_back(*it);
  }
  return {out.rbegin(), out.rend()};
}

std::uint64_t EventLog::events_dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& q : events_) n += q->dropped();
  return n;
}

std::uint64_t EventLog::access_dropped() const noexcept {
  std::uint64_t n = 0;
  for (const auto& q : access_) n += q->dropped();
  return n;
}

std::string event_time(std::chrono::system_clock::time_point when) {
  std::time_t t = std::chrono::system_clock::to_time_t(when);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

namespace {

void append_time(std::string& out) {
  out += '"';
  out += event_time(std::chrono::system_clock::now());
  out += '"';
}

std::string_view protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kHttp10:
      return "HTTP/1.0";
    case Protocol::kHttp11:
      return "HTTP/1.1";
    case Protocol::kHttp2:
      return "HTTP/2";
  }
  return "";
}

void field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  append_json_string(out, value);
}

void field(std::string& out, std::string_view key, std::int64_t value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(value);
}

void common(std::string& out, const Exchange& ex) {
  out += "{\"time\":";
  append_time(out);
  field(out, "request_id", ex.request_id);
  field(out, "client_ip", ex.client_ip);
  field(out, "client_port", ex.client_port);
  field(out, "method", ex.method);
  field(out, "host", ex.host);
  field(out, "path", ex.path);
  field(out, "protocol", protocol_name(ex.protocol));
  out += ",\"tls\":";
  out += ex.tls ? "true" : "false";
  field(out, "route", ex.route_id);
  field(out, "policy", ex.policy_id);
}

}  // namespace

std::string format_event(const Exchange& ex, const Verdict& verdict, bool detected,
                         std::uint16_t status) {
  static constexpr std::string_view kSeverities[] = {"EMERGENCY", "ALERT",  "CRITICAL", "ERROR",
                                                     "WARNING",   "NOTICE", "INFO",     "DEBUG"};
  std::string out;
  out.reserve(512 + ex.findings.size() * 256);
  common(out, ex);
  const bool only_findings = verdict.is_continue();
  std::string_view stage = verdict.stage;
  if (only_findings && !ex.findings.empty()) stage = ex.findings.front().stage;
  field(out, "stage", stage);
  field(out, "action", only_findings ? "log" : detected ? "detect" : to_string(verdict.action));
  field(out, "would", to_string(verdict.action));
  field(out, "status", status);
  out += ",\"rules\":[";
  bool first = true;
  // The deciding rule first, unless it is among the findings (a WAF rule).
  bool in_findings = false;
  for (const Finding& f : ex.findings) {
    if (!verdict.rule.empty() && f.stage == verdict.stage && f.rule == verdict.rule)
      in_findings = true;
  }
  if (!only_findings && !in_findings && (!verdict.rule.empty() || !verdict.reason.empty())) {
    out += "{\"id\":";
    append_json_string(out, verdict.rule);
    out += ",\"message\":";
    // The access stage's method refusal carries the allowed methods as its reason.
    append_json_string(out,
                       verdict.rule == "method"
                           ? "method not allowed (allowed: " + std::string(verdict.reason) + ")"
                           : std::string(verdict.reason));
    out += "}";
    first = false;
  }
  for (const Finding& f : ex.findings) {
    if (!first) out += ',';
    first = false;
    out += "{\"id\":";
    append_json_string(out, f.rule);
    out += ",\"message\":";
    append_json_string(out, f.message);
    out += ",\"data\":";
    append_json_string(out, f.data);
    out += ",\"variable\":";
    append_json_string(out, f.variable);
    if (f.severity >= 0 && f.severity < 8) {
      out += ",\"severity\":";
      append_json_string(out, kSeverities[f.severity]);
    }
    out += ",\"phase\":";
    out += std::to_string(f.phase);
    out += ",\"stage\":";
    append_json_string(out, f.stage);
    out += "}";
  }
  out += "]";
  field(out, "anomaly_score", ex.anomaly_score);
  field(out, "bot_score", ex.bot_score);
  field(out, "bot_class", ex.bot_class);
  field(out, "bot_signals", ex.bot_signals);
  field(out, "limiter_key", ex.limiter_key);
  out += ",\"fingerprints\":{";
  bool first_fingerprint = true;
  for (auto [key, value] : {std::pair<std::string_view, std::string_view>{"ja4", ex.ja4},
                            {"ja4_r", ex.ja4_r},
                            {"ja3", ex.ja3},
                            {"ja3_hash", ex.ja3_hash},
                            {"h2", ex.h2_fingerprint},
                            {"headers", ex.header_fingerprint}}) {
    if (value.empty()) continue;
    if (!first_fingerprint) out += ',';
    first_fingerprint = false;
    out += '"';
    out += key;
    out += "\":";
    append_json_string(out, value);
  }
  out += "}}";
  return out;
}

std::string format_access(const Exchange& ex, std::uint16_t status, std::string_view verdict,
                          Duration elapsed) {
  std::string out;
  out.reserve(320);
  common(out, ex);
  field(out, "status", status);
  field(out, "verdict", verdict);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", std::chrono::duration<double, std::milli>(elapsed).count());
  out += ",\"duration_ms\":";
  out += ms;
  out += "}";
  return out;
}

}  // namespace portcullis::proxy
