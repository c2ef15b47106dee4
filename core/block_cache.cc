// The per-thread block cache (see block_cache.h).
#include "core/block_cache.h"

#include <new>

namespace portcullis {

BlockCache& BlockCache::local() noexcept {
  thread_local BlockCache cache;
  return cache;
}

BlockCache::~BlockCache() {
  for (std::size_t c = 0; c < classes_.size(); ++c) {
    for (std::size_t i = 0; i < classes_[c].count; ++i) {
      ::operator delete (classes_[c].free[i], std::size_t{1} << (c + kMinShift),
                         std::align_val_t{alignof(std::max_align_t)});
    }
  }
}

std::size_t BlockCache::shift_for(std::size_t bytes) noexcept {
  std::size_t shift = kMinShift;
  while ((std::size_t{1} << shift) < bytes) ++shift;
  return shift;
}

void* BlockCache::do_allocate(std::size_t bytes, std::size_t alignment) {
  std::size_t shift = shift_for(bytes);
  if (shift > kMaxShift || alignment > alignof(std::max_align_t)) {
    return ::operator new (bytes, std::align_val_t{alignment});
  }
  Class& c = classes_[shift - kMinShift];
  if (c.count > 0) return c.free[--c.count];
  return ::operator new (std::size_t{1} << shift, std::align_val_t{alignof(std::max_align_t)});
}

void BlockCache::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) {
  std::size_t shift = shift_for(bytes);
  if (shift > kMaxShift || alignment > alignof(std::max_align_t)) {
    ::operator delete (p, bytes, std::align_val_t{alignment});
    return;
  }
  Class& c = classes_[shift - kMinShift];
  if (c.count < kPerClass) {
    c.free[c.count++] = p;
    return;
  }
  ::operator delete (p, std::size_t{1} << shift, std::align_val_t{alignof(std::max_align_t)});
}

}  // namespace portcullis
