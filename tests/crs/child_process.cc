#include "tests/crs/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace portcullis::testing::crs {

ChildProcess::~ChildProcess() { stop(std::chrono::seconds(5)); }

bool ChildProcess::start(const std::vector<std::string>& argv, std::string* why) {
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    if (why) *why = std::string("pipe2: ") + std::strerror(errno);
    return false;
  }
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    if (why) *why = std::string("pipe2: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return false;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // fork+exec rather than posix_spawn: the child asks for SIGTERM when the runner dies, so
  // that a runner killed by a ctest timeout leaves no proxy behind. Only async-signal-safe
  // calls run between fork and exec.
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::signal(s, SIG_DFL);
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd < 0 || ::dup2(null_fd, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 ||
        ::dup2(err_pipe[1], 2) < 0) {
      ::_exit(127);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid_ < 0) {
    if (why) *why = "cannot start " + argv[0] + ": " + std::strerror(fork_errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    pid_ = -1;
    return false;
  }
  drain_thread_ = std::thread([this, out = out_pipe[0], err = err_pipe[0]] { drain(out, err); });
  return true;
}

void ChildProcess::drain(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (::poll(fds, 2, 200) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[8192];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        (i == 0 ? stdout_ : stderr_).append(buffer, static_cast<size_t>(n));
      }
      changed_.notify_all();
    }
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool ChildProcess::wait_for_output(const std::function<bool(const std::string&)>& predicate,
                                   std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  bool satisfied = false;
  changed_.wait_for(lock, timeout, [&] {
    satisfied = predicate(stderr_ + stdout_);
    return satisfied || closed_;
  });
  return satisfied;
}

std::string ChildProcess::output() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stderr_ + (stdout_.empty() ? "" : "\n[stdout]\n" + stdout_);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || reaped_) return false;
  if (::waitpid(pid_, &wait_status_, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

std::string ChildProcess::exit_description() const {
  if (!reaped_) return {};
  if (WIFEXITED(wait_status_))
    return "exited with code " + std::to_string(WEXITSTATUS(wait_status_));
  if (WIFSIGNALED(wait_status_)) {
    return "killed by signal " + std::to_string(WTERMSIG(wait_status_)) + " (" +
           strsignal(WTERMSIG(wait_status_)) + ")";
  }
  return "stopped";
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (::waitpid(pid_, &wait_status_, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &wait_status_, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    reaped_ = true;
  }
  if (drain_thread_.joinable()) drain_thread_.join();
}

std::uint16_t listening_port(const std::string& output) {
  constexpr std::string_view kPrefix = "portcullis: listening on http://127.0.0.1:";
  size_t at = output.find(kPrefix);
  if (at == std::string::npos) return 0;
  size_t begin = at + kPrefix.size();
  size_t end = output.find('\n', begin);
  if (end == std::string::npos) return 0;  // the line is not complete yet
  std::uint32_t port = 0;
  auto [ptr, ec] = std::from_chars(output.data() + begin, output.data() + end, port);
  if (ec != std::errc() || port == 0 || port > 65535) return 0;
  return static_cast<std::uint16_t>(port);
}

}  // namespace portcullis::testing::crs
