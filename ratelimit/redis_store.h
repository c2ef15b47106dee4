// Global limits across replicas (docs/ratelimit.md "Global limits"): the GCRA state of a global
// limit's keys lives in Redis, and each process takes tokens from it in batches (leases), so a
// request is decided from the local lease and only one request in a batch starts a Redis round
// trip, which it does not wait for.
//
// - Redis runs GCRA for a batch at once, atomically, in a Lua script on its own clock: it grants
//   up to the tokens asked for (fewer when the bucket holds fewer) and says how long until the
//   next one. Every replica draws from the same bucket.
// - A process keeps, per key, the tokens it was granted and not yet spent. A request spends from
//   them; when fewer than half a batch are left, a refill is sent. A key's first requests (and
//   requests while a refill is late) may spend up to one batch on credit, repaid by the next
//   grant; past that credit they are decided by the limit's local bucket until the grant
//   arrives: no request waits for Redis. When Redis grants nothing, the key is refused until
//   the time Redis named.
// - A batch is a twentieth of a second of the limit's rate, or an eighth of its burst, whichever
//   is larger (at most the burst). A process can therefore pass at most about two batches more
//   than the global bucket allows (its lease and its credit), and leaves at most one batch
//   unused when it stops.
// - Redis is driven by hiredis on this store's own thread and io_context; workers never block on
//   it. A refill not answered within `timeout`, or any error, marks Redis down: requests under
//   global limits are then decided as `on_unavailable` says (the same limits kept locally, no
//   limit, or refused), and the store reconnects every half second, resuming when Redis is back.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "ratelimit/gcra.h"

namespace portcullis::ratelimit {

struct RedisOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string prefix = "portcullis";  // Redis keys are "PREFIX:KEYHASH"
  // AUTH on every connection when a password is set: `AUTH password` (requirepass), or
  // `AUTH username password` (an ACL user, Redis 6+).
  std::string username, password;
  std::int64_t timeout_ns = 250'000'000;
  enum class Unavailable : std::uint8_t {
    kLocal,   // each process keeps the global limits as local limits
    kOpen,    // global limits do not apply
    kClosed,  // requests under a global limit are refused with 503
  } on_unavailable = Unavailable::kLocal;
  std::size_t capacity = 65536;  // keys with a lease, per process

  bool operator==(const RedisOptions&) const = default;
};

struct GlobalDecision {
  enum class Kind : std::uint8_t { kAllowed, kRefused, kUnavailable } kind = Kind::kUnavailable;
  std::int64_t retry_after_ns = 0;  // kRefused
  std::int64_t remaining = 0;       // kAllowed: tokens this process still holds for the key
};

// Safe for concurrent use by multiple threads: take(), give_back() and charge() are lock-free
// and never block.
class RedisStore {
 public:
  explicit RedisStore(const RedisOptions& options);
  ~RedisStore();
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  // Decides a request of `cost` for `key` (the limit's key hash) of a limit with `gcra`.
  // kUnavailable: decide it without Redis (down when !up(), else slower than the key's requests).
  GlobalDecision take(std::uint64_t key, const Gcra& gcra, std::uint32_t cost,
                      std::int64_t now_ns) noexcept;
  // Returns what take() spent (the request was refused by another limit).
  void give_back(std::uint64_t key, std::uint32_t cost) noexcept;
  // Spends `cost` more after the fact (feedback); repaid by the next grant.
  void charge(std::uint64_t key, std::uint32_t cost) noexcept;

  bool up() const noexcept { return up_.load(std::memory_order_relaxed); }
  const RedisOptions& options() const noexcept { return options_; }
  // The tokens asked for at a time for a limit with `gcra`.
  static std::int64_t batch_for(const Gcra& gcra) noexcept;

  // Process-wide counters, summed over every store (for /metrics).
  struct Stats {
    std::uint64_t refills = 0;     // batches asked of Redis
    std::uint64_t errors = 0;      // refills that failed or timed out, failed connects
    std::uint64_t fallbacks = 0;   // requests decided without Redis while it was down
    std::uint64_t connected = 0;   // stores connected now
    std::uint64_t configured = 0;  // stores that exist
  };
  static Stats stats() noexcept;
  // Counts one request decided without Redis.
  static void count_fallback() noexcept;

  struct Slot;
  struct Io;

 private:
  Slot* slot_for(std::uint64_t key, std::int64_t now_ns) noexcept;
  void refill(Slot& slot, std::uint64_t key, const Gcra& gcra, std::int64_t now_ns) noexcept;
  // Adds `delta` to the tokens `key` holds, when it has a slot (one forgotten has nothing).
  void add_tokens(std::uint64_t key, std::int64_t delta) noexcept;

  RedisOptions options_;
  std::size_t mask_;  // sets - 1
  std::unique_ptr<Slot[]> slots_;
  std::atomic<bool> up_{false};
  std::unique_ptr<Io> io_;
};

}  // namespace portcullis::ratelimit
