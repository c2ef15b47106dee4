// Heap release (see memory.h).
#include "core/memory.h"

#include <malloc.h>

namespace portcullis {

void release_free_memory() noexcept { ::malloc_trim(0); }

}  // namespace portcullis
