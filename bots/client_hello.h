// ClientHello: a strict, bounds-checked parser of the first message a TLS client sends, for the
// fingerprints (JA3, JA4) that bots/ computes from it. The input is untrusted: every length is
// checked against the bytes it claims, nothing is read past the input, and a malformed hello is
// refused with a reason instead of being half-parsed.
//
// Memory: the parser allocates nothing, except when a ClientHello is split across several TLS
// records: then its fragments are joined into one buffer (at most kMaxClientHelloBytes) that the
// returned ClientHello owns. Every list is a view: into the caller's input, or into that buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace portcullis::bots {

// The largest ClientHello body accepted (the handshake message without its 4-byte header).
// Real ClientHellos are 200 to 2000 bytes; 16 KiB leaves room for large post-quantum key shares
// and many PSK identities while bounding what reassembly can be made to hold.
inline constexpr std::size_t kMaxClientHelloBytes = 16384;

// Whether `value` is one of the 16 GREASE values of RFC 8701 (0x0a0a, 0x1a1a, ... 0xfafa: both
// bytes equal, low nibble 0xa). They are kept in the parsed lists; fingerprints drop them.
constexpr bool is_grease(std::uint16_t value) noexcept {
  return (value >> 8) == (value & 0xff) && (value & 0x0f) == 0x0a;
}

// 16-bit code points (cipher suites, named groups, signature schemes, versions) as they are on
// the wire: big-endian, in the client's order, GREASE included. A view; copying is cheap.
class CodePointList {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::uint16_t;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::uint16_t;

    Iterator() = default;
    explicit Iterator(const std::uint8_t* p) noexcept : p_(p) {}
    std::uint16_t operator*() const noexcept {
      return static_cast<std::uint16_t>(p_[0] << 8 | p_[1]);
    }
    Iterator& operator++() noexcept {
      p_ += 2;
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      p_ += 2;
      return old;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  CodePointList() = default;
  // Precondition: `wire` has an even size.
  explicit CodePointList(std::span<const std::uint8_t> wire) noexcept : wire_(wire) {}

  std::size_t size() const noexcept { return wire_.size() / 2; }
  bool empty() const noexcept { return wire_.empty(); }
  // Precondition: i < size().
  std::uint16_t operator[](std::size_t i) const noexcept { return *Iterator(wire_.data() + 2 * i); }
  Iterator begin() const noexcept { return Iterator(wire_.data()); }
  Iterator end() const noexcept { return Iterator(wire_.data() + wire_.size()); }
  std::span<const std::uint8_t> wire() const noexcept { return wire_; }

 private:
  std::span<const std::uint8_t> wire_;
};

// One extension of a ClientHello: its type and its extension_data.
struct Extension {
  std::uint16_t type = 0;
  std::span<const std::uint8_t> data;
};

// The extensions of a ClientHello in the client's order, GREASE included. A view over an
// extensions block that the parser has validated (each extension fits, no type repeats).
class ExtensionList {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Extension;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Extension;

    Iterator() = default;
    explicit Iterator(const std::uint8_t* p) noexcept : p_(p) {}
    Extension operator*() const noexcept {
      std::size_t length = static_cast<std::size_t>(p_[2] << 8 | p_[3]);
      return {static_cast<std::uint16_t>(p_[0] << 8 | p_[1]), {p_ + 4, length}};
    }
    Iterator& operator++() noexcept {
      p_ += 4 + static_cast<std::size_t>(p_[2] << 8 | p_[3]);
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  ExtensionList() = default;
  // Precondition: `block` is a sequence of well-formed extensions, `count` of them.
  ExtensionList(std::span<const std::uint8_t> block, std::size_t count) noexcept
      : block_(block), count_(count) {}

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  Iterator begin() const noexcept { return Iterator(block_.data()); }
  Iterator end() const noexcept { return Iterator(block_.data() + block_.size()); }

 private:
  std::span<const std::uint8_t> block_;
  std::size_t count_ = 0;
};

// The protocol names of the ALPN extension (RFC 7301) in the client's order, as raw bytes (they
// need not be printable). A view over a list the parser has validated (no name is empty).
class ProtocolNameList {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    Iterator() = default;
    explicit Iterator(const std::uint8_t* p) noexcept : p_(p) {}
    std::string_view operator*() const noexcept {
      return {reinterpret_cast<const char*>(p_ + 1), p_[0]};
    }
    Iterator& operator++() noexcept {
      p_ += 1 + p_[0];
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const Iterator&) const = default;

   private:
    const std::uint8_t* p_ = nullptr;
  };

  ProtocolNameList() = default;
  // Precondition: `wire` is a sequence of 1-byte-length-prefixed names, `count` of them.
  ProtocolNameList(std::span<const std::uint8_t> wire, std::size_t count) noexcept
      : wire_(wire), count_(count) {}

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  // The first name; empty when the list is empty.
  std::string_view front() const noexcept { return empty() ? std::string_view() : *begin(); }
  Iterator begin() const noexcept { return Iterator(wire_.data()); }
  Iterator end() const noexcept { return Iterator(wire_.data() + wire_.size()); }

 private:
  std::span<const std::uint8_t> wire_;
  std::size_t count_ = 0;
};

// The outcome of a parse.
enum class HelloStatus : std::uint8_t {
  kOk,          // a well-formed ClientHello; every field is set
  kIncomplete,  // (records only) the input ends before the ClientHello does: read more bytes and
                // parse again from the first record; `error` says which part was cut
  kMalformed,   // not a well-formed ClientHello (or longer than kMaxClientHelloBytes); `error`
                // says why. Reading more bytes does not help.
};

// A parsed ClientHello. The fields are views into the parsed input, or into storage this object
// owns when the hello spanned several records: they are valid while both live. Move-only;
// moving keeps the views valid. On any status but kOk, the fields are empty and `error` is set.
//
// The extensions read into fields are checked against their grammar (RFC 8446, 6066, 7301,
// 8422); all others are checked only for fitting in the block. Each of those fields is empty
// exactly when its extension is absent, because the grammar forbids an empty list in each.
struct ClientHello {
  HelloStatus status = HelloStatus::kMalformed;
  // Why the hello was refused: a static string (never freed). Empty on kOk.
  std::string_view error;
  // Bytes of the input taken by the records that hold the ClientHello (records only; 0 for the
  // other entry points). Bytes after them (another record) are left to the caller.
  std::size_t record_bytes = 0;

  std::uint16_t legacy_version = 0;  // ClientHello.legacy_version (0x0303 for TLS 1.2 and 1.3)
  CodePointList cipher_suites;
  ExtensionList extensions;
  CodePointList supported_versions;  // supported_versions (43)
  CodePointList supported_groups;    // supported_groups (10), "elliptic curves" in JA3
  std::span<const std::uint8_t> ec_point_formats;  // ec_point_formats (11)
  CodePointList signature_algorithms;              // signature_algorithms (13)
  ProtocolNameList alpn;                           // application_layer_protocol_negotiation (16)
  // The host_name of server_name (0): the bytes as sent, 1 to 255 of them, none NUL; not
  // case-folded or otherwise checked, so escape it before logging.
  std::string_view server_name;

  bool ok() const noexcept { return status == HelloStatus::kOk; }

  ClientHello() = default;
  ClientHello(ClientHello&&) noexcept = default;
  ClientHello& operator=(ClientHello&&) noexcept = default;
  ClientHello(const ClientHello&) = delete;
  ClientHello& operator=(const ClientHello&) = delete;

 private:
  friend ClientHello parse_client_hello_records(std::span<const std::uint8_t> bytes) noexcept;
  std::unique_ptr<std::uint8_t[]> joined_;  // the body, when it spanned several records
};

// Parses a ClientHello from the bytes a client wrote to TCP: TLS records, starting with the
// 5-byte header of the first. The ClientHello may be split across any number of handshake
// records (RFC 8446 section 5.1); bytes after the record that completes it are not read (see
// `record_bytes`). An SSL 2.0-compatible hello is refused. Safe for concurrent use.
ClientHello parse_client_hello_records(std::span<const std::uint8_t> bytes) noexcept;

// Parses a ClientHello handshake message: the 4-byte handshake header (type 1, 24-bit length)
// and the body, exactly. This is what an OpenSSL message callback (SSL_CTX_set_msg_callback)
// receives for the ClientHello (write_p 0, content_type SSL3_RT_HANDSHAKE, buf[0] == 1), before
// the client-hello callback runs. Safe for concurrent use.
ClientHello parse_client_hello_message(std::span<const std::uint8_t> message) noexcept;

// Parses a bare ClientHello body: from legacy_version to the end of the extensions, with no
// record or handshake header. Safe for concurrent use.
ClientHello parse_client_hello_body(std::span<const std::uint8_t> body) noexcept;

// The result views its input: parsing a temporary buffer would leave it dangling.
ClientHello parse_client_hello_records(std::vector<std::uint8_t>&&) = delete;
ClientHello parse_client_hello_message(std::vector<std::uint8_t>&&) = delete;
ClientHello parse_client_hello_body(std::vector<std::uint8_t>&&) = delete;

}  // namespace portcullis::bots
