// t:urlDecodeUni — t:urlDecode plus IIS's %uHHHH escapes (u or U). A %u escape keeps only its
// low byte ("%u0041" and "%u1241" both become "A"), except that full-width ASCII
// (%uFF01-%uFF5E) becomes plain ASCII ("%uff0e" is "."). A %u not followed by four hex digits
// is kept as "%u" and decoding goes on after it; other invalid escapes are kept as they are.
// Returns the decoded bytes; false when there was nothing to decode.
//
// ModSecurity can also map %u code points through a SecUnicodeMapFile table (its recommended
// configuration loads one for code page 20127). There is no such table here: this is what
// ModSecurity does without one.
//
//   SecRule ARGS "@rx <script" "id:1016,phase:2,deny,t:none,t:urlDecodeUni,t:lowercase"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool url_decode_uni(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find_first_of("%+");
  if (i == std::string_view::npos) return false;
  start_output(in, i, out);
  bool changed = false;
  while (i < in.size()) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
      ++i;
      changed = true;
    } else if (c != '%') {
      out.push_back(c);
      ++i;
    } else if (i + 1 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U')) {
      if (i + 5 < in.size() && is_hex_digit(in[i + 2]) && is_hex_digit(in[i + 3]) &&
          is_hex_digit(in[i + 4]) && is_hex_digit(in[i + 5])) {
        out.push_back(unicode_escape_byte(in.substr(i + 2, 4)));
        i += 6;
        changed = true;
      } else {
        out.append(in.substr(i, 2));
        i += 2;
      }
    } else if (i + 2 < in.size() && is_hex_digit(in[i + 1]) && is_hex_digit(in[i + 2])) {
      out.push_back(hex_pair_value(in[i + 1], in[i + 2]));
      i += 3;
      changed = true;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return changed;
}

}  // namespace portcullis::waf::transformations
