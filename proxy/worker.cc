#include "proxy/worker.h"

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <cstdio>
#include <random>

#include "proxy/event_log.h"
#include "proxy/h2_upstream.h"
#include "proxy/peer.h"
#include "proxy/tls_fingerprints.h"

namespace portcullis::proxy {

Worker::Worker(int index, SnapshotSource& snapshots, EventLog& log)
    : index_(index),
      snapshots_(snapshots),
      log_(log),
      metrics_(std::make_unique<WorkerMetrics>()),
      io_(1),
      pool_(io_, *metrics_),
      h2_upstreams_(std::make_unique<H2UpstreamPool>(io_, pool_)) {
  std::random_device rd;
  id_seed_ = (std::uint64_t{rd()} << 32) ^ rd() ^ (std::uint64_t(index) << 56);
}

Worker::~Worker() = default;

const std::shared_ptr<const config::Snapshot>& Worker::snapshot() noexcept {
  std::uint64_t gen = snapshots_.generation();
  if (gen != generation_) {
    // The pool reads the previous snapshot to carry its idle connections over: keep it alive
    // until then (this may hold its last reference).
    std::shared_ptr<const config::Snapshot> previous = std::move(snapshot_);
    snapshot_ = snapshots_.current();
    generation_ = gen;
    pool_.use_snapshot(snapshot_.get());
  }
  return snapshot_;
}

std::unique_ptr<tcp::acceptor> Worker::bind(const config::SocketAddress& addr) {
  tcp::endpoint endpoint(asio::ip::make_address(addr.ip), addr.port);
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  int one = 1;
  if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
  }
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

void Worker::add_listener(std::string key, std::unique_ptr<tcp::acceptor> acceptor,
                          std::shared_ptr<const config::TlsServerContext> tls, std::uint16_t slot) {
  auto a = std::make_shared<Acceptor>(
      Acceptor{std::move(key), std::move(acceptor), std::move(tls), slot});
  asio::post(io_, [this, a] {
    if (draining()) return;
    acceptors_.push_back(a);
    asio::co_spawn(io_, accept_loop(a), asio::detached);
  });
}

void Worker::update_listener(std::string key, std::shared_ptr<const config::TlsServerContext> tls,
                             std::uint16_t slot) {
  asio::post(io_, [this, key = std::move(key), tls = std::move(tls), slot] {
    for (auto& a : acceptors_) {
      if (a->key != key) continue;
      a->tls = tls;
      a->slot = slot;
    }
  });
}

void Worker::remove_listener(std::string key) {
  asio::post(io_, [this, key = std::move(key)] {
    std::erase_if(acceptors_, [&](const std::shared_ptr<Acceptor>& a) {
      if (a->key != key) return false;
      boost::system::error_code ignored;
      a->acceptor->close(ignored);  // its accept loop ends; its connections go on
      return true;
    });
  });
}

void Worker::run() {
  snapshot();
  io_.run();
}

awaitable<void> Worker::accept_loop(std::shared_ptr<Acceptor> listener) {
  asio::steady_timer backoff(io_);
  while (!draining()) {
    auto [ec, socket] = co_await listener->acceptor->async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || draining() || !listener->acceptor->is_open()) {
      break;
    }
    if (ec) {
      // Out of descriptors or memory: wait a little rather than spin on the error.
      std::fprintf(stderr, "portcullis: accept failed: %s\n", ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    metrics_->connections_accepted(listener->slot).add();
    if (listener->tls) {
      start_tls_handshake(*this, listener->slot, std::move(socket), listener->tls);
    } else {
      start_http1_session(*this, listener->slot, std::move(socket));
    }
  }
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_.store(true, std::memory_order_relaxed);
    for (auto& a : acceptors_) {
      boost::system::error_code ignored;
      a->acceptor->close(ignored);
    }
    for (SessionLink* s = sessions_; s != nullptr;) {
      SessionLink* next = s->next_;  // on_drain may detach s
      s->on_drain();
      s = next;
    }
  });
}

void Worker::attach(SessionLink* session) noexcept {
  session->next_ = sessions_;
  if (sessions_) sessions_->prev_ = session;
  sessions_ = session;
  live_.fetch_add(1, std::memory_order_relaxed);
  metrics_->connections_active.add(1);
}

void Worker::detach(SessionLink* session) noexcept {
  if (session->prev_) session->prev_->next_ = session->next_;
  if (session->next_) session->next_->prev_ = session->prev_;
  if (sessions_ == session) sessions_ = session->next_;
  session->prev_ = session->next_ = nullptr;
  live_.fetch_sub(1, std::memory_order_relaxed);
  metrics_->connections_active.add(-1);
}

RequestRecord::~RequestRecord() {
  worker.pool().finish(admission, status);
  if (status != 0) worker.finish_request(*this);
}

void Worker::security_event(const Exchange& ex, const Verdict& verdict, bool detected,
                            std::uint16_t status) {
  metrics_->block(verdict.stage, verdict.rule, detected);
  log_.events(static_cast<std::size_t>(index_)).push(format_event(ex, verdict, detected, status));
}

void Worker::handshake_failure(const tcp::endpoint& client, const TlsFingerprints& fp,
                               std::string_view why) {
  Peer peer = Peer::of(client);
  Exchange ex;
  ex.tls = true;
  ex.client_ip = peer.ip;
  ex.client_port = peer.port;
  char id[16];
  next_request_id(id);
  ex.request_id = std::string_view(id, sizeof id);
  fp.fill(ex);
  std::string message = "TLS handshake failed: " + std::string(why);
  const Finding finding{.stage = "tls", .rule = "handshake_failed", .message = message};
  ex.findings = std::span<const Finding>(&finding, 1);
  log_.events(static_cast<std::size_t>(index_)).push(format_event(ex, Verdict::pass(), false, 0));
}

void Worker::finish_request(const RequestRecord& r) {
  if (r.ex != nullptr) r.ex->sent_status = static_cast<std::uint16_t>(r.status);
  if (r.pipeline != nullptr && r.ex != nullptr) r.pipeline->on_complete(*r.ex);
  Verdict detected = r.ex ? r.ex->detected : Verdict::pass();
  // An enforced verdict was logged when it was enforced. What detect mode let through, and
  // rules that matched without deciding anything, are logged now, with every finding.
  if (r.ex && r.enforced.is_continue()) {
    if (!detected.is_continue()) {
      security_event(*r.ex, detected, true, detected.status);
    } else if (!r.ex->findings.empty()) {
      log_.events(static_cast<std::size_t>(index_))
          .push(format_event(*r.ex, Verdict::pass(), false, static_cast<std::uint16_t>(r.status)));
    }
  }
  dashboard_->record(r.ex, r.status, r.enforced, detected,
                     std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  VerdictLabel verdict = verdict_label(r.enforced, detected);
  Duration elapsed = Clock::now() - r.start;
  metrics_->request(r.listener, r.route, r.protocol, r.status, verdict, elapsed);
  if (r.ex) metrics_->stages(*r.ex);
  if (r.ex && log_.access_enabled()) {
    static constexpr std::string_view kNames[] = {"pass", "block", "challenge", "rate_limit",
                                                  "detect"};
    log_.access(static_cast<std::size_t>(index_))
        .push(format_access(*r.ex, static_cast<std::uint16_t>(r.status),
                            kNames[static_cast<std::size_t>(verdict)], elapsed));
  }
}

void Worker::next_request_id(char (&out)[16]) noexcept {
  // splitmix64: ids that do not reveal the request count or collide across workers.
  std::uint64_t z = id_seed_ + (++id_counter_) * 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i, z >>= 4) out[i] = kHex[z & 0xf];
}

}  // namespace portcullis::proxy
