// JA4 (TLS client) by FoxIO, as technical_details/JA4.md of github.com/FoxIO-LLC/ja4 specifies
// it, for TLS over TCP (prefix 't'); our own implementation of that method, which FoxIO
// publishes under the BSD 3-Clause license. The other JA4+ methods (JA4S, JA4H, JA4X, ...) are
// under the FoxIO License and are not implemented here.
//
//   t13d1516h2_8daaf6152771_e5627efa2ab1
//   a: 't', TLS version ("13": the highest non-GREASE supported_versions value, else
//      legacy_version), 'd' if server_name is present else 'i', the counts of cipher suites
//      and of extensions without GREASE (2 digits, at most 99), the first and last character
//      of the first ALPN name ("00" without ALPN; the first and last hex digit of the name's
//      bytes when either end is not alphanumeric)
//   b: first 12 hex digits of the SHA-256 of the sorted cipher suites in 4-digit hex, joined by
//      ','; "000000000000" when there are none
//   c: the same of the sorted extension types less server_name (0000) and ALPN (0010), then '_'
//      and the signature algorithms in the client's order (no '_' when there are none);
//      "000000000000" when the sorted list is empty
// GREASE values (RFC 8701) are dropped everywhere.
#pragma once

#include <string>

#include "bots/client_hello.h"

namespace portcullis::bots {

struct Ja4 {
  std::string fingerprint;  // JA4, 36 characters
  std::string raw;          // JA4_r: `a`, then the lists that `b` and `c` hash, unhashed
};

// The JA4 and JA4_r of `hello` for TLS over TCP. Both are empty if !hello.ok() or OpenSSL fails
// to hash. Safe for concurrent use.
Ja4 ja4_fingerprint(const ClientHello& hello) noexcept;

}  // namespace portcullis::bots
