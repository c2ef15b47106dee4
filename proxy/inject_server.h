// `portcullis inject --listen ADDR --tls-cert FILE --tls-key FILE [--config FILE]`: the sidecar
// injection webhook's HTTPS server (docs/kubernetes.md "Injection webhook").
#pragma once

namespace portcullis::proxy {

// Runs the webhook until SIGTERM or SIGINT; `argv` holds the arguments after "inject". Returns
// the process's exit status (1 for bad arguments, a bad certificate or a port in use).
int run_inject(int argc, char** argv);

}  // namespace portcullis::proxy
