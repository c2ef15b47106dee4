#include "proxy/demo_upstream.h"

#include <string>
#include <vector>

#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/http1/chunked.h"
#include "proxy/http1/parser.h"

namespace portcullis::proxy {

struct DemoUpstream::State {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
};

namespace {

awaitable<void> serve(tcp::socket socket) {
  Buffer buf(64 * 1024);
  std::vector<HeaderField> fields(200);
  std::string out;
  http1::Limits limits{48 * 1024, 200, 16 * 1024};
  while (true) {
    http1::RequestHead req;
    http1::ParseError err;
    http1::ParseState st;
    while ((st = http1::parse_request(buf.pending(), limits, fields, req, err)) ==
           http1::ParseState::kIncomplete) {
      auto [ec, n] = co_await socket.async_read_some(
          asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
      if (ec) co_return;
      buf.commit(n);
    }
    if (st == http1::ParseState::kError) co_return;

    std::string body = "Hello from the Portcullis demo upstream.\n\nIt received:\n\n";
    body.append(req.method).append(" ").append(req.target).append(" HTTP/1.");
    body += char('0' + req.version_minor);
    body += '\n';
    for (const HeaderField& f : req.headers)
      body.append(f.name).append(": ").append(f.value) += '\n';
    buf.consume(req.head_bytes);

    // Read and count the body so that the connection stays usable.
    std::uint64_t received = 0;
    http1::ChunkedDecoder decoder;
    std::uint64_t remaining = req.content_length;
    while (req.body == http1::BodyKind::kChunked ? !decoder.done() : remaining > 0) {
      if (buf.empty()) {
        buf.compact();
        auto [ec, n] = co_await socket.async_read_some(
            asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
        if (ec) co_return;
        buf.commit(n);
      }
      if (req.body == http1::BodyKind::kChunked) {
        auto step = decoder.next(buf.pending());
        if (!decoder.error().empty()) co_return;
        received += step.data.size();
        buf.consume(step.consumed);
      } else {
        std::size_t n = std::min<std::uint64_t>(remaining, buf.size());
        remaining -= n;
        received += n;
        buf.consume(n);
      }
    }
    if (received) body += "\n(" + std::to_string(received) + " body bytes)\n";

    out = "HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: " +
          std::to_string(body.size()) + "\r\nserver: portcullis-demo\r\n";
    if (!req.keep_alive) out += "connection: close\r\n";
    out += "\r\n";
    if (req.method != "HEAD") out += body;
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
    if (ec || !req.keep_alive) co_return;
    buf.compact();
  }
}

awaitable<void> accept_loop(tcp::acceptor& acceptor) {
  while (true) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

DemoUpstream::DemoUpstream(const config::SocketAddress& addr) : state_(std::make_unique<State>()) {
  tcp::endpoint endpoint(asio::ip::make_address(addr.ip), addr.port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(asio::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen();
  asio::co_spawn(state_->io, accept_loop(state_->acceptor), asio::detached);
  thread_ = std::thread([this] { state_->io.run(); });
}

DemoUpstream::~DemoUpstream() {
  state_->io.stop();
  if (thread_.joinable()) thread_.join();
}

std::uint16_t DemoUpstream::port() const noexcept {
  boost::system::error_code ec;
  return state_->acceptor.local_endpoint(ec).port();
}

}  // namespace portcullis::proxy
