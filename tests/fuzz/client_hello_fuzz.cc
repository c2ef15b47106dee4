// Fuzz target: the ClientHello parser (bots/client_hello.h) through its three entry points, and
// JA3/JA4 (bots/ja3.h, bots/ja4.h) on every hello it accepts. Besides memory safety it checks
// what the headers promise: a refusal has an error and no fingerprint, only the records entry
// answers kIncomplete, an accepted hello has a 36-character JA4 starting with 't' and a JA3 MD5,
// the records entry reads no further than `record_bytes`, and a body that parses gives the same
// fingerprints as a handshake message and as records split at a place the input chooses.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "bots/client_hello.h"
#include "bots/ja3.h"
#include "bots/ja4.h"

using namespace portcullis::bots;

namespace {

struct Fingerprints {
  Ja3 ja3;
  Ja4 ja4;
};

Fingerprints check(const ClientHello& hello, bool from_records) {
  Fingerprints f{ja3_fingerprint(hello), ja4_fingerprint(hello)};
  if (!hello.ok()) {
    if (hello.error.empty()) std::abort();
    if (!from_records && hello.status == HelloStatus::kIncomplete) std::abort();
    if (!f.ja3.text.empty() || !f.ja4.fingerprint.empty() || !f.ja4.raw.empty()) std::abort();
    if (!hello.cipher_suites.empty() || !hello.extensions.empty()) std::abort();
    return f;
  }
  if (!hello.error.empty() || hello.cipher_suites.empty()) std::abort();
  if (f.ja4.fingerprint.size() != 36 || f.ja4.fingerprint[0] != 't') std::abort();
  if (f.ja4.raw.compare(0, 11, f.ja4.fingerprint, 0, 11) != 0) std::abort();
  if (f.ja3.text.empty() || f.ja3.md5.size() != 32) std::abort();
  // Walking each validated list must stay inside it.
  std::size_t n = 0;
  std::size_t bytes = 0;
  for (const Extension& e : hello.extensions) {
    ++n;
    bytes += 4 + e.data.size();
  }
  if (n != hello.extensions.size() || bytes > kMaxClientHelloBytes) std::abort();
  n = 0;
  for (std::string_view name : hello.alpn) {
    if (name.empty()) std::abort();
    ++n;
  }
  if (n != hello.alpn.size()) std::abort();
  if (hello.server_name.size() > 255) std::abort();
  return f;
}

void expect_same(const Fingerprints& a, const Fingerprints& b) {
  if (a.ja4.raw != b.ja4.raw || a.ja4.fingerprint != b.ja4.fingerprint ||
      a.ja3.text != b.ja3.text || a.ja3.md5 != b.ja3.md5) {
    std::abort();
  }
}

std::vector<std::uint8_t> as_message(std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out = {1, static_cast<std::uint8_t>(body.size() >> 16),
                                   static_cast<std::uint8_t>(body.size() >> 8),
                                   static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The message in records of `fragment` bytes (the last one shorter).
std::vector<std::uint8_t> as_records(std::span<const std::uint8_t> message, std::size_t fragment) {
  std::vector<std::uint8_t> out;
  for (std::size_t at = 0; at < message.size(); at += fragment) {
    std::size_t n = std::min(fragment, message.size() - at);
    out.insert(out.end(),
               {22, 3, 1, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    out.insert(out.end(), message.begin() + at, message.begin() + at + n);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> in(data, size);

  ClientHello records = parse_client_hello_records(in);
  Fingerprints from_records = check(records, true);
  if (records.ok()) {
    if (records.record_bytes == 0 || records.record_bytes > size) std::abort();
    ClientHello exact = parse_client_hello_records(in.first(records.record_bytes));
    expect_same(check(exact, true), from_records);
  }

  ClientHello message = parse_client_hello_message(in);
  Fingerprints from_message = check(message, false);
  if (message.ok()) expect_same(check(parse_client_hello_body(in.subspan(4)), false), from_message);

  ClientHello body = parse_client_hello_body(in);
  Fingerprints from_body = check(body, false);
  if (body.ok()) {
    std::vector<std::uint8_t> whole = as_message(in);
    expect_same(check(parse_client_hello_message(whole), false), from_body);
    std::size_t fragment = 1 + (size > 0 ? data[size - 1] : 0) % 97;
    std::vector<std::uint8_t> split = as_records(whole, fragment);
    ClientHello joined = parse_client_hello_records(split);
    if (!joined.ok() || joined.record_bytes != split.size()) std::abort();
    expect_same(check(joined, true), from_body);
  }
  return 0;
}
