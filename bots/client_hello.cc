#include "bots/client_hello.h"

#include <algorithm>
#include <bitset>
#include <cstring>
#include <new>

namespace portcullis::bots {
namespace {

constexpr std::uint8_t kContentTypeHandshake = 22;
constexpr std::uint8_t kHandshakeClientHello = 1;
constexpr std::size_t kRecordHeaderBytes = 5;
constexpr std::size_t kHandshakeHeaderBytes = 4;
// RFC 8446 section 5.1: a TLSPlaintext fragment is at most 2^14 bytes.
constexpr std::size_t kMaxRecordFragment = 16384;

constexpr std::uint16_t kExtServerName = 0;
constexpr std::uint16_t kExtSupportedGroups = 10;
constexpr std::uint16_t kExtEcPointFormats = 11;
constexpr std::uint16_t kExtSignatureAlgorithms = 13;
constexpr std::uint16_t kExtAlpn = 16;
constexpr std::uint16_t kExtSupportedVersions = 43;

// Reads big-endian integers and length-prefixed vectors; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) noexcept : in_(in) {}

  std::size_t left() const noexcept { return in_.size() - pos_; }
  bool done() const noexcept { return pos_ == in_.size(); }

  bool u8(std::size_t& out) noexcept {
    if (left() < 1) return false;
    out = in_[pos_++];
    return true;
  }
  bool u16(std::size_t& out) noexcept {
    if (left() < 2) return false;
    out = static_cast<std::size_t>(in_[pos_] << 8 | in_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool bytes(std::size_t n, std::span<const std::uint8_t>& out) noexcept {
    if (left() < n) return false;
    out = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A vector with a 1- or 2-byte length prefix.
  bool vector8(std::span<const std::uint8_t>& out) noexcept {
    std::size_t n = 0;
    return u8(n) && bytes(n, out);
  }
  bool vector16(std::span<const std::uint8_t>& out) noexcept {
    std::size_t n = 0;
    return u16(n) && bytes(n, out);
  }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

std::size_t be16(const std::uint8_t* p) noexcept {
  return static_cast<std::size_t>(p[0] << 8 | p[1]);
}

std::size_t be24(const std::uint8_t* p) noexcept {
  return static_cast<std::size_t>(p[0]) << 16 | static_cast<std::size_t>(p[1]) << 8 | p[2];
}

// The extension data must be exactly one length-prefixed vector: no bytes after it.
bool whole_vector16(std::span<const std::uint8_t> data,
                    std::span<const std::uint8_t>& out) noexcept {
  Reader r(data);
  return r.vector16(out) && r.done();
}

bool whole_vector8(std::span<const std::uint8_t> data,
                   std::span<const std::uint8_t>& out) noexcept {
  Reader r(data);
  return r.vector8(out) && r.done();
}

// Returns an error text, or nullptr. Each of these lists has a lower bound above zero in its
// grammar, so an empty one is malformed; that also makes "empty" mean "absent" in ClientHello.
const char* parse_server_name(std::span<const std::uint8_t> data, ClientHello& out) noexcept {
  // RFC 6066 section 3. Like OpenSSL, exactly one entry, of type host_name: the RFC forbids two
  // of one type and defines no other type, and a hello OpenSSL refuses gets no fingerprint.
  std::span<const std::uint8_t> list;
  if (!whole_vector16(data, list) || list.empty()) return "server_name: malformed list";
  Reader r(list);
  std::size_t type = 0;
  std::span<const std::uint8_t> name;
  if (!r.u8(type) || !r.vector16(name) || !r.done()) return "server_name: malformed list";
  if (type != 0) return "server_name: the entry is not a host_name";
  if (name.empty() || name.size() > 255) return "server_name: host_name length not in 1..255";
  if (std::memchr(name.data(), 0, name.size()) != nullptr) return "server_name: NUL in host_name";
  out.server_name = {reinterpret_cast<const char*>(name.data()), name.size()};
  return nullptr;
}

const char* parse_code_points(std::span<const std::uint8_t> data, bool one_byte_length,
                              CodePointList& out, const char* error) noexcept {
  std::span<const std::uint8_t> list;
  bool framed = one_byte_length ? whole_vector8(data, list) : whole_vector16(data, list);
  if (!framed || list.empty() || list.size() % 2 != 0) return error;
  out = CodePointList(list);
  return nullptr;
}

const char* parse_alpn(std::span<const std::uint8_t> data, ClientHello& out) noexcept {
  // RFC 7301 section 3.1: ProtocolName protocol_name_list<2..2^16-1>, names of 1..255 bytes.
  std::span<const std::uint8_t> list;
  if (!whole_vector16(data, list) || list.empty()) return "alpn: malformed protocol list";
  Reader r(list);
  std::size_t count = 0;
  while (!r.done()) {
    std::span<const std::uint8_t> name;
    if (!r.vector8(name)) return "alpn: a protocol name overruns the list";
    if (name.empty()) return "alpn: empty protocol name";
    ++count;
  }
  out.alpn = ProtocolNameList(list, count);
  return nullptr;
}

const char* parse_extension(const Extension& e, ClientHello& out) noexcept {
  switch (e.type) {
    case kExtServerName:
      return parse_server_name(e.data, out);
    case kExtSupportedGroups:
      return parse_code_points(e.data, false, out.supported_groups,
                               "supported_groups: malformed list");
    case kExtEcPointFormats: {
      std::span<const std::uint8_t> list;
      if (!whole_vector8(e.data, list) || list.empty()) return "ec_point_formats: malformed list";
      out.ec_point_formats = list;
      return nullptr;
    }
    case kExtSignatureAlgorithms:
      return parse_code_points(e.data, false, out.signature_algorithms,
                               "signature_algorithms: malformed list");
    case kExtAlpn:
      return parse_alpn(e.data, out);
    case kExtSupportedVersions:
      return parse_code_points(e.data, true, out.supported_versions,
                               "supported_versions: malformed list");
    default:
      return nullptr;
  }
}

// Parses the extensions block into `out`. Returns an error text, or nullptr.
const char* parse_extensions(std::span<const std::uint8_t> block, ClientHello& out) noexcept {
  // RFC 8446 section 4.2: "There MUST NOT be more than one extension of the same type". A set
  // over all 2^16 types keeps the check linear however many extensions a hostile hello holds.
  std::bitset<65536> seen;
  Reader r(block);
  std::size_t count = 0;
  while (!r.done()) {
    std::size_t type = 0;
    std::size_t length = 0;
    std::span<const std::uint8_t> data;
    if (!r.u16(type) || !r.u16(length)) return "extension header overruns the extensions block";
    if (!r.bytes(length, data)) return "extension data overruns the extensions block";
    if (seen.test(type)) return "duplicate extension type";
    seen.set(type);
    ++count;
    if (const char* error = parse_extension({static_cast<std::uint16_t>(type), data}, out)) {
      return error;
    }
  }
  out.extensions = ExtensionList(block, count);
  return nullptr;
}

ClientHello refuse(HelloStatus status, const char* error) noexcept {
  ClientHello out;
  out.status = status;
  out.error = error;
  return out;
}

// Parses `body` into `out` (whose fields are empty). On failure `out` is reset to the refusal.
void parse_body(std::span<const std::uint8_t> body, ClientHello& out) noexcept {
  auto fail = [&out](const char* error) { out = refuse(HelloStatus::kMalformed, error); };
  if (body.size() > kMaxClientHelloBytes) return fail("ClientHello longer than 16384 bytes");
  Reader r(body);
  std::size_t version = 0;
  std::span<const std::uint8_t> random, session_id, ciphers, compression;
  if (!r.u16(version)) return fail("legacy_version overruns the ClientHello");
  if (!r.bytes(32, random)) return fail("random overruns the ClientHello");
  if (!r.vector8(session_id)) return fail("legacy_session_id overruns the ClientHello");
  if (session_id.size() > 32) return fail("legacy_session_id longer than 32 bytes");
  if (!r.vector16(ciphers)) return fail("cipher_suites overruns the ClientHello");
  if (ciphers.empty()) return fail("empty cipher_suites");
  if (ciphers.size() % 2 != 0) return fail("cipher_suites of odd length");
  if (!r.vector8(compression)) return fail("legacy_compression_methods overruns the ClientHello");
  if (compression.empty()) return fail("empty legacy_compression_methods");
  out.legacy_version = static_cast<std::uint16_t>(version);
  out.cipher_suites = CodePointList(ciphers);
  // Before TLS 1.3 (RFC 5246 section 7.4.1.2) a hello may end here, with no extensions block.
  if (!r.done()) {
    std::span<const std::uint8_t> block;
    if (!r.vector16(block)) return fail("extensions block overruns the ClientHello");
    if (!r.done()) return fail("bytes after the extensions block");
    if (const char* error = parse_extensions(block, out)) return fail(error);
  }
  out.status = HelloStatus::kOk;
  out.error = {};
}

}  // namespace

ClientHello parse_client_hello_body(std::span<const std::uint8_t> body) noexcept {
  ClientHello out;
  parse_body(body, out);
  return out;
}

ClientHello parse_client_hello_message(std::span<const std::uint8_t> message) noexcept {
  if (message.size() < kHandshakeHeaderBytes) {
    return refuse(HelloStatus::kMalformed, "handshake header truncated");
  }
  if (message[0] != kHandshakeClientHello) {
    return refuse(HelloStatus::kMalformed, "handshake message is not a ClientHello");
  }
  std::size_t length = be24(message.data() + 1);
  if (length > kMaxClientHelloBytes) {
    return refuse(HelloStatus::kMalformed, "ClientHello longer than 16384 bytes");
  }
  if (length != message.size() - kHandshakeHeaderBytes) {
    return refuse(HelloStatus::kMalformed, "handshake length does not match the message");
  }
  return parse_client_hello_body(message.subspan(kHandshakeHeaderBytes));
}

ClientHello parse_client_hello_records(std::span<const std::uint8_t> bytes) noexcept {
  // First pass: check the record headers and the handshake header, and find where the
  // ClientHello ends. A fragment is checked as far as it has arrived, so that a record that is
  // plainly not a ClientHello is refused before the rest of it is read.
  std::uint8_t header[kHandshakeHeaderBytes];
  std::size_t header_have = 0;
  std::size_t message_bytes = 0;  // 4 + body length, once the handshake header is known
  std::size_t stream_have = 0;    // handshake bytes seen so far
  std::size_t records = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t available = bytes.size() - pos;
    if (available >= 1 && bytes[pos] != kContentTypeHandshake) {
      return refuse(HelloStatus::kMalformed, records == 0
                                                 ? "not a TLS handshake record"
                                                 : "a non-handshake record inside the ClientHello");
    }
    // SSL 3.0 to TLS 1.3 all have record major version 3.
    if (available >= 2 && bytes[pos + 1] != 3) {
      return refuse(HelloStatus::kMalformed, "record version is not 3.x");
    }
    if (available < kRecordHeaderBytes) {
      return refuse(HelloStatus::kIncomplete, "record header truncated");
    }
    std::size_t length = be16(bytes.data() + pos + 3);
    if (length == 0) return refuse(HelloStatus::kMalformed, "empty handshake record");
    if (length > kMaxRecordFragment) {
      return refuse(HelloStatus::kMalformed, "record longer than 16384 bytes");
    }
    std::size_t arrived = std::min(length, available - kRecordHeaderBytes);
    const std::uint8_t* fragment = bytes.data() + pos + kRecordHeaderBytes;
    for (std::size_t i = 0; i < arrived && header_have < kHandshakeHeaderBytes; ++i) {
      header[header_have++] = fragment[i];
    }
    if (header_have >= 1 && header[0] != kHandshakeClientHello) {
      return refuse(HelloStatus::kMalformed, "handshake message is not a ClientHello");
    }
    if (header_have == kHandshakeHeaderBytes && message_bytes == 0) {
      std::size_t body = be24(header + 1);
      if (body > kMaxClientHelloBytes) {
        return refuse(HelloStatus::kMalformed, "ClientHello longer than 16384 bytes");
      }
      message_bytes = kHandshakeHeaderBytes + body;
    }
    if (arrived < length) return refuse(HelloStatus::kIncomplete, "record truncated");
    stream_have += length;
    pos += kRecordHeaderBytes + length;
    ++records;
    if (message_bytes != 0 && stream_have >= message_bytes) break;
  }
  // A record may coalesce several handshake messages, but nothing may follow the ClientHello
  // before the server answers it.
  if (stream_have > message_bytes) {
    return refuse(HelloStatus::kMalformed, "bytes after the ClientHello in its record");
  }

  std::size_t body_bytes = message_bytes - kHandshakeHeaderBytes;
  ClientHello out;
  if (records == 1) {
    parse_body(bytes.subspan(kRecordHeaderBytes + kHandshakeHeaderBytes, body_bytes), out);
  } else {
    // Second pass: join the fragments, less the handshake header, into storage the hello owns.
    std::unique_ptr<std::uint8_t[]> joined(new (std::nothrow) std::uint8_t[body_bytes + 1]);
    if (!joined) return refuse(HelloStatus::kMalformed, "out of memory joining records");
    std::size_t skip = kHandshakeHeaderBytes;
    std::size_t filled = 0;
    for (std::size_t at = 0; at < pos;) {
      std::size_t length = be16(bytes.data() + at + 3);
      const std::uint8_t* fragment = bytes.data() + at + kRecordHeaderBytes;
      std::size_t skipped = std::min(skip, length);
      skip -= skipped;
      std::memcpy(joined.get() + filled, fragment + skipped, length - skipped);
      filled += length - skipped;
      at += kRecordHeaderBytes + length;
    }
    parse_body({joined.get(), body_bytes}, out);
    if (out.ok()) out.joined_ = std::move(joined);
  }
  if (out.ok()) out.record_bytes = pos;
  return out;
}

}  // namespace portcullis::bots
