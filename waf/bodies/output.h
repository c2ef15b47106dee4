// How the body processors write what they find: arena copies, arguments under the limit, and
// the first error. Internal to waf/bodies; not part of the engine's interface.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "waf/bodies/bodies.h"

namespace portcullis::waf::bodies::output {

// `n` bytes of arena memory (n may be 0). Throws std::bad_alloc when the arena is exhausted;
// every public processor turns that into a body error.
char* allocate(Parsed& out, std::size_t n);

// The pieces concatenated into one arena string.
std::string_view concat(Parsed& out, std::initializer_list<std::string_view> pieces);

// Appends (name, value) unless `out.args` already holds `limits.max_args` arguments; then sets
// `limit_exceeded` and returns false.
bool add_arg(Parsed& out, const Limits& limits, std::string_view name, std::string_view value);

// Records the error "<message> at offset <offset>" unless an earlier one was recorded. `message`
// must be a string literal: without arena room for the offset it is kept as it is.
void fail(Parsed& out, std::string_view message, std::size_t offset) noexcept;

// The same without an offset (errors about the whole input or its headers).
void fail(Parsed& out, std::string_view message) noexcept;

// Records that the arena ran out while parsing; the processor's name prefixes the message.
void fail_out_of_memory(Parsed& out, std::string_view processor) noexcept;

}  // namespace portcullis::waf::bodies::output
