// A set of IPv4 and IPv6 networks (addresses and CIDR blocks) for @ipMatch and @ipMatchFromFile.
// Internal to waf/operators.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/result.h"
#include "waf/operators/operator.h"

namespace portcullis::waf::operators {

// Built at rule load, then immutable: contains() is safe for concurrent use by multiple threads
// and allocates nothing. Lookups hash the address once per distinct prefix length in the set.
class IpSet {
 public:
  // Adds the comma-separated entries of `list` ("10.0.0.0/8,192.168.1.7,::1,2001:db8::/32");
  // white space around an entry is ignored. An entry with ':' is IPv6. As in ModSecurity, a
  // prefix length of 0 is refused, and host bits beyond the prefix are ignored.
  Status add_list(std::string_view list);

  // Whether `address`, a literal IPv4 or IPv6 address (no brackets, no port), lies in one of the
  // networks. Anything that is not such an address is not contained.
  bool contains(std::string_view address) const noexcept;

 private:
  struct V6Hash {
    std::size_t operator()(const std::array<std::uint64_t, 2>& a) const noexcept {
      return std::hash<std::uint64_t>{}(a[0] * 0x9e3779b97f4a7c15ULL ^ a[1]);
    }
  };
  // One row per prefix length in use: the masked networks of that length.
  std::vector<std::pair<int, std::unordered_set<std::uint32_t>>> v4_;
  std::vector<std::pair<int, std::unordered_set<std::array<std::uint64_t, 2>, V6Hash>>> v6_;
};

// The operator behind @ipMatch and @ipMatchFromFile: matches when the value is an address in
// the set. Safe for concurrent use by multiple threads.
class IpMatch final : public Operator {
 public:
  explicit IpMatch(IpSet set) : set_(std::move(set)) {}
  bool match(std::string_view value, MatchContext&) const noexcept override {
    return set_.contains(value);
  }

 private:
  IpSet set_;
};

}  // namespace portcullis::waf::operators
