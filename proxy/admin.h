// AdminServer: the control plane's event loop. It serves the admin listener (docs/admin-api.md:
// /healthz, /readyz, /metrics, /config/status, POST /reload, /events), watches the config file
// for changes (inotify on its directory, so that a Kubernetes ConfigMap's `..data` symlink swap
// is seen), and runs the reloads that SIGHUP asks for. Everything it does runs on its one
// thread, so reloads never overlap.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/snapshot.h"

namespace portcullis::proxy {

class Server;

class AdminServer {
 public:
  explicit AdminServer(Server& server);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds the admin listener; returns its port. Throws std::system_error.
  std::uint16_t listen(const config::SocketAddress& address);
  // Reloads when the file at `path` (or the `..data` link beside it) changes. Errors (no such
  // directory) are returned as text; the proxy runs on without watching.
  std::string watch(const std::string& path);

  void run();                           // the control thread's body
  void stop();                          // any thread
  void post(std::function<void()> fn);  // any thread: runs `fn` on the control thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::proxy
