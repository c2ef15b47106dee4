// The security event log and the access log: JSON lines that workers hand over through their
// own bounded queues, and that one writer thread writes out. A worker never waits: when its
// queue is full the line is dropped and counted. The writer also keeps the most recent events
// for the admin listener's /events.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/exchange.h"
#include "core/json_text.h"
#include "core/verdict.h"

namespace portcullis::proxy {

// A bounded single-producer, single-consumer queue of lines.
class LineQueue {
 public:
  static constexpr std::size_t kCapacity = 4096;
  // Producer side. False (and the line dropped) when full.
  bool push(std::string&& line) noexcept;
  // Consumer side. False when empty.
  bool pop(std::string& out) noexcept;
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  std::array<std::string, kCapacity> slots_;
  alignas(64) std::atomic<std::size_t> head_{0};  // next to pop (consumer)
  alignas(64) std::atomic<std::size_t> tail_{0};  // next to push (producer)
  std::atomic<std::uint64_t> dropped_{0};
};

// Where a log goes: "-" (standard output), "stderr", "off", or a file path (appended to).
struct LogTargets {
  std::string events = "-";
  std::string access = "off";
};

class EventLog {
 public:
  explicit EventLog(std::size_t workers);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // Opens the targets; on a reload, reopens them (so a rotated file is started anew). Returns
  // an error message, or empty. Thread-safe.
  std::string open(const LogTargets& targets);
  void start();

  bool access_enabled() const noexcept { return access_on_.load(std::memory_order_relaxed); }
  LineQueue& events(std::size_t worker) noexcept { return *events_[worker]; }
  LineQueue& access(std::size_t worker) noexcept { return *access_[worker]; }

  // The last `limit` events (newest last), optionally only those whose JSON contains each of
  // `filters` (already formatted as "\"key\":\"value\"" fragments) and, when `since` is given,
  // only those written at or after it (to the millisecond). Thread-safe.
  std::vector<std::string> recent(
      std::size_t limit, const std::vector<std::string>& filters,
      std::optional<std::chrono::system_clock::time_point> since = {}) const;

  std::uint64_t events_written() const noexcept { return events_written_.load(); }
  std::uint64_t access_written() const noexcept { return access_written_.load(); }
  std::uint64_t events_dropped() const noexcept;
  std::uint64_t access_dropped() const noexcept;

  // Waits until every line queued so far was written (tests and shutdown). Thread-safe.
  void flush();

  static constexpr std::size_t kRecent = 1000;

 private:
  void run();
  bool drain_once();

  std::vector<std::unique_ptr<LineQueue>> events_;
  std::vector<std::unique_ptr<LineQueue>> access_;
  std::atomic<bool> access_on_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;

  mutable std::mutex mu_;  // writer thread and admin/control threads only
  int events_fd_ = 1;
  int access_fd_ = -1;
  std::deque<std::string> recent_;
  std::atomic<std::uint64_t> events_written_{0};
  std::atomic<std::uint64_t> access_written_{0};
};

// A time as events write it: "2026-11-29T00:09:51.164Z" (UTC, milliseconds).
std::string event_time(std::chrono::system_clock::time_point when);

// The JSON line (without the newline) of a security event: a verdict that refused a request,
// or in detect mode would have. docs/events.md describes the fields.
std::string format_event(const Exchange& ex, const Verdict& verdict, bool detected,
                         std::uint16_t status);

// The access log line of one request.
std::string format_access(const Exchange& ex, std::uint16_t status, std::string_view verdict,
                          Duration elapsed);

}  // namespace portcullis::proxy
