#include "proxy/worker.h"

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <cstdio>
#include <random>

#include "proxy/h2_upstream.h"

namespace portcullis::proxy {

Worker::Worker(int index, SnapshotSource& snapshots)
    : index_(index),
      snapshots_(snapshots),
      io_(1),
      pool_(io_),
      h2_upstreams_(std::make_unique<H2UpstreamPool>(io_, pool_)) {
  std::random_device rd;
  id_seed_ = (std::uint64_t{rd()} << 32) ^ rd() ^ (std::uint64_t(index) << 56);
}

Worker::~Worker() = default;

const std::shared_ptr<const config::Snapshot>& Worker::snapshot() noexcept {
  std::uint64_t gen = snapshots_.generation();
  if (gen != generation_) {
    snapshot_ = snapshots_.current();
    generation_ = gen;
    pool_.use_snapshot(snapshot_.get());
  }
  return snapshot_;
}

std::uint16_t Worker::listen(const config::Listener& listener) {
  const config::SocketAddress& addr = listener.address;
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
  std::uint16_t port = acceptor->local_endpoint().port();
  acceptors_.push_back(Acceptor{std::move(acceptor), listener.tls});
  return port;
}

void Worker::run() {
  snapshot();
  for (auto& a : acceptors_) asio::co_spawn(io_, accept_loop(a), asio::detached);
  io_.run();
}

awaitable<void> Worker::accept_loop(Acceptor& listener) {
  asio::steady_timer backoff(io_);
  while (!draining()) {
    auto [ec, socket] = co_await listener.acceptor->async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted || draining()) break;
    if (ec) {
      // Out of descriptors or memory: wait a little rather than spin on the error.
      std::fprintf(stderr, "portcullis: accept failed: %s\n", ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(50));
      co_await backoff.async_wait(kNoThrow);
      continue;
    }
    if (listener.tls) {
      start_tls_handshake(*this, std::move(socket), listener.tls);
    } else {
      start_http1_session(*this, std::move(socket));
    }
  }
}

void Worker::begin_drain() {
  asio::post(io_, [this] {
    draining_.store(true, std::memory_order_relaxed);
    for (auto& a : acceptors_) {
      boost::system::error_code ignored;
      a.acceptor->close(ignored);
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
}

void Worker::detach(SessionLink* session) noexcept {
  if (session->prev_) session->prev_->next_ = session->next_;
  if (session->next_) session->next_->prev_ = session->prev_;
  if (sessions_ == session) sessions_ = session->next_;
  session->prev_ = session->next_ = nullptr;
  live_.fetch_sub(1, std::memory_order_relaxed);
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
