// t:urlDecode — decodes %XX escapes (either case of hex digit) and turns '+' into a space. An
// escape that is invalid or cut short ("%zz", "%4" at the end) is kept as it is, byte for byte;
// %00 becomes a NUL byte. Returns the decoded bytes; false when there was nothing to decode.
//
//   SecRule REQUEST_URI "@contains ../" "id:1015,phase:1,deny,t:none,t:urlDecode"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool url_decode(std::string_view in, std::pmr::string& out) noexcept {
  std::size_t i = in.find_first_of("%+");
  if (i == std::string_view::npos) return false;
  start_output(in, i, out);
  bool changed = false;
  while (i < in.size()) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size() && is_hex_digit(in[i + 1]) && is_hex_digit(in[i + 2])) {
      out.push_back(hex_pair_value(in[i + 1], in[i + 2]));
      i += 3;
      changed = true;
    } else if (c == '+') {
      out.push_back(' ');
      ++i;
      changed = true;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return changed;
}

}  // namespace portcullis::waf::transformations
