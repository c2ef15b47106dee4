// Content-Security-Policy sources for the pages Portcullis writes itself (the bots challenge,
// the dashboard's sign-in form and report): an inline script or style allowed by its hash.
#pragma once

#include <string>
#include <string_view>

namespace portcullis {

// The hash source of `text` as a policy names it: 'sha256-BASE64' (quotes included).
std::string csp_hash(std::string_view text);

}  // namespace portcullis
