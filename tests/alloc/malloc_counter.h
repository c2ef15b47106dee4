// Counts heap allocations: a test executable that links malloc_counter.cc gets a malloc, calloc
// and realloc in front of the C library's that count, on the calling thread, the calls made
// while `counting` is set. Not for sanitizer builds, which bring their own allocator.
#pragma once

namespace portcullis::alloc_test {

extern thread_local bool counting;
extern thread_local long allocations;

}  // namespace portcullis::alloc_test
