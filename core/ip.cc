#include "core/ip.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace portcullis {

std::optional<IpAddress> parse_ip(std::string_view text) noexcept {
  char buf[INET6_ADDRSTRLEN + 1];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress out{};
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool Cidr::contains(const IpAddress& addr) const noexcept {
  int bits = prefix_bits;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (network[i] & mask)) return false;
  }
  return true;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  std::size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return Error{"invalid address in CIDR '" + std::string(text) + "'"};
  bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int max_bits = v4 ? 32 : 128;
  int bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    if (ec != std::errc() || ptr != b.data() + b.size() || bits < 0 || bits > max_bits) {
      return Error{"invalid prefix length in CIDR '" + std::string(text) + "'"};
    }
  }
  Cidr cidr;
  cidr.network = *ip;
  cidr.prefix_bits = v4 ? bits + 96 : bits;
  return cidr;
}

}  // namespace portcullis
