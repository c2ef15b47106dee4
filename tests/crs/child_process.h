// A child process (the portcullis binary) with its standard output and error captured by a
// thread, so that the runner can wait for "portcullis: listening on http://127.0.0.1:PORT".
// The destructor stops the child: SIGTERM, then SIGKILL after a grace period. Accessors are
// safe for concurrent use.

#ifndef PORTCULLIS_TESTS_CRS_CHILD_PROCESS_H_
#define PORTCULLIS_TESTS_CRS_CHILD_PROCESS_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::testing::crs {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with stdin from /dev/null; false and `why` on failure.
  bool start(const std::vector<std::string>& argv, std::string* why);

  // Waits until the captured output (standard error, then standard output) satisfies
  // `predicate` or the child's output ends; false at the timeout or when the child exited.
  bool wait_for_output(const std::function<bool(const std::string&)>& predicate,
                       std::chrono::milliseconds timeout) const;
  std::string output() const;
  bool running();
  // "exited with code N" or "killed by signal N" once the child is gone; empty before.
  std::string exit_description() const;

  // SIGTERM, up to `grace` to exit, then SIGKILL; reaps the child.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

 private:
  void drain(int out_fd, int err_fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  std::thread drain_thread_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::string stderr_;
  std::string stdout_;
  bool closed_ = false;
};

// The port in "portcullis: listening on http://127.0.0.1:PORT" (first such line), or 0.
std::uint16_t listening_port(const std::string& output);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_CHILD_PROCESS_H_
