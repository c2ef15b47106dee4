// The process's heap as a whole.
#pragma once

namespace portcullis {

// Gives the heap memory that is free back to the system. The C library keeps freed memory for
// later allocations; after a config load, which builds and drops large temporary structures
// (the parsed rules, the automata's construction tables), that would stay resident for nothing.
void release_free_memory() noexcept;

}  // namespace portcullis
