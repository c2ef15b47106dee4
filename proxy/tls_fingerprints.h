// TLS client fingerprints of a data-plane connection: JA3 and JA4 (bots/ja3.h, bots/ja4.h),
// computed from the ClientHello as it arrives, before the handshake completes. They live with
// the connection's SSL object. Plain header: no Asio in it.
#pragma once

#include <string>

#include "core/exchange.h"

typedef struct ssl_st SSL;

namespace portcullis::proxy {

struct TlsFingerprints {
  std::string ja3;       // "771,4865-4866-...,0-23-...,29-23-24,0"
  std::string ja3_hash;  // its MD5, 32 hex digits
  std::string ja4;       // "t13d1516h2_8daaf6152771_e5627efa2ab1"
  std::string ja4_r;     // the raw form
  bool grease = false;   // a GREASE cipher suite or extension (RFC 8701) was offered

  // Points the exchange's TLS fingerprint fields at these (which outlive it, with the SSL).
  void fill(Exchange& ex) const noexcept {
    ex.ja3 = ja3;
    ex.ja3_hash = ja3_hash;
    ex.ja4 = ja4;
    ex.ja4_r = ja4_r;
    ex.tls_grease = grease;
  }
};

// Makes `ssl` (a server connection, before its handshake) compute its fingerprints from the
// first ClientHello it reads. Cheap: the work happens once, when that message arrives.
void watch_client_hello(SSL* ssl) noexcept;

// The fingerprints computed for `ssl`, or nullptr (none watched, no ClientHello yet, or one
// the parser refused). Valid as long as `ssl`.
const TlsFingerprints* tls_fingerprints(SSL* ssl) noexcept;

}  // namespace portcullis::proxy
