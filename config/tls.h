// TLS server settings of a listener and their compiled form: one OpenSSL context per
// certificate, chosen by SNI. Built when the config compiles, so that a bad certificate or key
// is a config error with its file, line and key, and `--check` catches it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/host_pattern.h"
#include "core/result.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace portcullis::config {

struct TlsCertificate {
  std::string cert_file;  // PEM: the certificate, then its chain
  std::string key_file;   // PEM private key
  // Names this certificate serves (exact or "*.suffix"); empty: the certificate's own DNS
  // names (subjectAltName, else the subject CN).
  std::vector<std::string> server_names;
};

struct TlsSettings {
  std::vector<TlsCertificate> certificates;  // the first is the default (no or unknown SNI)
  std::string min_version = "TLS1.2";        // "TLS1.2" or "TLS1.3"
  std::string ciphers;       // TLS 1.2 cipher list, OpenSSL syntax; empty: OpenSSL's default
  std::string ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's default
  std::string groups;        // key exchange groups, e.g. "X25519:P-256"; empty: default
  std::string client_ca;     // PEM CA bundle: verify client certificates (mTLS)
  bool client_cert_optional = false;  // with client_ca: verify when sent, do not require
  std::vector<std::string> alpn = {"h2", "http/1.1"};  // protocols offered, by preference
};

// Immutable once built; SSL objects may be created from it by many threads at once.
class TlsServerContext {
 public:
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // Loads every certificate and key and applies the settings. The error names the file.
  static Result<std::shared_ptr<const TlsServerContext>> build(const TlsSettings& settings);

  // The context a handshake starts with; SNI may switch the connection to another one.
  SSL_CTX* default_context() const noexcept { return entries_.front().ctx; }

  // The context for `server_name` (exact, then wildcard), or nullptr for the default.
  SSL_CTX* context_for(std::string_view server_name) const noexcept;

 private:
  struct Entry {
    SSL_CTX* ctx = nullptr;
    std::vector<HostPattern> names;
  };
  TlsServerContext() = default;
  std::vector<Entry> entries_;
  std::vector<unsigned char> alpn_wire_;  // ALPN list in wire format
  friend struct TlsCallbacks;
};

// TLS toward an upstream: the CAs that verify it, an optional client certificate, ALPN.
struct TlsClientSettings {
  std::string ca;         // PEM bundle; empty: the system's default CAs
  std::string cert_file;  // client certificate (mTLS to the upstream), optional
  std::string key_file;
  bool verify = true;  // false only for test set-ups: the upstream is not authenticated
  std::vector<std::string> alpn = {"h2"};
};

// Immutable once built; SSL objects may be created from it by many threads at once.
class TlsClientContext {
 public:
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  static Result<std::shared_ptr<const TlsClientContext>> build(const TlsClientSettings& settings);
  SSL_CTX* context() const noexcept { return ctx_; }

 private:
  TlsClientContext() = default;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace portcullis::config
