// Every transformation of waf/transformations, one function per SecLang name, each with the
// TransformFn contract of transformation.h: it rewrites `in` into `out` and returns false when
// the value is unchanged. Internal: the rest of the engine finds them by name through
// find_transformation(). All are safe for concurrent use by multiple threads.
#pragma once

#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "waf/transformations/transformation.h"

namespace portcullis::waf::transformations {

bool base64_decode(std::string_view in, std::pmr::string& out) noexcept;
bool base64_decode_ext(std::string_view in, std::pmr::string& out) noexcept;
bool base64_encode(std::string_view in, std::pmr::string& out) noexcept;
bool cmd_line(std::string_view in, std::pmr::string& out) noexcept;
bool compress_whitespace(std::string_view in, std::pmr::string& out) noexcept;
bool css_decode(std::string_view in, std::pmr::string& out) noexcept;
bool escape_seq_decode(std::string_view in, std::pmr::string& out) noexcept;
bool hex_decode(std::string_view in, std::pmr::string& out) noexcept;
bool hex_encode(std::string_view in, std::pmr::string& out) noexcept;
bool html_entity_decode(std::string_view in, std::pmr::string& out) noexcept;
bool js_decode(std::string_view in, std::pmr::string& out) noexcept;
bool length(std::string_view in, std::pmr::string& out) noexcept;
bool lowercase(std::string_view in, std::pmr::string& out) noexcept;
bool md5(std::string_view in, std::pmr::string& out) noexcept;
bool normalize_path(std::string_view in, std::pmr::string& out) noexcept;
bool normalize_path_win(std::string_view in, std::pmr::string& out) noexcept;
bool remove_comments(std::string_view in, std::pmr::string& out) noexcept;
bool remove_comments_char(std::string_view in, std::pmr::string& out) noexcept;
bool remove_nulls(std::string_view in, std::pmr::string& out) noexcept;
bool remove_whitespace(std::string_view in, std::pmr::string& out) noexcept;
bool replace_comments(std::string_view in, std::pmr::string& out) noexcept;
bool replace_nulls(std::string_view in, std::pmr::string& out) noexcept;
bool sha1(std::string_view in, std::pmr::string& out) noexcept;
bool sql_hex_decode(std::string_view in, std::pmr::string& out) noexcept;
bool trim(std::string_view in, std::pmr::string& out) noexcept;
bool trim_left(std::string_view in, std::pmr::string& out) noexcept;
bool trim_right(std::string_view in, std::pmr::string& out) noexcept;
bool uppercase(std::string_view in, std::pmr::string& out) noexcept;
bool url_decode(std::string_view in, std::pmr::string& out) noexcept;
bool url_decode_uni(std::string_view in, std::pmr::string& out) noexcept;
bool utf8_to_unicode(std::string_view in, std::pmr::string& out) noexcept;

// The path normalization behind normalizePath (`backslash_too` false) and normalizePathWin
// (true: a backslash separates segments as '/' does, and comes out as '/').
bool normalize_path_common(std::string_view in, std::pmr::string& out, bool backslash_too) noexcept;

// The registry's table, one row per accepted name (aliases included), for tests and fuzzing.
std::span<const TransformationInfo> registered_transformations() noexcept;

}  // namespace portcullis::waf::transformations
