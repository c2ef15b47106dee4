// The registry of transformations: an explicit table from SecLang name to function, so that
// linking the static library keeps every file (no static self-registration).
#include <array>
#include <span>
#include <string_view>

#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"
#include "waf/transformations/transformation.h"

namespace portcullis::waf {
namespace {

using namespace transformations;

constexpr ByteSet kSpaces = ByteSet::of(" \t\n\v\f\r");
constexpr ByteSet kUpper = ByteSet::range('A', 'Z');
constexpr ByteSet kNul = ByteSet().add(0);

constexpr TransformationInfo changes(std::string_view name, TransformFn fn, ByteSet triggers) {
  return TransformationInfo{name, fn, triggers, false};
}
constexpr TransformationInfo always(std::string_view name, TransformFn fn) {
  return TransformationInfo{name, fn, {}, true};
}

// ModSecurity's parser also accepts the British normalisePath and normalisePathWin.
constexpr std::array kTransformations = {
    TransformationInfo{"none", nullptr},
    always("base64Decode", &base64_decode),
    always("base64DecodeExt", &base64_decode_ext),
    always("base64Encode", &base64_encode),
    changes("cmdLine", &cmd_line, ByteSet::of("\"'\\^ ,;\t\r\n") | kUpper),
    changes("compressWhitespace", &compress_whitespace, kSpaces),
    changes("cssDecode", &css_decode, ByteSet::of("\\")),
    changes("escapeSeqDecode", &escape_seq_decode, ByteSet::of("\\")),
    always("hexDecode", &hex_decode),
    always("hexEncode", &hex_encode),
    changes("htmlEntityDecode", &html_entity_decode, ByteSet::of("&")),
    changes("jsDecode", &js_decode, ByteSet::of("\\")),
    always("length", &length),
    changes("lowercase", &lowercase, kUpper),
    always("md5", &md5),
    changes("normalizePath", &normalize_path, ByteSet::of("/.")),
    changes("normalisePath", &normalize_path, ByteSet::of("/.")),
    changes("normalizePathWin", &normalize_path_win, ByteSet::of("/.\\")),
    changes("normalisePathWin", &normalize_path_win, ByteSet::of("/.\\")),
    changes("removeComments", &remove_comments, ByteSet::of("/<-#")),
    changes("removeCommentsChar", &remove_comments_char, ByteSet::of("/*<-#")),
    changes("removeNulls", &remove_nulls, kNul),
    changes("removeWhitespace", &remove_whitespace, kSpaces | ByteSet::of("\xa0\xc2")),
    changes("replaceComments", &replace_comments, ByteSet::of("/")),
    changes("replaceNulls", &replace_nulls, kNul),
    always("sha1", &sha1),
    changes("sqlHexDecode", &sql_hex_decode, ByteSet::of("0")),
    changes("trim", &trim, kSpaces),
    changes("trimLeft", &trim_left, kSpaces),
    changes("trimRight", &trim_right, kSpaces),
    changes("uppercase", &uppercase, ByteSet::range('a', 'z')),
    changes("urlDecode", &url_decode, ByteSet::of("%+")),
    changes("urlDecodeUni", &url_decode_uni, ByteSet::of("%+")),
    changes("utf8toUnicode", &utf8_to_unicode, kNul | ByteSet::range(0x80, 0xff)),
};

bool equals_ignoring_case(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (to_lower_ascii(a[i]) != to_lower_ascii(b[i])) return false;
  }
  return true;
}

}  // namespace

const TransformationInfo* find_transformation(std::string_view name) noexcept {
  for (const TransformationInfo& info : kTransformations) {
    if (equals_ignoring_case(info.name, name)) return &info;
  }
  return nullptr;
}

std::span<const TransformationInfo> transformations::registered_transformations() noexcept {
  return kTransformations;
}

}  // namespace portcullis::waf
