#include "proxy/events.h"

#include <cstdio>

namespace portcullis::proxy {

void log_detected(const Exchange& ex) {
  std::string_view action = to_string(ex.detected.action);
  std::fprintf(stderr,
               "portcullis: detect: would %.*s request_id=%.*s stage=%.*s status=%u "
               "reason=\"%.*s\" method=%.*s path=%.*s client=%.*s\n",
               int(action.size()), action.data(), int(ex.request_id.size()), ex.request_id.data(),
               int(ex.detected.stage.size()), ex.detected.stage.data(),
               unsigned(ex.detected.status), int(ex.detected.reason.size()),
               ex.detected.reason.data(), int(ex.method.size()), ex.method.data(),
               int(ex.path.size()), ex.path.data(), int(ex.client_ip.size()), ex.client_ip.data());
}

}  // namespace portcullis::proxy
