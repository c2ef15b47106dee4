// application/x-www-form-urlencoded (and the query string) → ARGS_POST / ARGS_GET, as
// libmodsecurity's Transaction::extractArguments: the text is split on '&' (an empty piece after
// the last '&' is dropped, every other piece is an argument, even an empty one), each piece on
// its first '=', and both halves are URL-decoded non-strictly ('+' is a space, %XX a byte, a
// '%' without two hex digits stays as it is and sets URLENCODED_ERROR).
//
//   SecRule ARGS_POST:comment "@rx <script" "id:1100,phase:2,deny,t:none,t:lowercase"
#include "waf/bodies/bodies.h"
#include "waf/bodies/output.h"

namespace portcullis::waf::bodies {
namespace {

constexpr bool is_hex_digit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

constexpr char hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return static_cast<char>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<char>(c - 'a' + 10);
  return static_cast<char>(c - 'A' + 10);
}

bool valid_escape_at(std::string_view in, std::size_t i) noexcept {
  return i + 2 < in.size() && is_hex_digit(in[i + 1]) && is_hex_digit(in[i + 2]);
}

// Whether decoding would change `in`; notes invalid escapes on the way.
bool needs_decoding(std::string_view in, bool& invalid) noexcept {
  bool changes = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      changes = true;
    } else if (in[i] == '%') {
      if (valid_escape_at(in, i)) {
        changes = true;
        i += 2;
      } else {
        invalid = true;
      }
    }
  }
  return changes;
}

std::string_view decode(Parsed& out, std::string_view in, bool& invalid) {
  if (!needs_decoding(in, invalid)) return in;
  char* dst = output::allocate(out, in.size());
  std::size_t n = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      dst[n++] = ' ';
    } else if (c == '%' && valid_escape_at(in, i)) {
      dst[n++] = static_cast<char>((hex_value(in[i + 1]) << 4) | hex_value(in[i + 2]));
      i += 2;
    } else {
      dst[n++] = c;
    }
  }
  return {dst, n};
}

void parse_pieces(std::string_view text, const Limits& limits, Parsed& out) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t amp = text.find('&', pos);
    std::string_view piece =
        text.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    std::size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    bool invalid = false;
    if (out.args.size() >= limits.max_args) {
      // Dropped, but ModSecurity still decodes it, so URLENCODED_ERROR still sees it.
      out.limit_exceeded = true;
      needs_decoding(name, invalid);
      needs_decoding(value, invalid);
    } else {
      std::string_view decoded_name = decode(out, name, invalid);
      output::add_arg(out, limits, decoded_name, decode(out, value, invalid));
    }
    if (invalid) out.urlencoded_error = true;
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
}

}  // namespace

void parse_urlencoded(std::string_view text, const Limits& limits, Parsed& out) noexcept {
  try {
    parse_pieces(text, limits, out);
  } catch (...) {
    output::fail_out_of_memory(out, "URLENCODED");
  }
}

}  // namespace portcullis::waf::bodies
