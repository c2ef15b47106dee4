#include "config/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace portcullis::config {

namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

// DNS names of a certificate: subjectAltName dNSName entries, else the subject CN.
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  auto* sans =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
      if (name->type != GEN_DNS) continue;
      const unsigned char* data = ASN1_STRING_get0_data(name->d.dNSName);
      names.emplace_back(reinterpret_cast<const char*>(data), ASN1_STRING_length(name->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
  }
  if (names.empty()) {
    char cn[256] = {};
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0) {
      names.emplace_back(cn);
    }
  }
  return names;
}

}  // namespace

struct TlsCallbacks {
  static int on_server_name(SSL* ssl, int* /*alert*/, void* arg) {
    const auto* self = static_cast<const TlsServerContext*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) return SSL_TLSEXT_ERR_OK;
    if (SSL_CTX* ctx = self->context_for(name); ctx != nullptr && ctx != SSL_get_SSL_CTX(ssl)) {
      SSL_set_SSL_CTX(ssl, ctx);
      // SSL_set_SSL_CTX keeps the verification settings of the first context; copy them.
      SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), nullptr);
    }
    return SSL_TLSEXT_ERR_OK;
  }

  static int on_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                     const unsigned char* in, unsigned int inlen, void* arg) {
    const auto* self = static_cast<const TlsServerContext*>(arg);
    unsigned char* selected = nullptr;
    // Server preference: the first of ours that the client offers.
    if (SSL_select_next_proto(&selected, outlen, self->alpn_wire_.data(),
                              static_cast<unsigned>(self->alpn_wire_.size()), in,
                              inlen) != OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN (HTTP/1.1)
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
};

TlsServerContext::~TlsServerContext() {
  for (Entry& e : entries_) SSL_CTX_free(e.ctx);
}

SSL_CTX* TlsServerContext::context_for(std::string_view server_name) const noexcept {
  for (const Entry& e : entries_) {
    for (const HostPattern& p : e.names) {
      if (!p.wildcard && p.matches(server_name)) return e.ctx;
    }
  }
  for (const Entry& e : entries_) {
    for (const HostPattern& p : e.names) {
      if (p.wildcard && p.matches(server_name)) return e.ctx;
    }
  }
  return nullptr;
}

Result<std::shared_ptr<const TlsServerContext>> TlsServerContext::build(const TlsSettings& s) {
  if (s.certificates.empty()) return Error{"at least one certificate is required"};
  std::shared_ptr<TlsServerContext> out(new TlsServerContext());
  for (const std::string& proto : s.alpn) {
    out->alpn_wire_.push_back(static_cast<unsigned char>(proto.size()));
    out->alpn_wire_.insert(out->alpn_wire_.end(), proto.begin(), proto.end());
  }
  int min_version = 0;
  if (s.min_version == "TLS1.2") {
    min_version = TLS1_2_VERSION;
  } else if (s.min_version == "TLS1.3") {
    min_version = TLS1_3_VERSION;
  } else {
    return Error{"min_version must be TLS1.2 or TLS1.3", "", 0, "min_version"};
  }
  for (const TlsCertificate& c : s.certificates) {
    ERR_clear_error();
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == nullptr) return Error{"SSL_CTX_new: " + openssl_error()};
    out->entries_.push_back(Entry{ctx, {}});
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, c.cert_file.c_str()) != 1) {
      return Error{"cannot load certificate '" + c.cert_file + "': " + openssl_error(), "", 0,
                   "cert"};
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, c.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
        ERR_clear_error();
        return Error{"key '" + c.key_file + "' does not match certificate '" + c.cert_file + "'",
                     "", 0, "key"};
      }
      return Error{"cannot load key '" + c.key_file + "': " + openssl_error(), "", 0, "key"};
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      return Error{"key '" + c.key_file + "' does not match certificate '" + c.cert_file + "'", "",
                   0, "key"};
    }
    if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
      return Error{"invalid ciphers '" + s.ciphers + "': " + openssl_error(), "", 0, "ciphers"};
    }
    if (!s.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, s.ciphersuites.c_str()) != 1) {
      return Error{"invalid ciphersuites '" + s.ciphersuites + "': " + openssl_error(), "", 0,
                   "ciphersuites"};
    }
    if (!s.groups.empty() && SSL_CTX_set1_groups_list(ctx, s.groups.c_str()) != 1) {
      return Error{"invalid groups '" + s.groups + "': " + openssl_error(), "", 0, "groups"};
    }
    if (!s.client_ca.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, s.client_ca.c_str(), nullptr) != 1) {
        return Error{"cannot load client_ca '" + s.client_ca + "': " + openssl_error(), "", 0,
                     "client_ca"};
      }
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(s.client_ca.c_str());
      if (names) SSL_CTX_set_client_CA_list(ctx, names);
      SSL_CTX_set_verify(
          ctx, SSL_VERIFY_PEER | (s.client_cert_optional ? 0 : SSL_VERIFY_FAIL_IF_NO_PEER_CERT),
          nullptr);
    }
    // Resumption: tickets (on by default in OpenSSL 3) and a server-side cache for TLS 1.2.
    static const unsigned char kSessionContext[] = "portcullis";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx, 20000);
    SSL_CTX_set_tlsext_servername_callback(ctx, &TlsCallbacks::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx, out.get());
    SSL_CTX_set_alpn_select_cb(ctx, &TlsCallbacks::on_alpn, out.get());

    std::vector<std::string> names = c.server_names;
    if (names.empty()) names = certificate_names(SSL_CTX_get0_certificate(ctx));
    for (const std::string& n : names) out->entries_.back().names.push_back(HostPattern::parse(n));
  }
  return std::shared_ptr<const TlsServerContext>(std::move(out));
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

Result<std::shared_ptr<const TlsClientContext>> TlsClientContext::build(
    const TlsClientSettings& s) {
  std::shared_ptr<TlsClientContext> out(new TlsClientContext());
  ERR_clear_error();
  out->ctx_ = SSL_CTX_new(TLS_client_method());
  if (out->ctx_ == nullptr) return Error{"SSL_CTX_new: " + openssl_error()};
  SSL_CTX* ctx = out->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (s.ca.empty()) {
    SSL_CTX_set_default_verify_paths(ctx);
  } else if (SSL_CTX_load_verify_locations(ctx, s.ca.c_str(), nullptr) != 1) {
    return Error{"cannot load ca '" + s.ca + "': " + openssl_error(), "", 0, "ca"};
  }
  SSL_CTX_set_verify(ctx, s.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!s.cert_file.empty() || !s.key_file.empty()) {
    if (s.cert_file.empty() || s.key_file.empty()) {
      return Error{"cert and key go together", "", 0, "cert"};
    }
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1) {
      return Error{"cannot load certificate '" + s.cert_file + "': " + openssl_error(), "", 0,
                   "cert"};
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return Error{"cannot use key '" + s.key_file + "': " + openssl_error(), "", 0, "key"};
    }
  }
  std::vector<unsigned char> wire;
  for (const std::string& proto : s.alpn) {
    wire.push_back(static_cast<unsigned char>(proto.size()));
    wire.insert(wire.end(), proto.begin(), proto.end());
  }
  // Note: SSL_CTX_set_alpn_protos returns 0 on success, unlike most of OpenSSL.
  if (!wire.empty() &&
      SSL_CTX_set_alpn_protos(ctx, wire.data(), static_cast<unsigned>(wire.size())) != 0) {
    return Error{"cannot set ALPN: " + openssl_error()};
  }
  return std::shared_ptr<const TlsClientContext>(std::move(out));
}

}  // namespace portcullis::config
