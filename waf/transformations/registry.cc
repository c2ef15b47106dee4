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

// ModSecurity's parser also accepts the British normalisePath and normalisePathWin.
constexpr std::array kTransformations = {
    TransformationInfo{"none", nullptr},
    TransformationInfo{"base64Decode", &base64_decode},
    TransformationInfo{"base64DecodeExt", &base64_decode_ext},
    TransformationInfo{"base64Encode", &base64_encode},
    TransformationInfo{"cmdLine", &cmd_line},
    TransformationInfo{"compressWhitespace", &compress_whitespace},
    TransformationInfo{"cssDecode", &css_decode},
    TransformationInfo{"escapeSeqDecode", &escape_seq_decode},
    TransformationInfo{"hexDecode", &hex_decode},
    TransformationInfo{"hexEncode", &hex_encode},
    TransformationInfo{"htmlEntityDecode", &html_entity_decode},
    TransformationInfo{"jsDecode", &js_decode},
    TransformationInfo{"length", &length},
    TransformationInfo{"lowercase", &lowercase},
    TransformationInfo{"md5", &md5},
    TransformationInfo{"normalizePath", &normalize_path},
    TransformationInfo{"normalisePath", &normalize_path},
    TransformationInfo{"normalizePathWin", &normalize_path_win},
    TransformationInfo{"normalisePathWin", &normalize_path_win},
    TransformationInfo{"removeComments", &remove_comments},
    TransformationInfo{"removeCommentsChar", &remove_comments_char},
    TransformationInfo{"removeNulls", &remove_nulls},
    TransformationInfo{"removeWhitespace", &remove_whitespace},
    TransformationInfo{"replaceComments", &replace_comments},
    TransformationInfo{"replaceNulls", &replace_nulls},
    TransformationInfo{"sha1", &sha1},
    TransformationInfo{"sqlHexDecode", &sql_hex_decode},
    TransformationInfo{"trim", &trim},
    TransformationInfo{"trimLeft", &trim_left},
    TransformationInfo{"trimRight", &trim_right},
    TransformationInfo{"uppercase", &uppercase},
    TransformationInfo{"urlDecode", &url_decode},
    TransformationInfo{"urlDecodeUni", &url_decode_uni},
    TransformationInfo{"utf8toUnicode", &utf8_to_unicode},
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
