// BlockCache: where request arenas get the memory they outgrow their inline buffer into. Each
// thread keeps a few freed blocks per power-of-two size (4 KiB to 256 KiB, two of each: at most
// about 1 MiB a thread) and hands them to the next request, so that a busy worker does not call
// malloc and free for every request. Bigger blocks come from and go to operator new directly.
// One per thread (local()); not safe for use across threads: a block must be freed on the thread
// that allocated it, which holds for Exchanges (they live on their worker).
#pragma once

#include <array>
#include <cstddef>
#include <memory_resource>

namespace portcullis {

class BlockCache final : public std::pmr::memory_resource {
 public:
  static BlockCache& local() noexcept;
  ~BlockCache() override;

 private:
  static constexpr std::size_t kMinShift = 12;  // 4 KiB
  static constexpr std::size_t kMaxShift = 18;  // 256 KiB
  static constexpr std::size_t kPerClass = 2;
  struct Class {
    std::array<void*, kPerClass> free{};
    std::size_t count = 0;
  };

  void* do_allocate(std::size_t bytes, std::size_t alignment) override;
  void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override;
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
  static std::size_t shift_for(std::size_t bytes) noexcept;

  std::array<Class, kMaxShift - kMinShift + 1> classes_{};
};

}  // namespace portcullis
