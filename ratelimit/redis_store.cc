#include "ratelimit/redis_store.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <thread>

namespace portcullis::ratelimit {
namespace {

namespace asio = boost::asio;

// GCRA for a batch of tokens, on Redis's clock (microseconds). KEYS[1]: the key; ARGV: the
// emission interval and the window (burst × interval) in microseconds, the tokens wanted.
// Returns {granted, microseconds until the next token when fewer were granted than wanted}.
constexpr std::string_view kTakeScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local emission = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local room = math.floor((now + window - tat) / emission)
local grant = math.max(0, math.min(want, room))
tat = tat + grant * emission
if grant > 0 then
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX',
             math.ceil((tat - now) / 1000) + 1000)
end
local wait = 0
if grant < want then wait = math.ceil(tat + emission - window - now) end
return {grant, wait}
)lua";

constexpr std::size_t kWays = 4;

std::atomic<std::uint64_t> g_refills{0};
std::atomic<std::uint64_t> g_errors{0};
std::atomic<std::uint64_t> g_fallbacks{0};
std::atomic<std::uint64_t> g_connected{0};
std::atomic<std::uint64_t> g_configured{0};

}  // namespace

struct RedisStore::Slot {
  std::atomic<std::uint64_t> key{0};
  std::atomic<std::int64_t> tokens{0};         // granted, not yet spent; negative: on credit
  std::atomic<std::int64_t> blocked_until{0};  // steady ns: Redis granted nothing until then
  std::atomic<std::int64_t> refill_since{0};   // steady ns a refill was sent; 0: none in flight
  std::atomic<std::int64_t> used{0};           // steady ns of the last request
};

// The store's thread: an io_context running the hiredis connection.
struct RedisStore::Io {
  struct Link {
    redisAsyncContext* ac = nullptr;
    asio::posix::stream_descriptor sd;
    bool want_read = false, want_write = false;
    bool reading = false, writing = false;
    explicit Link(asio::io_context& io) : sd(io) {}
  };
  struct Pending {
    std::int64_t deadline_ns;
  };

  RedisStore& store;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer timer{io};
  std::shared_ptr<Link> link;  // null: not connected
  bool connecting = false;
  std::deque<Pending> pending;  // in the order sent: Redis answers in order
  std::thread thread;

  explicit Io(RedisStore& s) : store(s) {
    thread = std::thread([this] {
      connect();
      tick();
      io.run();
    });
  }
  ~Io() {
    asio::post(io, [this] {
      timer.cancel();
      if (link && link->ac) redisAsyncFree(link->ac);  // calls back the pending refills
      work.reset();
    });
    thread.join();
  }

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void mark_down() {
    if (store.up_.exchange(false)) g_connected.fetch_sub(1);
  }

  // hiredis event hooks: watch the socket with Asio, and let hiredis read and write.
  static void arm(const std::shared_ptr<Link>& l, bool write) {
    bool& busy = write ? l->writing : l->reading;
    if (busy || l->ac == nullptr) return;
    busy = true;
    l->sd.async_wait(
        write ? asio::posix::descriptor_base::wait_write : asio::posix::descriptor_base::wait_read,
        [l, write](const boost::system::error_code& ec) {
          (write ? l->writing : l->reading) = false;
          if (ec || l->ac == nullptr) return;
          if (write) {
            redisAsyncHandleWrite(l->ac);
          } else {
            redisAsyncHandleRead(l->ac);
          }
          // The context may be gone now (a disconnect frees it).
          if (l->ac != nullptr && (write ? l->want_write : l->want_read)) {
            arm(l, write);
          }
        });
  }
  static Link* of(void* privdata) { return static_cast<Link*>(privdata); }

  void connect() {
    if (connecting || link) return;
    last_attempt_ns = now_ns();
    redisAsyncContext* ac = redisAsyncConnect(store.options_.host.c_str(), store.options_.port);
    if (ac == nullptr || ac->err) {
      if (ac != nullptr) redisAsyncFree(ac);
      g_errors.fetch_add(1);
      return;
    }
    auto l = std::make_shared<Link>(io);
    l->ac = ac;
    boost::system::error_code ec;
    l->sd.assign(ac->c.fd, ec);
    if (ec) {
      redisAsyncFree(ac);
      return;
    }
    link = l;
    connecting = true;
    ac->data = this;
    ac->ev.data = l.get();
    ac->ev.addRead = [](void* p) {
      Link* k = of(p);
      k->want_read = true;
      arm(static_cast<Io*>(k->ac->data)->link, false);
    };
    ac->ev.delRead = [](void* p) { of(p)->want_read = false; };
    ac->ev.addWrite = [](void* p) {
      Link* k = of(p);
      k->want_write = true;
      arm(static_cast<Io*>(k->ac->data)->link, true);
    };
    ac->ev.delWrite = [](void* p) { of(p)->want_write = false; };
    ac->ev.cleanup = [](void* p) {
      // The context is being freed: stop watching its socket without closing it (hiredis does).
      Link* k = of(p);
      Io* self = static_cast<Io*>(k->ac->data);
      k->ac = nullptr;
      boost::system::error_code ignored;
      k->sd.cancel(ignored);
      k->sd.release();
      self->pending.clear();
      self->connecting = false;
      self->link.reset();  // handlers in flight keep it alive until they see ac == nullptr
      self->mark_down();
    };
    redisAsyncSetConnectCallback(ac, [](const redisAsyncContext* c, int status) {
      Io* self = static_cast<Io*>(c->data);
      self->connecting = false;
      if (status != REDIS_OK) {
        g_errors.fetch_add(1);
        return;  // hiredis frees the context, and cleanup forgets it
      }
      if (self->store.options_.password.empty()) {
        if (!self->store.up_.exchange(true)) g_connected.fetch_add(1);
        return;
      }
      self->authenticate();
    });
    redisAsyncSetDisconnectCallback(ac, [](const redisAsyncContext*, int) {});
    // hiredis learns that the connection is up from the first writable event, which setting the
    // connect callback above asked for.
  }

  // AUTH before anything else; the store is up once Redis says OK. A refusal drops the
  // connection (tried again in half a second) and is reported once until it changes.
  void authenticate() {
    const RedisOptions& o = store.options_;
    const char* argv[] = {"AUTH", o.username.empty() ? o.password.c_str() : o.username.c_str(),
                          o.password.c_str()};
    const std::size_t lens[] = {4, o.username.empty() ? o.password.size() : o.username.size(),
                                o.password.size()};
    const int argc = o.username.empty() ? 2 : 3;
    auto on_auth = [](redisAsyncContext* c, void* r, void*) {
      Io* self = static_cast<Io*>(c->data);
      if (!self->pending.empty()) self->pending.pop_front();
      auto* reply = static_cast<redisReply*>(r);
      if (reply == nullptr) return;  // the connection went away
      if (reply->type == REDIS_REPLY_STATUS) {
        self->auth_error.clear();
        if (!self->store.up_.exchange(true)) g_connected.fetch_add(1);
        return;
      }
      g_errors.fetch_add(1);
      std::string why = reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                         : "unexpected reply to AUTH";
      if (why != self->auth_error) {
        std::fprintf(stderr, "portcullis: redis: AUTH refused: %s\n", why.c_str());
        self->auth_error = why;
      }
      redisAsyncDisconnect(c);
    };
    if (redisAsyncCommandArgv(link->ac, on_auth, nullptr, argc, argv, lens) != REDIS_OK) {
      g_errors.fetch_add(1);
      return;
    }
    pending.push_back({now_ns() + store.options_.timeout_ns});
  }
  std::string auth_error;  // the last refusal reported

  // Every 50 ms: a refill past its deadline means Redis is down or stuck: drop the connection
  // (its refills fail). Without a connection, try again every half second.
  void tick() {
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const std::int64_t now = now_ns();
      if (link && link->ac && !pending.empty() && pending.front().deadline_ns < now) {
        g_errors.fetch_add(1);
        mark_down();
        redisAsyncFree(link->ac);  // calls back every pending refill with no reply
      }
      if (!link && now - last_attempt_ns >= 500'000'000) connect();
      tick();
    });
  }
  std::int64_t last_attempt_ns = 0;

  struct Request {
    RedisStore* store;
    Slot* slot;
    std::uint64_t key;
    std::int64_t want;
    std::int64_t sent_ns;
  };

  static void on_reply(redisAsyncContext* c, void* r, void* privdata) {
    std::unique_ptr<Request> req(static_cast<Request*>(privdata));
    Io* self = static_cast<Io*>(c->data);
    if (!self->pending.empty()) self->pending.pop_front();
    auto* reply = static_cast<redisReply*>(r);
    Slot& slot = *req->slot;
    const bool same_key = slot.key.load(std::memory_order_relaxed) == req->key;
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_INTEGER ||
        reply->element[1]->type != REDIS_REPLY_INTEGER) {
      if (reply != nullptr) {
        g_errors.fetch_add(1);
        if (reply->type == REDIS_REPLY_ERROR) {
          std::fprintf(stderr, "portcullis: redis: %.*s\n", static_cast<int>(reply->len),
                       reply->str);
        }
      }
      self->mark_down();
      if (same_key) slot.refill_since.store(0, std::memory_order_release);
      return;
    }
    if (!self->store.up_.exchange(true)) g_connected.fetch_add(1);
    if (!same_key) return;  // the slot went to another key meanwhile: the grant is lost
    const std::int64_t granted = reply->element[0]->integer;
    const std::int64_t wait_us = reply->element[1]->integer;
    slot.tokens.fetch_add(granted, std::memory_order_acq_rel);
    if (granted < req->want) {
      slot.blocked_until.store(req->sent_ns + wait_us * 1000, std::memory_order_release);
    }
    slot.refill_since.store(0, std::memory_order_release);
  }

  void send(std::unique_ptr<Request> req, const Gcra& gcra) {
    if (!link || link->ac == nullptr || !store.up()) {
      if (req->slot->key.load() == req->key) req->slot->refill_since.store(0);
      return;
    }
    char key[96];
    const int key_len = std::snprintf(key, sizeof key, "%s:%016llx", store.options_.prefix.c_str(),
                                      static_cast<unsigned long long>(req->key));
    char emission[32], window[32], want[24];
    const int e_len = std::snprintf(emission, sizeof emission, "%.3f",
                                    static_cast<double>(gcra.emission_ns()) / 1000.0);
    const int w_len = std::snprintf(window, sizeof window, "%.3f",
                                    static_cast<double>(gcra.window_ns()) / 1000.0);
    const int n_len = std::snprintf(want, sizeof want, "%lld", static_cast<long long>(req->want));
    const char* argv[] = {"EVAL", kTakeScript.data(), "1", key, emission, window, want};
    const std::size_t lens[] = {4,
                                kTakeScript.size(),
                                1,
                                static_cast<std::size_t>(std::min<int>(key_len, sizeof key - 1)),
                                static_cast<std::size_t>(e_len),
                                static_cast<std::size_t>(w_len),
                                static_cast<std::size_t>(n_len)};
    Request* raw = req.get();
    if (redisAsyncCommandArgv(link->ac, &Io::on_reply, raw, 7, argv, lens) != REDIS_OK) {
      g_errors.fetch_add(1);
      mark_down();
      if (raw->slot->key.load() == raw->key) raw->slot->refill_since.store(0);
      return;
    }
    req.release();  // on_reply owns it now
    pending.push_back({now_ns() + store.options_.timeout_ns});
    g_refills.fetch_add(1);
  }
};

RedisStore::RedisStore(const RedisOptions& options)
    : options_(options),
      mask_(std::bit_ceil(std::max<std::size_t>(1, (options.capacity + kWays - 1) / kWays)) - 1),
      slots_(new Slot[(mask_ + 1) * kWays]) {
  g_configured.fetch_add(1);
  io_ = std::make_unique<Io>(*this);
}

RedisStore::~RedisStore() {
  io_.reset();
  if (up_.load()) g_connected.fetch_sub(1);
  g_configured.fetch_sub(1);
}

std::int64_t RedisStore::batch_for(const Gcra& gcra) noexcept {
  const std::int64_t per_20th = 50'000'000 / std::max<std::int64_t>(1, gcra.emission_ns());
  const std::int64_t burst = gcra.burst();
  return std::clamp<std::int64_t>(std::max(per_20th, burst / 8), 1, burst);
}

RedisStore::Slot* RedisStore::slot_for(std::uint64_t key, std::int64_t now_ns) noexcept {
  if (key == 0) key = 1;
  Slot* set = &slots_[(key & mask_) * kWays];
  for (std::size_t i = 0; i < kWays; ++i) {
    if (set[i].key.load(std::memory_order_acquire) == key) return &set[i];
  }
  // Take the least recently used slot, preferring one with no refill in flight. Its unspent
  // tokens are forgotten (the key spends less than it may); its debt is forgiven (at most one
  // batch more).
  Slot* victim = &set[0];
  for (std::size_t i = 1; i < kWays; ++i) {
    const bool busy = set[i].refill_since.load(std::memory_order_relaxed) != 0;
    const bool victim_busy = victim->refill_since.load(std::memory_order_relaxed) != 0;
    if ((victim_busy && !busy) ||
        (busy == victim_busy && set[i].used.load(std::memory_order_relaxed) <
                                    victim->used.load(std::memory_order_relaxed))) {
      victim = &set[i];
    }
  }
  victim->key.store(key, std::memory_order_release);
  victim->tokens.store(0, std::memory_order_relaxed);
  victim->blocked_until.store(0, std::memory_order_relaxed);
  victim->refill_since.store(0, std::memory_order_relaxed);
  victim->used.store(now_ns, std::memory_order_relaxed);
  return victim;
}

void RedisStore::refill(Slot& slot, std::uint64_t key, const Gcra& gcra,
                        std::int64_t now_ns) noexcept {
  std::int64_t since = slot.refill_since.load(std::memory_order_acquire);
  if (since != 0) return;  // one in flight
  if (!slot.refill_since.compare_exchange_strong(since, now_ns)) return;
  const std::int64_t batch = batch_for(gcra);
  const std::int64_t owed = std::max<std::int64_t>(0, -slot.tokens.load());
  auto req = std::make_unique<Io::Request>(
      Io::Request{this, &slot, key, std::min<std::int64_t>(batch + owed, 2 * batch), now_ns});
  Io* io = io_.get();
  const Gcra g = gcra;
  try {
    asio::post(io->io, [io, g, r = std::move(req)]() mutable { io->send(std::move(r), g); });
  } catch (...) {
    slot.refill_since.store(0);
  }
}

GlobalDecision RedisStore::take(std::uint64_t key, const Gcra& gcra, std::uint32_t cost,
                                std::int64_t now_ns) noexcept {
  GlobalDecision d;
  if (!up()) return d;  // kUnavailable
  Slot& slot = *slot_for(key, now_ns);
  slot.used.store(now_ns, std::memory_order_relaxed);
  const std::int64_t batch = batch_for(gcra);
  const std::int64_t blocked = slot.blocked_until.load(std::memory_order_acquire);
  const std::int64_t c = std::clamp<std::int64_t>(cost, 1, gcra.burst());
  if (now_ns < blocked && slot.tokens.load(std::memory_order_acquire) < c) {
    d.kind = GlobalDecision::Kind::kRefused;
    d.retry_after_ns = blocked - now_ns;
    return d;
  }
  const std::int64_t left = slot.tokens.fetch_sub(c, std::memory_order_acq_rel) - c;
  if (left < batch / 2 + 1 && now_ns >= blocked) refill(slot, key, gcra, now_ns);
  if (left >= -batch) {
    d.kind = GlobalDecision::Kind::kAllowed;
    d.remaining = std::max<std::int64_t>(0, left);
    return d;
  }
  // More on credit than a batch: Redis is slower than this key's requests. The caller decides
  // this one locally (kUnavailable while up()) until the grant arrives.
  slot.tokens.fetch_add(c, std::memory_order_acq_rel);
  return d;
}

void RedisStore::add_tokens(std::uint64_t key, std::int64_t delta) noexcept {
  if (key == 0) key = 1;
  Slot* set = &slots_[(key & mask_) * kWays];
  for (std::size_t i = 0; i < kWays; ++i) {
    if (set[i].key.load(std::memory_order_acquire) == key) {
      set[i].tokens.fetch_add(delta, std::memory_order_acq_rel);
      return;
    }
  }
}

void RedisStore::give_back(std::uint64_t key, std::uint32_t cost) noexcept {
  add_tokens(key, cost);
}

void RedisStore::charge(std::uint64_t key, std::uint32_t cost) noexcept {
  add_tokens(key, -static_cast<std::int64_t>(cost));
}

RedisStore::Stats RedisStore::stats() noexcept {
  return {g_refills.load(), g_errors.load(), g_fallbacks.load(), g_connected.load(),
          g_configured.load()};
}

void RedisStore::count_fallback() noexcept { g_fallbacks.fetch_add(1, std::memory_order_relaxed); }

}  // namespace portcullis::ratelimit
