// HeaderField: one header field as views, shared by the Exchange (what was received) and the
// Verdict (what a stage adds to its response).
#pragma once

#include <string_view>

namespace portcullis {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

}  // namespace portcullis
