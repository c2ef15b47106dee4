// Cookie header → REQUEST_COOKIES / REQUEST_COOKIES_NAMES, split as libmodsecurity v3 splits it
// in Transaction::addRequestHeader: pieces between ';' (an empty piece after the last ';' does
// not count), trailing whitespace of the last piece dropped, empty pieces skipped, leading
// whitespace of each name skipped, the first '=' separates name and value (a piece without '='
// is a name with an empty value), and a piece whose name is then empty is skipped. Values keep
// their whitespace and are not decoded.
//
//   SecRule REQUEST_COOKIES:session "!@rx ^[a-f0-9]{32}$" "id:1200,phase:1,deny,t:none"
#include "waf/bodies/bodies.h"
#include "waf/bodies/text.h"

namespace portcullis::waf::bodies {
namespace {

using text::is_c_space;

}  // namespace

void parse_cookies(std::string_view header_value, std::pmr::vector<Arg>& out) noexcept {
  try {
    std::size_t pos = 0;
    while (pos < header_value.size()) {
      std::size_t semi = header_value.find(';', pos);
      bool last = semi == std::string_view::npos;
      std::string_view piece = header_value.substr(pos, last ? std::string_view::npos : semi - pos);
      pos = last ? header_value.size() : semi + 1;
      // "The last piece" is the last one ModSecurity's split produces: nothing after this ';'.
      if (last || pos == header_value.size()) {
        while (!piece.empty() && is_c_space(piece.back())) piece.remove_suffix(1);
      }
      if (piece.empty()) continue;
      std::size_t eq = piece.find('=');
      std::string_view name = piece.substr(0, eq);
      std::string_view value =
          eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
      while (!name.empty() && is_c_space(name.front())) name.remove_prefix(1);
      if (name.empty()) continue;
      out.push_back({name, value});
    }
  } catch (...) {
    // Only an exhausted arena gets here; the cookies found so far stay.
  }
}

}  // namespace portcullis::waf::bodies
