// The bot challenge: a proof-of-work page, and the signed pass that solving it earns.
//
// The page carries a puzzle, "v1.EXPIRY.DIFFICULTY.MAC": MAC is an HMAC-SHA-256 (first 16
// bytes, hex) under the configured secret over the expiry, the difficulty, the client's IP and
// its binding (JA4 and User-Agent), so the server keeps no state. The page's script finds a
// NONCE such that SHA-256("PUZZLE.NONCE") starts with DIFFICULTY zero bits, stores
// "PUZZLE.NONCE" in the pass cookie and reloads. A request with a valid pass goes through
// until EXPIRY. A pass copied to another address or another client stack fails its MAC, as does
// any forged one; an expired one fails its date. Reload rotates secrets: the first configured
// secret signs, every configured secret verifies, so passes signed under the previous secret
// keep working while it is still listed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/exchange.h"

namespace portcullis::bots {

struct ChallengeConfig {
  std::vector<std::string> secrets;  // each at least 16 bytes; the first signs
  unsigned difficulty = 16;    // leading zero bits, 1..32 (2^16 hashes ≈ 0.2 s in a browser)
  std::uint32_t ttl_s = 3600;  // how long a pass lets its client through
  std::string cookie = "portcullis_pass";
};

enum class PassStatus : std::uint8_t {
  kMissing,   // no pass cookie
  kValid,     // solved, signed by a configured secret for this client, not expired
  kExpired,   // signed and solved, but past its expiry
  kInvalid,   // malformed, forged, for another client, or signed by a secret no longer listed
  kUnsolved,  // signed, but the nonce does not solve it (or the difficulty is lower than now)
};
std::string_view to_string(PassStatus status) noexcept;

// Built once per config snapshot; safe for concurrent use by multiple threads.
class Challenge {
 public:
  explicit Challenge(ChallengeConfig config);

  // The challenge page for this client, in the exchange's arena.
  std::string_view page(Exchange& exchange, std::string_view binding, std::uint64_t now_s) const;
  // Checks the pass cookie the exchange carries (the last one of that name).
  PassStatus check(const Exchange& exchange, std::string_view binding,
                   std::uint64_t now_s) const noexcept;
  // Checks one pass value.
  PassStatus check_pass(std::string_view pass, std::string_view client_ip, std::string_view binding,
                        std::uint64_t now_s) const noexcept;

  // The puzzle a client at `client_ip` with `binding` is given at `now_s`.
  std::string puzzle(std::string_view client_ip, std::string_view binding,
                     std::uint64_t now_s) const;

  // A nonce that solves `puzzle` at `difficulty` (what the page's script does), for tests and
  // tools; searches at most `limit` nonces, returns -1 if none solves it.
  static std::int64_t solve(std::string_view puzzle, unsigned difficulty,
                            std::int64_t limit = 1 << 26);

  const ChallengeConfig& config() const noexcept { return config_; }
  // The page's script, and its 'sha256-...' source expression for Content-Security-Policy.
  static std::string_view script() noexcept;
  const std::string& script_hash() const noexcept { return script_hash_; }

 private:
  bool mac(std::string_view secret, std::string_view expiry, std::string_view difficulty,
           std::string_view client_ip, std::string_view binding, char (&out)[32]) const noexcept;

  ChallengeConfig config_;
  std::string script_hash_;
};

}  // namespace portcullis::bots
