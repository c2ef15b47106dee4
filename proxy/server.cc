#include "proxy/server.h"

#include <csignal>
#include <cstdio>
#include <thread>

#include "proxy/demo_upstream.h"
#include "proxy/worker.h"

namespace portcullis::proxy {

Server::Server(std::shared_ptr<const config::Snapshot> snapshot)
    : snapshots_(std::move(snapshot)) {}

Server::~Server() {
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void Server::block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

void Server::start() {
  auto snap = snapshots_.current();
  if (snap->demo_upstream) {
    demo_ = std::make_unique<DemoUpstream>(*snap->demo_upstream);
    config::SocketAddress shown{snap->demo_upstream->ip, demo_->port()};
    std::fprintf(stderr, "portcullis: demo upstream on http://%s\n", shown.to_string().c_str());
  }
  int n = snap->workers > 0 ? snap->workers : static_cast<int>(std::thread::hardware_concurrency());
  if (n < 1) n = 1;
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, snapshots_));
  for (const config::Listener& listener : snap->listen) {
    // The first worker binds (port 0 picks a free port); the others join the same port.
    config::Listener bound = listener;
    bound.address.port = workers_[0]->listen(listener);
    for (std::size_t i = 1; i < workers_.size(); ++i) workers_[i]->listen(bound);
    ports_.push_back(bound.address.port);
    std::fprintf(stderr, "portcullis: listening on %s://%s\n", listener.tls ? "https" : "http",
                 bound.address.to_string().c_str());
  }
  std::fprintf(stderr, "portcullis: %d worker%s, config %s\n", n, n == 1 ? "" : "s",
               snap->source.c_str());
  for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->run(); });
}

int Server::wait_and_drain() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int sig = 0;
  while (true) {
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      std::fprintf(stderr, "portcullis: SIGHUP ignored: configuration reload is not available\n");
      continue;
    }
    break;
  }
  auto snap = snapshots_.current();
  std::fprintf(
      stderr, "portcullis: %s: draining (up to %lld ms)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(snap->timeouts.drain).count()));
  for (auto& w : workers_) w->begin_drain();
  auto deadline = Clock::now() + snap->timeouts.drain;
  std::size_t live = 0;
  while (true) {
    live = 0;
    for (auto& w : workers_) live += w->live_sessions();
    if (live == 0 || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (auto& w : workers_) w->stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  demo_.reset();
  if (live) {
    std::fprintf(stderr, "portcullis: drain timeout: %zu connection%s closed\n", live,
                 live == 1 ? "" : "s");
  }
  std::fprintf(stderr, "portcullis: stopped\n");
  return 0;
}

}  // namespace portcullis::proxy
