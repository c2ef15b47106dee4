// ShortText: a bounded text built on the stack, for what a stage writes about a request (its
// annotations, a refusal's reason, header values) without a heap allocation. What does not fit
// the bound is cut; copy the result into the exchange's arena (Exchange::keep) to keep it.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace portcullis {

class ShortText {
 public:
  static constexpr std::size_t kCapacity = 512;

  ShortText& operator<<(std::string_view s) noexcept {
    std::size_t take = std::min(s.size(), buf_.size() - n_);
    if (take == 0) return *this;  // an empty view may have no data pointer at all
    std::memcpy(buf_.data() + n_, s.data(), take);
    n_ += take;
    return *this;
  }
  ShortText& operator<<(std::int64_t v) noexcept {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, v);
    return *this << std::string_view(digits, static_cast<std::size_t>(end - digits));
  }
  ShortText& operator<<(int v) noexcept { return *this << static_cast<std::int64_t>(v); }

  std::string_view view() const noexcept { return {buf_.data(), n_}; }
  bool empty() const noexcept { return n_ == 0; }
  // Drops the last `n` characters (at most all of them).
  void drop_last(std::size_t n) noexcept { n_ -= std::min(n, n_); }

 private:
  std::array<char, kCapacity> buf_;
  std::size_t n_ = 0;
};

}  // namespace portcullis
