// Security events of the request path. Until the event log of its own exists, each event is one
// line on standard error.
#pragma once

#include "core/exchange.h"

namespace portcullis::proxy {

// Logs the verdict that detect mode let through (exchange.detected).
void log_detected(const Exchange& exchange);

}  // namespace portcullis::proxy
