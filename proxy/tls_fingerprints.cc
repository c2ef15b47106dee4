#include "proxy/tls_fingerprints.h"

#include <openssl/ssl.h>

#include <memory>
#include <new>
#include <span>

#include "bots/client_hello.h"
#include "bots/ja3.h"
#include "bots/ja4.h"

namespace portcullis::proxy {
namespace {

void free_fingerprints(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*idx*/,
                       long /*argl*/, void* /*argp*/) {
  delete static_cast<TlsFingerprints*>(ptr);
}

int fingerprint_index() noexcept {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_fingerprints);
  return index;
}

// OpenSSL's message callback sees each handshake message whole, GREASE and extensions it does
// not know included (its client-hello getters leave those out, which would change JA4).
void on_message(int write_p, int /*version*/, int content_type, const void* buf, std::size_t len,
                SSL* ssl, void* /*arg*/) {
  if (write_p != 0 || content_type != SSL3_RT_HANDSHAKE || len == 0) return;
  const auto* bytes = static_cast<const std::uint8_t*>(buf);
  if (bytes[0] != SSL3_MT_CLIENT_HELLO) return;
  const int index = fingerprint_index();
  // The first ClientHello names the client; one sent again after a HelloRetryRequest is kept
  // out, as the JA4 reference does.
  if (index < 0 || SSL_get_ex_data(ssl, index) != nullptr) return;
  bots::ClientHello hello = bots::parse_client_hello_message(std::span(bytes, len));
  if (!hello.ok()) return;
  auto* fp = new (std::nothrow) TlsFingerprints();
  if (fp == nullptr) return;
  bots::Ja3 ja3 = bots::ja3_fingerprint(hello);
  bots::Ja4 ja4 = bots::ja4_fingerprint(hello);
  fp->ja3 = std::move(ja3.text);
  fp->ja3_hash = std::move(ja3.md5);
  fp->ja4 = std::move(ja4.fingerprint);
  fp->ja4_r = std::move(ja4.raw);
  for (std::uint16_t suite : hello.cipher_suites) fp->grease |= bots::is_grease(suite);
  for (const bots::Extension& e : hello.extensions) fp->grease |= bots::is_grease(e.type);
  if (SSL_set_ex_data(ssl, index, fp) != 1) delete fp;
}

}  // namespace

void watch_client_hello(SSL* ssl) noexcept {
  if (fingerprint_index() < 0) return;
  SSL_set_msg_callback(ssl, &on_message);
}

const TlsFingerprints* tls_fingerprints(SSL* ssl) noexcept {
  const int index = fingerprint_index();
  if (ssl == nullptr || index < 0) return nullptr;
  return static_cast<const TlsFingerprints*>(SSL_get_ex_data(ssl, index));
}

}  // namespace portcullis::proxy
