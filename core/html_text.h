// HTML text for the pages Portcullis writes itself (the bots challenge, the dashboard's report):
// escaped so that it is text in an element or a double- or single-quoted attribute value,
// whatever a client sent. Header-only: the text may go into any string type.
#pragma once

#include <string_view>

namespace portcullis {

// Appends `s` with & < > " ' escaped. Control bytes other than tab are shown as U+FFFD; other
// bytes are copied (a browser shows bytes that are not UTF-8 as U+FFFD too).
template <typename String>
void append_html(String& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
          out += "\xEF\xBF\xBD";
        } else {
          out += c;
        }
    }
  }
}

}  // namespace portcullis
