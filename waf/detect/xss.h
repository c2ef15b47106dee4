// Cross-site scripting detection (@detectXSS): would a value, pasted into an HTML page, run
// script? The value is read by an HTML5 tokenizer (the states of the WHATWG parsing spec that
// matter: data, tag open, tag name, attribute name, attribute value double-quoted,
// single-quoted and unquoted, comments, bogus comments, CDATA, RCDATA/RAWTEXT) from each place
// an application pastes user input: the page's text, and the inside of a double-quoted, a
// single-quoted and an unquoted attribute value. It flags executable contexts: script-capable
// tags, event-handler attributes, javascript:/vbscript:/data: URLs in URL-bearing attributes
// (after entity decoding and with the whitespace and control bytes browsers ignore), <svg>/<math>
// namespace tricks, and style with expression( or url(javascript:. How it decides, what it
// catches and its blind spots: docs/detectors.md.
#pragma once

#include <string_view>

namespace portcullis::waf::detect {

// What detect_xss() found.
struct XssMatch {
  bool found = false;
  // What made it executable, from a fixed set: "script tag", "event handler", "script url",
  // "style expression", "dangerous tag" (a framing element with attributes, a meta refresh,
  // <?import), "srcdoc markup", "script entity" (Netscape's &{…};). Empty when nothing was
  // found. Static storage.
  std::string_view reason;
  // Where in the value the executable construct starts (offset of its first byte).
  std::size_t offset = 0;
};

// Whether `value` carries script an HTML page would run. Pure: no allocation, no state, safe for
// concurrent use by multiple threads. Time is linear in value.size().
XssMatch detect_xss(std::string_view value) noexcept;

}  // namespace portcullis::waf::detect
