// `portcullis inject`: the sidecar injection webhook's HTTPS server. It answers
// POST /mutate with the decision of inject/webhook.h, and GET /healthz for its probes, on one
// thread (the API server sends one review per pod creation: this is not a data plane).
#include "proxy/inject_server.h"

#include <openssl/ssl.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "config/tls.h"
#include "core/json_text.h"
#include "inject/webhook.h"
#include "proxy/buffer.h"
#include "proxy/http1/parser.h"
#include "proxy/local_response.h"
#include "proxy/tls.h"

namespace portcullis::proxy {
namespace {

// An AdmissionReview of a large pod is tens of KiB; the API server's own limit is 3 MiB.
constexpr std::size_t kMaxBody = 3 << 20;
constexpr std::size_t kMaxHead = 16 * 1024;

std::string response(int status, std::string_view type, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " +
                    std::string(reason_phrase(static_cast<std::uint16_t>(status))) + "\r\n";
  out += "content-type: " + std::string(type) + "\r\ncontent-length: ";
  out += std::to_string(body.size());
  out += "\r\n\r\n";
  out += body;
  return out;
}

std::string error_json(std::string_view message) {
  std::string out = "{\"error\":";
  append_json_string(out, message);
  return out + "}\n";
}

awaitable<void> serve(tcp::socket socket, asio::ssl::context& context,
                      const inject::InjectOptions& options) {
  TlsStream stream(std::move(socket), context);
  asio::steady_timer timer(stream.get_executor());
  // A client gets 30 s for its handshake and each request.
  auto arm = [&] {
    timer.expires_after(std::chrono::seconds(30));
    timer.async_wait([&stream](const boost::system::error_code& ec) {
      if (ec) return;
      boost::system::error_code ignored;
      stream.next_layer().close(ignored);
    });
  };
  arm();
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
  if (hec) co_return;
  Buffer buf(kMaxHead + kMaxBody);
  std::vector<HeaderField> fields(100);
  while (true) {
    arm();
    http1::RequestHead req;
    http1::ParseError perr;
    http1::ParseState state = http1::ParseState::kIncomplete;
    while (true) {
      state =
          http1::parse_request(buf.pending(), {kMaxHead, fields.size(), 8192}, fields, req, perr);
      if (state != http1::ParseState::kIncomplete || buf.write_space() == 0) break;
      auto [ec, n] = co_await stream.async_read_some(
          asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
      if (ec) co_return;
      buf.commit(n);
    }
    std::string out;
    bool keep = false;
    if (state != http1::ParseState::kComplete) {
      out = response(state == http1::ParseState::kError ? perr.status : 431, "application/json",
                     error_json("malformed request"));
    } else if (req.body == http1::BodyKind::kChunked ||
               (req.body == http1::BodyKind::kContentLength && req.content_length > kMaxBody)) {
      out = response(413, "application/json",
                     error_json("a review is sent with a Content-Length of at most 3 MiB"));
    } else {
      const std::size_t length = req.body == http1::BodyKind::kContentLength
                                     ? static_cast<std::size_t>(req.content_length)
                                     : 0;
      // The body is read in after the head, which stays where it is: the request's fields
      // point into it. The buffer holds the largest head and body.
      while (buf.size() < req.head_bytes + length) {
        auto [ec, n] = co_await stream.async_read_some(
            asio::buffer(buf.write_ptr(), buf.write_space()), kNoThrow);
        if (ec) co_return;
        buf.commit(n);
      }
      const std::string_view body = buf.pending().substr(req.head_bytes, length);
      keep = req.keep_alive;
      if (req.path == "/mutate") {
        if (req.method != "POST") {
          out = response(405, "application/json", error_json("POST an AdmissionReview to /mutate"));
        } else {
          inject::Answer a = inject::review(body, options);
          out = response(a.status, "application/json", a.body);
        }
      } else if (req.path == "/healthz") {
        out = response(200, "text/plain", "ok\n");
      } else {
        out = response(404, "application/json", error_json("no such endpoint"));
      }
      buf.consume(req.head_bytes + length);
      buf.compact();
    }
    auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(out), kNoThrow);
    timer.cancel();
    if (wec || !keep) break;
  }
  boost::system::error_code ignored;
  stream.next_layer().close(ignored);
}

awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context& context,
                            const inject::InjectOptions& options) {
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec == asio::error::operation_aborted) break;
    if (ec) continue;
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), context, options),
                   asio::detached);
  }
}

int fail(const std::string& message) {
  std::fprintf(stderr, "portcullis inject: %s\n", message.c_str());
  return 1;
}

// The options of `--config FILE` (docs/kubernetes.md "Injection webhook").
Result<inject::InjectOptions> load_options(const std::string& path) {
  inject::InjectOptions o;
  if (path.empty()) return o;
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Error{path + ": " + e.what()};
  }
  if (!root.IsMap()) return Error{path + ": expected a map of injection options"};
  try {
    for (const auto& item : root) {
      const std::string key = item.first.as<std::string>();
      const YAML::Node& v = item.second;
      if (key == "image") {
        o.image = v.as<std::string>();
      } else if (key == "image_pull_policy") {
        o.image_pull_policy = v.as<std::string>();
      } else if (key == "port") {
        o.port = v.as<std::uint16_t>();
      } else if (key == "admin_port") {
        o.admin_port = v.as<std::uint16_t>();
      } else if (key == "configmap_prefix") {
        o.configmap_prefix = v.as<std::string>();
      } else if (key == "default_policy") {
        o.default_policy = v.as<std::string>();
      } else if (key == "native_sidecars") {
        o.native_sidecars = v.as<bool>();
      } else if (key == "resources") {
        o.cpu_request = v["requests"]["cpu"].as<std::string>(o.cpu_request);
        o.memory_request = v["requests"]["memory"].as<std::string>(o.memory_request);
        o.cpu_limit = v["limits"]["cpu"].as<std::string>(o.cpu_limit);
        o.memory_limit = v["limits"]["memory"].as<std::string>(o.memory_limit);
      } else {
        return Error{path + ": unknown key '" + key + "'"};
      }
    }
  } catch (const YAML::Exception& e) {
    return Error{path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
  if (o.port == 0 || o.admin_port == 0 || o.port == o.admin_port) {
    return Error{path + ": port and admin_port must be two different ports from 1 to 65535"};
  }
  return o;
}

}  // namespace

int run_inject(int argc, char** argv) {
  std::string listen = "0.0.0.0:8443", cert, key, config_file;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (arg == "--listen") {
      ok = value(listen);
    } else if (arg == "--tls-cert") {
      ok = value(cert);
    } else if (arg == "--tls-key") {
      ok = value(key);
    } else if (arg == "--config") {
      ok = value(config_file);
    } else {
      return fail("unknown argument '" + std::string(arg) +
                  "' (usage: portcullis inject --listen ADDR --tls-cert FILE --tls-key FILE "
                  "[--config FILE])");
    }
    if (!ok) return fail(std::string(arg) + " needs a value");
  }
  if (cert.empty() || key.empty()) return fail("--tls-cert and --tls-key are required");
  auto options = load_options(config_file);
  if (!options) return fail(options.error().to_string());
  config::TlsSettings settings;
  settings.certificates.push_back({cert, key, {}});
  settings.alpn = {"http/1.1"};
  auto tls = config::TlsServerContext::build(settings);
  if (!tls) return fail(tls.error().to_string());
  const std::size_t colon = listen.rfind(':');
  boost::system::error_code ec;
  auto address = asio::ip::make_address(
      colon == std::string::npos ? std::string() : listen.substr(0, colon), ec);
  const int port = colon == std::string::npos ? -1 : std::atoi(listen.c_str() + colon + 1);
  if (ec || port < 0 || port > 65535) return fail("--listen " + listen + ": expected IP:PORT");

  asio::io_context io(1);
  SSL_CTX* native = tls.value()->default_context();
  SSL_CTX_up_ref(native);
  asio::ssl::context context(native);
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(address, static_cast<std::uint16_t>(port));
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("cannot listen on " + listen + ": " + ec.message());
  std::fprintf(stderr, "portcullis: listening on https://%s:%u/mutate (injection webhook)\n",
               acceptor.local_endpoint().address().to_string().c_str(),
               acceptor.local_endpoint().port());
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    io.stop();
  });
  asio::co_spawn(io, accept_loop(acceptor, context, options.value()), asio::detached);
  io.run();
  return 0;
}

}  // namespace portcullis::proxy
