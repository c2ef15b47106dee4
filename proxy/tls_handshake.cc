// The TLS handshake of an accepted connection, bounded by the header timeout. A failed
// handshake (plain HTTP on a TLS port, a truncated or refused handshake, an unknown CA) is
// counted and the connection closed; nothing else is affected.
#include <openssl/ssl.h>

#include "config/snapshot.h"
#include "proxy/tls.h"
#include "proxy/tls_fingerprints.h"
#include "proxy/worker.h"

namespace portcullis::proxy {
namespace {

awaitable<void> handshake(Worker& worker, std::uint16_t listener, tcp::socket socket,
                          std::shared_ptr<const config::TlsServerContext> tls) {
  SSL_CTX* native = tls->default_context();
  SSL_CTX_up_ref(native);
  asio::ssl::context context(native);  // owns the reference taken just above
  // The client's address is taken now: a client that resets the connection takes it along.
  boost::system::error_code peer_error;
  const tcp::endpoint client = socket.remote_endpoint(peer_error);
  TlsStream stream(std::move(socket), context);
  watch_client_hello(stream.native_handle());

  asio::steady_timer timer(worker.io());
  timer.expires_after(worker.snapshot()->timeouts.header);
  bool timed_out = false;
  timer.async_wait([&timed_out, &stream](const boost::system::error_code& ec) {
    if (ec) return;
    timed_out = true;
    boost::system::error_code ignored;
    stream.next_layer().cancel(ignored);
  });
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  timer.cancel();
  if (ec || timed_out) {
    worker.metrics().tls_handshake_failures.add();
    if (const TlsFingerprints* fp = tls_fingerprints(stream.native_handle())) {
      worker.handshake_failure(client, *fp, timed_out ? "timed out" : ec.message());
    }
    boost::system::error_code ignored;
    stream.next_layer().close(ignored);
    co_return;
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(stream.native_handle(), &alpn, &alpn_len);
  if (alpn_len == 2 && alpn[0] == 'h' && alpn[1] == '2') {
    start_h2_session(worker, listener, std::move(stream), {});
  } else {
    start_http1_session(worker, listener, std::move(stream));
  }
}

}  // namespace

void start_tls_handshake(Worker& worker, std::uint16_t listener, tcp::socket socket,
                         std::shared_ptr<const config::TlsServerContext> tls) {
  asio::co_spawn(worker.io(), handshake(worker, listener, std::move(socket), std::move(tls)),
                 asio::detached);
}

}  // namespace portcullis::proxy
