#include "waf/operators/ip_set.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

#include "waf/operators/argument.h"

namespace portcullis::waf::operators {
namespace {

constexpr std::size_t kMaxAddressText = INET6_ADDRSTRLEN + 1;

// inet_pton() wants a C string; the address is copied into `buffer` (longer text is no address).
bool to_c_string(std::string_view text, char (&buffer)[kMaxAddressText]) noexcept {
  if (text.size() >= kMaxAddressText || text.find('\0') != std::string_view::npos) return false;
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  return true;
}

bool parse_v4(std::string_view text, std::uint32_t& out) noexcept {
  char buffer[kMaxAddressText];
  in_addr addr{};
  if (!to_c_string(text, buffer) || inet_pton(AF_INET, buffer, &addr) != 1) return false;
  out = ntohl(addr.s_addr);
  return true;
}

bool parse_v6(std::string_view text, std::array<std::uint64_t, 2>& out) noexcept {
  char buffer[kMaxAddressText];
  in6_addr addr{};
  if (!to_c_string(text, buffer) || inet_pton(AF_INET6, buffer, &addr) != 1) return false;
  out = {0, 0};
  for (int i = 0; i < 16; ++i) out[i / 8] = (out[i / 8] << 8) | addr.s6_addr[i];
  return true;
}

constexpr std::uint32_t mask_v4(std::uint32_t address, int prefix) noexcept {
  return prefix == 0 ? 0 : address & (~std::uint32_t{0} << (32 - prefix));
}

constexpr std::uint64_t mask_word(std::uint64_t word, int bits) noexcept {
  if (bits <= 0) return 0;
  if (bits >= 64) return word;
  return word & (~std::uint64_t{0} << (64 - bits));
}

std::array<std::uint64_t, 2> mask_v6(const std::array<std::uint64_t, 2>& a, int prefix) noexcept {
  return {mask_word(a[0], prefix), mask_word(a[1], prefix - 64)};
}

template <typename Rows>
auto& row_for(Rows& rows, int prefix) {
  for (auto& row : rows) {
    if (row.first == prefix) return row.second;
  }
  rows.emplace_back();
  rows.back().first = prefix;
  return rows.back().second;
}

}  // namespace

Status IpSet::add_list(std::string_view list) {
  for (std::string_view piece : split(list, [](char c) { return c == ','; })) {
    std::string_view entry = trim_spaces(piece);
    if (entry.empty()) continue;
    bool v6 = entry.find(':') != std::string_view::npos;
    int max_prefix = v6 ? 128 : 32;
    int prefix = max_prefix;
    std::string_view address = entry;
    if (std::size_t slash = entry.find('/'); slash != std::string_view::npos) {
      address = entry.substr(0, slash);
      std::string_view digits = entry.substr(slash + 1);
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
      if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
          prefix < 1 || prefix > max_prefix) {
        return Error("invalid network prefix in '" + std::string(entry) + "'");
      }
    }
    if (v6) {
      std::array<std::uint64_t, 2> a;
      if (!parse_v6(address, a)) return Error("invalid IPv6 address '" + std::string(entry) + "'");
      row_for(v6_, prefix).insert(mask_v6(a, prefix));
    } else {
      std::uint32_t a;
      if (!parse_v4(address, a)) return Error("invalid IPv4 address '" + std::string(entry) + "'");
      row_for(v4_, prefix).insert(mask_v4(a, prefix));
    }
  }
  return Ok{};
}

bool IpSet::contains(std::string_view address) const noexcept {
  if (address.find(':') == std::string_view::npos) {
    std::uint32_t a;
    if (!parse_v4(address, a)) return false;
    for (const auto& [prefix, networks] : v4_) {
      if (networks.contains(mask_v4(a, prefix))) return true;
    }
    return false;
  }
  std::array<std::uint64_t, 2> a;
  if (!parse_v6(address, a)) return false;
  for (const auto& [prefix, networks] : v6_) {
    if (networks.contains(mask_v6(a, prefix))) return true;
  }
  return false;
}

}  // namespace portcullis::waf::operators
