// t:cmdLine — normalizes a command line the way shells and cmd.exe see it past their quoting:
//   - removes  \  "  '  ^
//   - turns each run of  space , ; \t \r \n  into one space (removed bytes do not end a run)
//   - removes a space just before '/' or '('
//   - lower-cases ASCII letters
// \v and \f are ordinary bytes here, as in ModSecurity v3. Returns the normalized value; false
// when it was already normal.
//
//   SecRule ARGS "@rx cat /etc/passwd" "id:1021,phase:2,deny,t:none,t:cmdLine"
#include "waf/transformations/all.h"
#include "waf/transformations/bytes.h"

namespace portcullis::waf::transformations {

bool cmd_line(std::string_view in, std::pmr::string& out) noexcept {
  // Every byte in gives at most one out: written through a pointer, then cut to length.
  out.resize(in.size());
  char* p = out.data();
  std::size_t n = 0;
  bool after_space = false;
  for (char c : in) {
    switch (c) {
      case '"':
      case '\'':
      case '\\':
      case '^':
        break;
      case ' ':
      case ',':
      case ';':
      case '\t':
      case '\r':
      case '\n':
        if (!after_space) p[n++] = ' ';
        after_space = true;
        break;
      case '/':
      case '(':
        if (after_space) --n;
        after_space = false;
        p[n++] = c;
        break;
      default:
        after_space = false;
        p[n++] = to_lower_ascii(c);
        break;
    }
  }
  out.resize(n);
  return out != in;
}

}  // namespace portcullis::waf::transformations
