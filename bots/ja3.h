// JA3 (github.com/salesforce/ja3): a TLS client fingerprint made of five ClientHello fields,
// "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats". Values are decimal
// and joined by '-' in the client's order; GREASE values (RFC 8701) are left out; an absent
// extension gives an empty field. SSLVersion is ClientHello.legacy_version, not the record's.
// Example: "771,4865-4866-4867,0-23-65281-10-11,29-23-24,0".
#pragma once

#include <string>

#include "bots/client_hello.h"

namespace portcullis::bots {

struct Ja3 {
  std::string text;  // the JA3 string ("ja3_full" in Wireshark)
  std::string md5;   // its MD5, 32 lowercase hex digits (the usual "JA3 hash")
};

// The JA3 of `hello`. Both strings are empty if !hello.ok(); `md5` alone is empty if OpenSSL
// offers no MD5 (FIPS-only configuration). Safe for concurrent use.
Ja3 ja3_fingerprint(const ClientHello& hello) noexcept;

}  // namespace portcullis::bots
