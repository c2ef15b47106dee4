// TLS streams of the data plane. Included only by the files that handshake or serve TLS, so
// that Asio's SSL layer is compiled in few places.
#pragma once

#include <boost/asio/ssl.hpp>

#include "proxy/asio.h"

namespace portcullis::proxy {

using TlsStream = asio::ssl::stream<tcp::socket>;

class Worker;

// Serves HTTP/1.1 on an established TLS stream (defined in http1_session.cc).
void start_http1_session(Worker& worker, TlsStream stream);

}  // namespace portcullis::proxy
