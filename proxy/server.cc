#include "proxy/server.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <system_error>
#include <thread>

#include "core/memory.h"
#include "proxy/admin.h"
#include "proxy/demo_upstream.h"
#include "proxy/event_log.h"
#include "proxy/metrics.h"
#include "proxy/worker.h"

namespace portcullis::proxy {
namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string key_of(const config::Listener& l) { return l.address.to_string(); }

}  // namespace

Server::Server(std::shared_ptr<const config::Snapshot> snapshot, ConfigSource source)
    : source_(std::move(source)), snapshots_(std::move(snapshot)) {}

Server::~Server() {
  control_running_.store(false);
  if (admin_) admin_->stop();
  if (control_thread_.joinable()) control_thread_.join();
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
  log_ = std::make_unique<EventLog>(static_cast<std::size_t>(n));
  if (std::string err = log_->open({snap->events_log, snap->access_log}); !err.empty()) {
    throw std::runtime_error(err);
  }
  for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>(i, snapshots_, *log_));
  for (const config::Listener& listener : snap->listen) {
    if (listeners_.count(key_of(listener))) continue;  // the same address twice
    // The first worker binds (port 0 picks a free port); the others join the same port.
    auto first = workers_[0]->bind(listener.address);
    std::uint16_t port = first->local_endpoint().port();
    config::SocketAddress bound{listener.address.ip, port};
    workers_[0]->add_listener(key_of(listener), std::move(first), listener.tls, listener.slot);
    for (std::size_t i = 1; i < workers_.size(); ++i) {
      workers_[i]->add_listener(key_of(listener), workers_[i]->bind(bound), listener.tls,
                                listener.slot);
    }
    listeners_[key_of(listener)] = BoundListener{port, listener.tls, listener.slot};
    ports_.push_back(port);
    std::fprintf(stderr, "portcullis: listening on %s://%s\n", listener.tls ? "https" : "http",
                 bound.to_string().c_str());
  }
  admin_ = std::make_unique<AdminServer>(*this);
  if (snap->admin) {
    std::uint16_t port = 0;
    try {
      port = admin_->listen(*snap->admin);
    } catch (const std::exception& e) {
      throw std::runtime_error("admin listener " + snap->admin->to_string() + ": " + e.what() +
                               " (set admin.address, or --admin ADDR|off)");
    }
    config::SocketAddress shown{snap->admin->ip, port};
    std::fprintf(stderr, "portcullis: admin on http://%s (the dashboard is at /)\n",
                 shown.to_string().c_str());
  }
  if (!source_.path.empty()) {
    if (std::string err = admin_->watch(source_.path); !err.empty()) {
      std::fprintf(stderr, "portcullis: not watching the config file: %s\n", err.c_str());
    }
  }
  std::fprintf(stderr, "portcullis: %d worker%s, config %s\n", n, n == 1 ? "" : "s",
               snap->source.c_str());
  last_ok_ = last_ = ReloadResult{true, true, "start", {}, {}, generation_, snap->hash, unix_now()};
  last_attempt_hash_ = snap->hash;
  log_->start();
  control_running_.store(true);
  snapshots_.publish(retired_on_control(snap));
  snap.reset();
  for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->run(); });
  control_thread_ = std::thread([this] { admin_->run(); });
}

std::shared_ptr<const config::Snapshot> Server::retired_on_control(
    std::shared_ptr<const config::Snapshot> snapshot) {
  const config::Snapshot* raw = snapshot.get();
  return std::shared_ptr<const config::Snapshot>(
      raw, [this, owner = std::move(snapshot)](const config::Snapshot*) mutable {
        if (!control_running_.load()) return;  // stopping: destroyed here, with the deleter
        admin_->post([owner = std::move(owner)]() mutable {
          owner.reset();
          release_free_memory();
        });
      });
}

std::string Server::apply_listeners(const config::Snapshot& next) {
  // Bind what is new first: a port that cannot be had fails the reload before anything moves.
  struct Added {
    std::string key;
    const config::Listener* listener;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
    std::uint16_t port = 0;
  };
  std::vector<Added> added;
  std::set<std::string> wanted;
  try {
    for (const config::Listener& l : next.listen) {
      std::string key = key_of(l);
      if (!wanted.insert(key).second || listeners_.count(key)) continue;
      Added a{key, &l, {}, 0};
      a.acceptors.push_back(workers_[0]->bind(l.address));
      a.port = a.acceptors[0]->local_endpoint().port();
      config::SocketAddress bound{l.address.ip, a.port};
      for (std::size_t i = 1; i < workers_.size(); ++i) {
        a.acceptors.push_back(workers_[i]->bind(bound));
      }
      added.push_back(std::move(a));
    }
  } catch (const std::exception& e) {                  // Asio throws boost::system::system_error
    return std::string("cannot listen: ") + e.what();  // the acceptors bound so far close here
  }
  for (Added& a : added) {
    for (std::size_t i = 0; i < workers_.size(); ++i) {
      workers_[i]->add_listener(a.key, std::move(a.acceptors[i]), a.listener->tls,
                                a.listener->slot);
    }
    listeners_[a.key] = BoundListener{a.port, a.listener->tls, a.listener->slot};
    config::SocketAddress bound{a.listener->address.ip, a.port};
    std::fprintf(stderr, "portcullis: listening on %s://%s\n", a.listener->tls ? "https" : "http",
                 bound.to_string().c_str());
  }
  for (const config::Listener& l : next.listen) {
    auto it = listeners_.find(key_of(l));
    if (it == listeners_.end()) continue;
    if (it->second.tls != l.tls || it->second.slot != l.slot) {
      // New certificates (each reload builds them anew from the files): new handshakes use
      // them, established connections are not touched.
      for (auto& w : workers_) w->update_listener(it->first, l.tls, l.slot);
      it->second.tls = l.tls;
      it->second.slot = l.slot;
    }
  }
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    for (auto& w : workers_) w->remove_listener(it->first);
    std::fprintf(stderr, "portcullis: stopped listening on %s\n", it->first.c_str());
    it = listeners_.erase(it);
  }
  return {};
}

ReloadResult Server::reload(const std::string& trigger, bool only_if_changed,
                            const std::function<bool()>& superseded) {
  ReloadResult r;
  r.trigger = trigger;
  r.unix_time = unix_now();
  auto current = snapshots_.current();
  std::string text(config::kEmbeddedDefault);
  std::string name = "<embedded default>";
  if (!source_.path.empty()) {
    std::ifstream in(source_.path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    text = in ? buf.str() : std::string();
    name = source_.path;
    if (!in) r.error = source_.path + ": cannot open file: " + std::strerror(errno);
  }
  const std::string hash = config::content_hash(text);
  if (only_if_changed && r.error.empty() && hash == last_attempt_hash_) {
    // A touch, or an event of a write that changed nothing since the last attempt (good or
    // bad): nothing new to load or to report.
    return last_;
  }
  last_attempt_hash_ = hash;
  auto loaded = r.error.empty() ? config::load_string(text, name, source_.overrides)
                                : Result<std::shared_ptr<const config::Snapshot>>(Error{r.error});
  if (!loaded) {
    r.error = loaded.error().to_string();
  } else {
    const config::Snapshot& next = *loaded.value();
    int workers_now = static_cast<int>(workers_.size());
    if (next.workers > 0 && next.workers != workers_now) {
      r.warnings.push_back("workers: " + std::to_string(next.workers) +
                           " takes effect at restart (running " + std::to_string(workers_now) +
                           ")");
    }
    auto addr = [](const std::optional<config::SocketAddress>& a) {
      return a ? a->to_string() : std::string("off");
    };
    if (addr(next.admin) != addr(current->admin)) {
      r.warnings.push_back("admin.address takes effect at restart");
    }
    if (addr(next.demo_upstream) != addr(current->demo_upstream)) {
      r.warnings.push_back("demo_upstream takes effect at restart");
    }
    r.error = apply_listeners(next);
    if (r.error.empty()) r.error = log_->open({next.events_log, next.access_log});
  }
  if (!r.error.empty() && superseded && superseded()) {
    last_attempt_hash_.clear();  // what was read is not what is there now: read it again
    return last_;
  }
  if (!r.error.empty()) {
    ++reloads_failed_;
    r.generation = generation_;
    r.hash = current->hash;
    std::fprintf(stderr, "portcullis: reload (%s) failed, the running configuration stays: %s\n",
                 trigger.c_str(), r.error.c_str());
    last_ = r;
    return r;
  }
  snapshots_.publish(retired_on_control(loaded.value()));
  release_free_memory();  // what building the snapshot used and dropped
  ++reloads_ok_;
  r.ok = true;
  r.changed = true;
  r.generation = ++generation_;
  r.hash = loaded.value()->hash;
  std::fprintf(stderr, "portcullis: reloaded (%s): generation %llu, config %s\n", trigger.c_str(),
               static_cast<unsigned long long>(r.generation), r.hash.c_str());
  for (const std::string& w : r.warnings) std::fprintf(stderr, "portcullis: %s\n", w.c_str());
  last_ = last_ok_ = r;
  return r;
}

void Server::dashboard_view(Dashboard::View& into, std::int64_t now_s, std::int64_t span_s) const {
  for (const auto& w : workers_) w->dashboard().add_to(into, now_s, span_s);
}

std::vector<UpstreamWindow> Server::upstream_totals() const {
  const auto names = config::label_names(config::LabelKind::kUpstream);
  std::vector<UpstreamWindow> out;
  for (std::size_t u = 0; u < names.size() && u < WorkerMetrics::kUpstreams; ++u) {
    if (names[u].empty()) continue;
    UpstreamWindow w;
    w.name = names[u];
    for (const auto& worker : workers_) {
      const WorkerMetrics::PerUpstream& m = worker->metrics().upstream(u);
      w.requests += m.requests.value();
      for (std::size_t e = 0; e < w.errors.size(); ++e) w.errors[e] += m.errors[e].value();
      for (std::size_t b = 0; b < w.latency.size(); ++b) w.latency[b] += m.response_time.bucket(b);
      w.shed += m.shed.value();
      w.concurrency_limit += m.concurrency_limit.value();
    }
    out.push_back(std::move(w));
  }
  return out;
}

std::string Server::render_metrics() const {
  std::vector<const WorkerMetrics*> shards;
  for (const auto& w : workers_) shards.push_back(&w->metrics());
  ControlMetrics c;
  c.reloads_ok = reloads_ok_;
  c.reloads_failed = reloads_failed_;
  c.config_hash = last_ok_.hash;
  c.generation = last_ok_.generation;
  c.last_reload_ok_unix = last_ok_.unix_time;
  c.last_reload_ok = last_.ok;
  c.events_written = log_->events_written();
  c.events_dropped = log_->events_dropped();
  c.access_written = log_->access_written();
  c.access_dropped = log_->access_dropped();
  c.waf_load_warnings = snapshots_.current()->waf_warnings.size();
  return proxy::render_metrics(shards, c);
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
      admin_->post([this] { reload("SIGHUP"); });
      continue;
    }
    break;
  }
  draining_.store(true);
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
  admin_->stop();
  if (control_thread_.joinable()) control_thread_.join();
  demo_.reset();
  log_->flush();
  if (live) {
    std::fprintf(stderr, "portcullis: drain timeout: %zu connection%s closed\n", live,
                 live == 1 ? "" : "s");
  }
  std::fprintf(stderr, "portcullis: stopped\n");
  return 0;
}

}  // namespace portcullis::proxy
