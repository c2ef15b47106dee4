#include "tests/alloc/malloc_counter.h"

#include <cstddef>

extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);

namespace portcullis::alloc_test {

thread_local bool counting = false;
thread_local long allocations = 0;

}  // namespace portcullis::alloc_test

using portcullis::alloc_test::allocations;
using portcullis::alloc_test::counting;

extern "C" void* malloc(std::size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
extern "C" void* calloc(std::size_t count, std::size_t size) {
  if (counting) ++allocations;
  return __libc_calloc(count, size);
}
extern "C" void* realloc(void* p, std::size_t n) {
  if (counting) ++allocations;
  return __libc_realloc(p, n);
}
