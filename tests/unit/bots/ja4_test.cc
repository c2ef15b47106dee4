// JA3 and JA4 (bots/ja3.h, bots/ja4.h) over the 95 real ClientHellos of ../shared/ja4 (see its
// README.md), and the ClientHello parser (bots/client_hello.h): what it refuses, how it joins
// records, and the JA4 rules that the vectors do not reach.
#include "bots/ja4.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bots/client_hello.h"
#include "bots/digest.h"
#include "bots/ja3.h"

namespace portcullis::bots {
namespace {

using Bytes = std::vector<std::uint8_t>;

const std::string kVectors = std::string(PORTCULLIS_SHARED_DIR) + "/ja4/clienthellos.jsonl";
const std::string kDisputed =
    std::string(PORTCULLIS_SHARED_DIR) + "/ja4/clienthellos-disputed.jsonl";

Bytes from_hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  }
  return out;
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

// Re-frames the handshake stream of a single-record hello into records of `fragment` bytes.
Bytes reframe(const Bytes& records, std::size_t fragment) {
  Bytes out;
  for (std::size_t at = 5; at < records.size(); at += fragment) {
    std::size_t n = std::min(fragment, records.size() - at);
    out.insert(out.end(),
               {22, 3, 1, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    out.insert(out.end(), records.begin() + at, records.begin() + at + n);
  }
  return out;
}

std::vector<std::string> alpn_names(const ClientHello& hello) {
  return {hello.alpn.begin(), hello.alpn.end()};
}

std::string label(const nlohmann::json& v) {
  return v["source"].get<std::string>() + "#" + std::to_string(v["stream"].get<int>()) + "." +
         std::to_string(v["hello_index"].get<int>());
}

TEST(Ja4VectorsTest, EveryVectorGivesItsJa4Ja4rJa3AndJa3Hash) {
  std::vector<nlohmann::json> vectors = read_jsonl(kVectors);
  ASSERT_EQ(vectors.size(), 95u) << kVectors;
  int matched = 0;
  for (const nlohmann::json& v : vectors) {
    SCOPED_TRACE(label(v));
    Bytes bytes = from_hex(v["client_hello_hex"].get<std::string>());
    ClientHello hello = parse_client_hello_records(bytes);
    ASSERT_TRUE(hello.ok()) << hello.error;
    EXPECT_EQ(hello.record_bytes, bytes.size());
    Ja4 ja4 = ja4_fingerprint(hello);
    Ja3 ja3 = ja3_fingerprint(hello);
    std::string sni = v["sni"].is_null() ? "" : v["sni"].get<std::string>();
    auto alpn = v["alpn"].get<std::vector<std::string>>();
    EXPECT_EQ(ja4.fingerprint, v["ja4"].get<std::string>());
    EXPECT_EQ(ja4.raw, v["ja4_r"].get<std::string>());
    EXPECT_EQ(ja3.text, v["ja3"].get<std::string>());
    EXPECT_EQ(ja3.md5, v["ja3_hash"].get<std::string>());
    EXPECT_EQ(hello.server_name, sni);
    EXPECT_EQ(alpn_names(hello), alpn);
    if (ja4.fingerprint == v["ja4"].get<std::string>() &&
        ja4.raw == v["ja4_r"].get<std::string>() && ja3.text == v["ja3"].get<std::string>() &&
        ja3.md5 == v["ja3_hash"].get<std::string>() && hello.server_name == sni &&
        alpn_names(hello) == alpn) {
      ++matched;
    }
  }
  std::printf("ja4 vectors: %d/%zu match\n", matched, vectors.size());
  EXPECT_EQ(matched, 95);
}

TEST(Ja4VectorsTest, MessageAndBodyEntryPointsGiveTheSameFingerprints) {
  for (const nlohmann::json& v : read_jsonl(kVectors)) {
    SCOPED_TRACE(label(v));
    Bytes bytes = from_hex(v["client_hello_hex"].get<std::string>());
    ClientHello message = parse_client_hello_message(std::span(bytes).subspan(5));
    ClientHello body = parse_client_hello_body(std::span(bytes).subspan(9));
    ASSERT_TRUE(message.ok()) << message.error;
    ASSERT_TRUE(body.ok()) << body.error;
    EXPECT_EQ(message.record_bytes, 0u);
    EXPECT_EQ(ja4_fingerprint(message).raw, v["ja4_r"].get<std::string>());
    EXPECT_EQ(ja4_fingerprint(body).fingerprint, v["ja4"].get<std::string>());
    EXPECT_EQ(ja3_fingerprint(body).text, v["ja3"].get<std::string>());
  }
}

TEST(Ja4VectorsTest, AHelloSplitIntoManyRecordsGivesTheSameFingerprints) {
  for (const nlohmann::json& v : read_jsonl(kVectors)) {
    SCOPED_TRACE(label(v));
    Bytes bytes = from_hex(v["client_hello_hex"].get<std::string>());
    for (std::size_t fragment : {1u, 3u, 100u, 511u}) {
      Bytes split = reframe(bytes, fragment);
      ClientHello hello = parse_client_hello_records(split);
      ASSERT_TRUE(hello.ok()) << fragment << ": " << hello.error;
      EXPECT_EQ(hello.record_bytes, split.size());
      EXPECT_EQ(ja4_fingerprint(hello).raw, v["ja4_r"].get<std::string>()) << fragment;
      EXPECT_EQ(ja3_fingerprint(hello).md5, v["ja3_hash"].get<std::string>()) << fragment;
      EXPECT_EQ(hello.server_name, v["sni"].is_null() ? "" : v["sni"].get<std::string>());
    }
  }
}

TEST(Ja4VectorsTest, EveryProperPrefixOfAVectorIsIncomplete) {
  for (const nlohmann::json& v : read_jsonl(kVectors)) {
    Bytes bytes = from_hex(v["client_hello_hex"].get<std::string>());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      ClientHello hello = parse_client_hello_records(std::span(bytes).first(n));
      ASSERT_EQ(hello.status, HelloStatus::kIncomplete) << label(v) << " prefix " << n;
    }
  }
}

// The disputed vector: its first ALPN name is the non-alphanumeric bytes 0xba 0xad. We assert
// the current technical_details/JA4.md rule (first and last hex digit of the name: "bd", the
// file's `ja4_per_spec`), not the "99" that the older python and rust reference outputs give.
TEST(Ja4VectorsTest, DisputedNonAsciiAlpnGivesTheHexDigitsOfTheCurrentSpec) {
  std::vector<nlohmann::json> vectors = read_jsonl(kDisputed);
  ASSERT_EQ(vectors.size(), 1u) << kDisputed;
  const nlohmann::json& v = vectors[0];
  Bytes bytes = from_hex(v["client_hello_hex"].get<std::string>());
  ClientHello hello = parse_client_hello_records(bytes);
  ASSERT_TRUE(hello.ok()) << hello.error;
  Ja4 ja4 = ja4_fingerprint(hello);
  EXPECT_EQ(ja4.fingerprint, v["ja4_per_spec"].get<std::string>());
  EXPECT_EQ(ja4.fingerprint, "t13d1516bd_8daaf6152771_e5627efa2ab1");
  EXPECT_EQ(ja4.raw, v["ja4_r_per_spec"].get<std::string>());
  EXPECT_NE(ja4.fingerprint, v["ja4_python_testdata"].get<std::string>());
  EXPECT_EQ(ja3_fingerprint(hello).text, v["ja3"].get<std::string>());
  EXPECT_EQ(ja3_fingerprint(hello).md5, v["ja3_hash"].get<std::string>());
  EXPECT_EQ(hello.server_name, v["sni"].get<std::string>());
  ASSERT_EQ(hello.alpn.size(), 2u);
  EXPECT_EQ(hello.alpn.front(), "\xba\xad");
}

// --- A ClientHello built field by field, for the cases the captures do not hold.

void put16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

Bytes vector16(const Bytes& content) {
  Bytes out;
  put16(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes vector8(const Bytes& content) {
  Bytes out{static_cast<std::uint8_t>(content.size())};
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes code_points(std::initializer_list<std::uint16_t> values) {
  Bytes out;
  for (std::uint16_t v : values) put16(out, v);
  return out;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes sni_data(std::string_view host) {
  Bytes entry{0};
  Bytes name = vector16(text(host));
  entry.insert(entry.end(), name.begin(), name.end());
  return vector16(entry);
}

Bytes alpn_data(std::initializer_list<Bytes> names) {
  Bytes list;
  for (const Bytes& name : names) {
    Bytes n = vector8(name);
    list.insert(list.end(), n.begin(), n.end());
  }
  return vector16(list);
}

struct HelloBuilder {
  std::uint16_t legacy_version = 0x0303;
  Bytes session_id = Bytes(32, 0x5a);
  Bytes ciphers = code_points({0x1301, 0x1302, 0xc02f});
  Bytes compression = {0};
  bool extensions_block = true;
  std::vector<std::pair<std::uint16_t, Bytes>> extensions = {
      {0x0000, sni_data("example.com")},
      {0x000a, vector16(code_points({0x001d, 0x0017}))},
      {0x000b, vector8({0})},
      {0x000d, vector16(code_points({0x0403, 0x0804}))},
      {0x0010, alpn_data({text("h2"), text("http/1.1")})},
      {0x002b, vector8(code_points({0x0304, 0x0303}))},
  };

  Bytes body() const {
    Bytes out;
    put16(out, legacy_version);
    out.insert(out.end(), 32, 0x11);
    for (const Bytes& part : {vector8(session_id), vector16(ciphers), vector8(compression)}) {
      out.insert(out.end(), part.begin(), part.end());
    }
    if (extensions_block) {
      Bytes block;
      for (const auto& [type, data] : extensions) {
        put16(block, type);
        Bytes d = vector16(data);
        block.insert(block.end(), d.begin(), d.end());
      }
      Bytes b = vector16(block);
      out.insert(out.end(), b.begin(), b.end());
    }
    return out;
  }

  Bytes message() const {
    Bytes b = body();
    Bytes out{1, static_cast<std::uint8_t>(b.size() >> 16),
              static_cast<std::uint8_t>(b.size() >> 8), static_cast<std::uint8_t>(b.size())};
    out.insert(out.end(), b.begin(), b.end());
    return out;
  }

  // The message in records of at most `fragment` bytes.
  Bytes records(std::size_t fragment = 16384) const {
    Bytes m = message();
    Bytes out;
    for (std::size_t at = 0; at < m.size(); at += fragment) {
      std::size_t n = std::min(fragment, m.size() - at);
      out.insert(out.end(), {22, 3, 1});
      put16(out, n);
      out.insert(out.end(), m.begin() + at, m.begin() + at + n);
    }
    return out;
  }

  HelloBuilder& set(std::uint16_t type, Bytes data) {
    for (auto& [t, d] : extensions) {
      if (t == type) {
        d = std::move(data);
        return *this;
      }
    }
    extensions.emplace_back(type, std::move(data));
    return *this;
  }
  HelloBuilder& drop(std::uint16_t type) {
    std::erase_if(extensions, [type](const auto& e) { return e.first == type; });
    return *this;
  }
};

Bytes with(Bytes bytes, std::size_t at, std::initializer_list<std::uint8_t> patch) {
  for (std::uint8_t b : patch) bytes.at(at++) = b;
  return bytes;
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

enum class Entry { kRecords, kMessage, kBody };

struct ParseRow {
  const char* name;
  Entry entry;
  Bytes input;
  HelloStatus status;
  std::string_view error;  // a part of the error text
};

ClientHello parse(Entry entry, const Bytes& input) {
  switch (entry) {
    case Entry::kRecords:
      return parse_client_hello_records(input);
    case Entry::kMessage:
      return parse_client_hello_message(input);
    case Entry::kBody:
      return parse_client_hello_body(input);
  }
  return {};
}

void expect_rows(const std::vector<ParseRow>& rows) {
  for (const ParseRow& row : rows) {
    ClientHello hello = parse(row.entry, row.input);
    EXPECT_EQ(hello.status, row.status) << row.name << ": " << hello.error;
    EXPECT_NE(hello.error.find(row.error), std::string_view::npos)
        << row.name << ": error \"" << hello.error << "\" lacks \"" << row.error << "\"";
    if (row.status != HelloStatus::kOk) {
      EXPECT_TRUE(hello.cipher_suites.empty() && hello.extensions.empty() &&
                  hello.server_name.empty())
          << row.name;
    }
  }
}

constexpr auto kOk = HelloStatus::kOk;
constexpr auto kIncomplete = HelloStatus::kIncomplete;
constexpr auto kMalformed = HelloStatus::kMalformed;

TEST(ClientHelloTest, RefusesBrokenRecords) {
  const Bytes good = HelloBuilder().records();
  const Bytes two = HelloBuilder().records(40);
  Bytes alert_inside = two;
  alert_inside[45] = 21;  // the second record's content type
  Bytes long_record = good;
  long_record.resize(5 + 16385);
  expect_rows({
      {"well-formed", Entry::kRecords, good, kOk, ""},
      {"empty input", Entry::kRecords, {}, kIncomplete, "record header truncated"},
      {"truncated record header", Entry::kRecords, {22, 3, 1}, kIncomplete, "record header"},
      {"truncated record", Entry::kRecords, Bytes(good.begin(), good.end() - 1), kIncomplete,
       "record truncated"},
      {"second record missing", Entry::kRecords, Bytes(two.begin(), two.begin() + 45), kIncomplete,
       "record header truncated"},
      {"application data record", Entry::kRecords, with(good, 0, {23}), kMalformed,
       "not a TLS handshake record"},
      {"plain HTTP", Entry::kRecords, text("GET / HTTP/1.1\r\n"), kMalformed,
       "not a TLS handshake record"},
      {"SSL 2.0 hello",
       Entry::kRecords,
       {0x80, 0x2e, 0x01, 0x00, 0x02},
       kMalformed,
       "not a TLS handshake record"},
      {"record version 2.0", Entry::kRecords, with(good, 1, {2}), kMalformed, "record version"},
      {"empty record", Entry::kRecords, with(good, 3, {0, 0}), kMalformed, "empty handshake"},
      {"record over 2^14 bytes", Entry::kRecords, with(long_record, 3, {0x40, 0x01}), kMalformed,
       "record longer"},
      {"alert inside a split hello", Entry::kRecords, alert_inside, kMalformed,
       "non-handshake record inside"},
      {"ServerHello", Entry::kRecords, with(good, 5, {2}), kMalformed, "not a ClientHello"},
      {"ServerHello, first byte only",
       Entry::kRecords,
       {22, 3, 1, 0, 50, 2},
       kMalformed,
       "not a ClientHello"},
      {"handshake length over 16 KiB", Entry::kRecords, with(good, 6, {0x00, 0x40, 0x01}),
       kMalformed, "longer than 16384"},
      {"handshake length past the record", Entry::kRecords,
       with(good, 7, {static_cast<std::uint8_t>(good[7] + 1)}), kIncomplete,
       "record header truncated"},
      {"handshake length short of the record", Entry::kRecords,
       with(good, 8, {static_cast<std::uint8_t>(good[8] - 1)}), kMalformed,
       "bytes after the ClientHello"},
  });
}

TEST(ClientHelloTest, JoinsAHelloSplitAcrossRecords) {
  HelloBuilder builder;
  const Bytes one = builder.records();
  const Bytes two = builder.records(100);
  ASSERT_GT(two.size(), one.size());
  ClientHello whole = parse_client_hello_records(one);
  ClientHello split = parse_client_hello_records(two);
  ASSERT_TRUE(whole.ok()) << whole.error;
  ASSERT_TRUE(split.ok()) << split.error;
  EXPECT_EQ(split.record_bytes, two.size());
  EXPECT_EQ(ja4_fingerprint(split).raw, ja4_fingerprint(whole).raw);
  EXPECT_EQ(split.server_name, "example.com");
  // Views into the joined storage survive a move of the hello.
  ClientHello moved = std::move(split);
  EXPECT_EQ(moved.server_name, "example.com");
  EXPECT_EQ(alpn_names(moved), (std::vector<std::string>{"h2", "http/1.1"}));
}

TEST(ClientHelloTest, SplitsAtEveryPlaceIncludingInsideTheHandshakeHeader) {
  const Bytes message = HelloBuilder().message();
  for (std::size_t cut = 1; cut < message.size(); ++cut) {
    Bytes records = {22, 3, 1, 0, static_cast<std::uint8_t>(cut)};
    records.insert(records.end(), message.begin(), message.begin() + cut);
    records.insert(records.end(), {22, 3, 3});
    put16(records, message.size() - cut);
    records.insert(records.end(), message.begin() + cut, message.end());
    ClientHello hello = parse_client_hello_records(records);
    ASSERT_TRUE(hello.ok()) << cut << ": " << hello.error;
    EXPECT_EQ(hello.server_name, "example.com");
  }
}

TEST(ClientHelloTest, LeavesTheBytesAfterTheHelloToTheCaller) {
  const Bytes hello_records = HelloBuilder().records(64);
  const Bytes ccs = {20, 3, 3, 0, 1, 1};
  const Bytes input = concat(hello_records, ccs);
  ClientHello hello = parse_client_hello_records(input);
  ASSERT_TRUE(hello.ok()) << hello.error;
  EXPECT_EQ(hello.record_bytes, hello_records.size());
}

TEST(ClientHelloTest, RefusesBrokenBodies) {
  const Bytes good = HelloBuilder().body();
  HelloBuilder no_ciphers;
  no_ciphers.ciphers = {};
  HelloBuilder odd_ciphers;
  odd_ciphers.ciphers = {0x13, 0x01, 0x13};
  HelloBuilder no_compression;
  no_compression.compression = {};
  HelloBuilder no_block;
  no_block.extensions_block = false;
  HelloBuilder long_session;
  long_session.session_id = Bytes(33, 1);
  HelloBuilder huge;
  huge.set(0x0015, Bytes(16384, 0));
  expect_rows({
      {"well-formed", Entry::kBody, good, kOk, ""},
      {"no extensions block (TLS 1.0 style)", Entry::kBody, no_block.body(), kOk, ""},
      {"empty", Entry::kBody, {}, kMalformed, "legacy_version overruns"},
      {"cut in the random", Entry::kBody, Bytes(good.begin(), good.begin() + 20), kMalformed,
       "random overruns"},
      {"session id length past the end", Entry::kBody, Bytes(good.begin(), good.begin() + 40),
       kMalformed, "legacy_session_id overruns"},
      {"session id over 32 bytes", Entry::kBody, long_session.body(), kMalformed,
       "legacy_session_id longer"},
      {"cipher suites length past the end", Entry::kBody, with(good, 67, {0xff, 0xf0}), kMalformed,
       "cipher_suites overruns"},
      {"empty cipher list", Entry::kBody, no_ciphers.body(), kMalformed, "empty cipher_suites"},
      {"odd cipher list", Entry::kBody, odd_ciphers.body(), kMalformed, "odd length"},
      {"empty compression methods", Entry::kBody, no_compression.body(), kMalformed,
       "empty legacy_compression"},
      {"extensions block length past the end", Entry::kBody,
       with(good, 78, {static_cast<std::uint8_t>(good[78] + 1)}), kMalformed,
       "extensions block overruns"},
      {"one byte after the extensions block", Entry::kBody, concat(good, {0}), kMalformed,
       "bytes after the extensions block"},
      {"body over 16 KiB", Entry::kBody, huge.body(), kMalformed, "longer than 16384"},
      {"message: length does not match", Entry::kMessage, with(HelloBuilder().message(), 3, {0}),
       kMalformed, "does not match"},
      {"message: not a ClientHello", Entry::kMessage, with(HelloBuilder().message(), 0, {2}),
       kMalformed, "not a ClientHello"},
      {"message: header cut", Entry::kMessage, {1, 0}, kMalformed, "handshake header truncated"},
  });
}

// The rows above patch the built body at fixed offsets: 2 + 32 (random) + 1 + 32 (session id)
// = 67 is the cipher suites length, 2 + 6 + 1 + 1 later (77) the extensions block length.
TEST(ClientHelloTest, BuiltBodyHasItsLengthsWhereTheRowsExpectThem) {
  Bytes body = HelloBuilder().body();
  EXPECT_EQ(static_cast<std::size_t>(body[67] << 8 | body[68]), 6u);
  EXPECT_EQ(static_cast<std::size_t>(body[77] << 8 | body[78]), body.size() - 79);
}

Bytes raw_extension(std::uint16_t type, std::size_t claimed, const Bytes& data) {
  Bytes out;
  put16(out, type);
  put16(out, claimed);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

// A body whose extensions block is exactly `block`, valid or not.
Bytes body_with_block(const Bytes& block) {
  HelloBuilder b;
  b.extensions_block = false;
  return concat(b.body(), vector16(block));
}

TEST(ClientHelloTest, RefusesBrokenExtensions) {
  auto body = [](const HelloBuilder& b) { return b.body(); };
  Bytes sni = HelloBuilder().extensions[0].second;
  Bytes two_names = sni_data("a.example");
  two_names[1] += 5;
  two_names.insert(two_names.end(), {0, 0, 2, 'b', 'c'});
  expect_rows({
      {"empty extensions block", Entry::kBody, body_with_block({}), kOk, ""},
      {"extension header cut", Entry::kBody, body_with_block({0x00, 0x17, 0x00}), kMalformed,
       "extension header overruns"},
      {"extension data overrun", Entry::kBody, body_with_block(raw_extension(0x0017, 4, {1, 2})),
       kMalformed, "extension data overruns"},
      {"duplicate extension", Entry::kBody,
       body_with_block(concat(raw_extension(0x0017, 0, {}), raw_extension(0x0017, 0, {}))),
       kMalformed, "duplicate extension"},
      {"duplicate GREASE extension", Entry::kBody,
       body_with_block(concat(raw_extension(0x1a1a, 0, {}), raw_extension(0x1a1a, 1, {0}))),
       kMalformed, "duplicate extension"},
      {"two different GREASE extensions", Entry::kBody,
       body_with_block(concat(raw_extension(0x1a1a, 0, {}), raw_extension(0x2a2a, 1, {0}))), kOk,
       ""},
      {"server_name: empty data", Entry::kBody, body(HelloBuilder().set(0x0000, {})), kMalformed,
       "server_name"},
      {"server_name: empty list", Entry::kBody, body(HelloBuilder().set(0x0000, {0, 0})),
       kMalformed, "server_name"},
      {"server_name: empty host name", Entry::kBody, body(HelloBuilder().set(0x0000, sni_data(""))),
       kMalformed, "host_name length"},
      {"server_name: host name of 256 bytes", Entry::kBody,
       body(HelloBuilder().set(0x0000, sni_data(std::string(256, 'a')))), kMalformed,
       "host_name length"},
      {"server_name: NUL", Entry::kBody,
       body(HelloBuilder().set(0x0000, sni_data(std::string_view("a\0b", 3)))), kMalformed, "NUL"},
      {"server_name: two entries", Entry::kBody, body(HelloBuilder().set(0x0000, two_names)),
       kMalformed, "server_name"},
      {"server_name: not host_name", Entry::kBody,
       body(HelloBuilder().set(0x0000, with(sni, 2, {1}))), kMalformed, "not a host_name"},
      {"server_name: trailing byte", Entry::kBody,
       body(HelloBuilder().set(0x0000, concat(sni, {0}))), kMalformed, "server_name"},
      {"alpn: empty list", Entry::kBody, body(HelloBuilder().set(0x0010, {0, 0})), kMalformed,
       "alpn"},
      {"alpn: empty name", Entry::kBody, body(HelloBuilder().set(0x0010, alpn_data({{}}))),
       kMalformed, "empty protocol name"},
      {"alpn: name overrun", Entry::kBody, body(HelloBuilder().set(0x0010, {0, 3, 5, 'h', '2'})),
       kMalformed, "overruns the list"},
      {"supported_versions: odd", Entry::kBody,
       body(HelloBuilder().set(0x002b, vector8({3, 4, 3}))), kMalformed, "supported_versions"},
      {"supported_versions: empty", Entry::kBody, body(HelloBuilder().set(0x002b, vector8({}))),
       kMalformed, "supported_versions"},
      {"supported_groups: odd", Entry::kBody,
       body(HelloBuilder().set(0x000a, vector16({0, 29, 0}))), kMalformed, "supported_groups"},
      {"signature_algorithms: empty", Entry::kBody, body(HelloBuilder().set(0x000d, vector16({}))),
       kMalformed, "signature_algorithms"},
      {"signature_algorithms: length past the data", Entry::kBody,
       body(HelloBuilder().set(0x000d, {0, 4, 4, 3})), kMalformed, "signature_algorithms"},
      {"ec_point_formats: empty", Entry::kBody, body(HelloBuilder().set(0x000b, vector8({}))),
       kMalformed, "ec_point_formats"},
      {"unknown extension, any content", Entry::kBody, body(HelloBuilder().set(0x4469, {1, 2, 3})),
       kOk, ""},
  });
}

TEST(ClientHelloTest, ReadsTheFieldsInWireOrder) {
  HelloBuilder b;
  b.ciphers = code_points({0x0a0a, 0x1301, 0x002f});
  b.set(0x002b, vector8(code_points({0x3a3a, 0x0304, 0x0303})));
  const Bytes body = b.body();
  ClientHello hello = parse_client_hello_body(body);
  ASSERT_TRUE(hello.ok()) << hello.error;
  EXPECT_EQ(hello.legacy_version, 0x0303);
  EXPECT_EQ(std::vector<std::uint16_t>(hello.cipher_suites.begin(), hello.cipher_suites.end()),
            (std::vector<std::uint16_t>{0x0a0a, 0x1301, 0x002f}));
  std::vector<std::uint16_t> types;
  for (const Extension& e : hello.extensions) types.push_back(e.type);
  EXPECT_EQ(types, (std::vector<std::uint16_t>{0x0000, 0x000a, 0x000b, 0x000d, 0x0010, 0x002b}));
  EXPECT_EQ(hello.extensions.size(), 6u);
  EXPECT_EQ(hello.supported_versions.size(), 3u);
  EXPECT_EQ(hello.supported_versions[0], 0x3a3a);
  EXPECT_EQ(hello.supported_groups[1], 0x0017);
  EXPECT_EQ(hello.signature_algorithms[1], 0x0804);
  EXPECT_EQ(hello.ec_point_formats.size(), 1u);
  EXPECT_EQ(hello.server_name, "example.com");
}

TEST(GreaseTest, IsExactlyTheSixteenValuesOfRfc8701) {
  int count = 0;
  for (unsigned v = 0; v <= 0xffff; ++v) count += is_grease(static_cast<std::uint16_t>(v));
  EXPECT_EQ(count, 16);
  for (std::uint16_t v : {0x0a0a, 0x1a1a, 0x7a7a, 0xfafa}) EXPECT_TRUE(is_grease(v)) << v;
  for (std::uint16_t v : {0x1a2a, 0x0a1a, 0x000a, 0x0a00, 0xabab}) EXPECT_FALSE(is_grease(v)) << v;
}

std::string ja4_a(const HelloBuilder& b) {
  const Bytes body = b.body();
  ClientHello hello = parse_client_hello_body(body);
  EXPECT_TRUE(hello.ok()) << hello.error;
  return ja4_fingerprint(hello).fingerprint.substr(0, 10);
}

TEST(Ja4Test, AlpnCharactersFollowTheCurrentSpec) {
  struct Row {
    Bytes first_name;
    std::string_view expected;
  };
  // The examples of technical_details/JA4.md, "ALPN Extension Value".
  const Row rows[] = {
      {text("h2"), "h2"},
      {text("http/1.1"), "h1"},
      {text("h"), "hh"},
      {text("H3"), "H3"},
      {{0xab}, "ab"},
      {{0xab, 0xcd}, "ad"},
      {{0x30, 0xab}, "3b"},
      {{0x30, 0x31, 0xab, 0xcd}, "3d"},
      {{0x30, 0xab, 0xcd, 0x31}, "01"},
      {text("/x"), "28"},
      {text("x/"), "7f"},
  };
  for (const Row& row : rows) {
    HelloBuilder b;
    b.set(0x0010, alpn_data({row.first_name, text("http/1.1")}));
    EXPECT_EQ(ja4_a(b).substr(8), row.expected) << row.expected;
  }
  EXPECT_EQ(ja4_a(HelloBuilder().drop(0x0010)).substr(8), "00");
}

TEST(Ja4Test, VersionComesFromSupportedVersionsElseLegacyVersion) {
  struct Row {
    std::uint16_t legacy;
    Bytes versions;  // empty: no supported_versions
    std::string_view expected;
  };
  const Row rows[] = {
      {0x0303, code_points({0x0304, 0x0303}), "13"},
      {0x0303, code_points({0x0303, 0x0304}), "13"},
      {0x0303, code_points({0xfafa, 0x0303}), "12"},
      {0x0301, code_points({0x4a4a}), "10"},  // GREASE alone says nothing
      {0x0302, {}, "11"},
      {0x0300, {}, "s3"},
      {0x0305, {}, "00"},
  };
  for (const Row& row : rows) {
    HelloBuilder b;
    b.legacy_version = row.legacy;
    if (row.versions.empty()) {
      b.drop(0x002b);
    } else {
      b.set(0x002b, vector8(row.versions));
    }
    EXPECT_EQ(ja4_a(b).substr(1, 2), row.expected) << row.expected;
  }
}

TEST(Ja4Test, CountsLeaveOutGreaseAndStopAt99) {
  HelloBuilder b;
  Bytes many;
  for (std::uint16_t c = 1; c <= 120; ++c) put16(many, c);
  put16(many, 0x2a2a);
  b.ciphers = many;
  for (std::uint16_t t = 0x0100; t < 0x0100 + 100; ++t) b.set(t, {});
  EXPECT_EQ(ja4_a(b), "t13d9999h2");
  HelloBuilder grease;
  grease.ciphers = code_points({0x0a0a, 0x1301, 0xfafa});
  grease.set(0x3a3a, {}).set(0x4a4a, {0});
  EXPECT_EQ(ja4_a(grease), "t13d0106h2");
}

TEST(Ja4Test, WithoutSignatureAlgorithmsTheHashedStringHasNoUnderscore) {
  // The example of technical_details/JA4.md: this list alone hashes to 6d807ffa2a79.
  EXPECT_EQ(sha256_hex("0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01", 12),
            "6d807ffa2a79");
  HelloBuilder b;
  b.drop(0x000d);
  const Bytes body = b.body();
  ClientHello hello = parse_client_hello_body(body);
  ASSERT_TRUE(hello.ok()) << hello.error;
  Ja4 ja4 = ja4_fingerprint(hello);
  EXPECT_EQ(ja4.raw, "t13d0305h2_1301,1302,c02f_000a,000b,002b");
  EXPECT_EQ(ja4.fingerprint, "t13d0305h2_" + sha256_hex("1301,1302,c02f", 12) + "_" +
                                 sha256_hex("000a,000b,002b", 12));
}

TEST(Ja4Test, EmptyListsHashToTwelveZeros) {
  HelloBuilder b;
  b.legacy_version = 0x0301;
  b.ciphers = code_points({0x0a0a});
  b.extensions = {{0x0000, sni_data("example.com")}, {0x0010, alpn_data({text("h2")})}};
  const Bytes body = b.body();
  ClientHello hello = parse_client_hello_body(body);
  ASSERT_TRUE(hello.ok()) << hello.error;
  Ja4 ja4 = ja4_fingerprint(hello);
  EXPECT_EQ(ja4.fingerprint, "t10d0002h2_000000000000_000000000000");
  EXPECT_EQ(ja4.raw, "t10d0002h2__");
}

TEST(Ja4Test, WithoutExtensionsTheHelloIsAnIpDestinationWithoutAlpn) {
  HelloBuilder b;
  b.legacy_version = 0x0301;
  b.ciphers = code_points({0x002f, 0x0035});
  b.extensions_block = false;
  const Bytes body = b.body();
  ClientHello hello = parse_client_hello_body(body);
  ASSERT_TRUE(hello.ok()) << hello.error;
  EXPECT_EQ(ja4_fingerprint(hello).fingerprint,
            "t10i020000_" + sha256_hex("002f,0035", 12) + "_000000000000");
  EXPECT_EQ(ja3_fingerprint(hello).text, "769,47-53,,,");
  EXPECT_EQ(ja3_fingerprint(hello).md5, md5_hex("769,47-53,,,"));
}

TEST(Ja4Test, RefusedHelloHasNoFingerprints) {
  ClientHello hello = parse_client_hello_body(std::span<const std::uint8_t>());
  EXPECT_FALSE(hello.ok());
  EXPECT_TRUE(ja4_fingerprint(hello).fingerprint.empty());
  EXPECT_TRUE(ja4_fingerprint(hello).raw.empty());
  EXPECT_TRUE(ja3_fingerprint(hello).text.empty());
  EXPECT_TRUE(ja3_fingerprint(hello).md5.empty());
}

}  // namespace
}  // namespace portcullis::bots
