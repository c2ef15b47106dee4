// The bytes a CRS test stage puts on the wire, exactly as its reference runner would: go-ftw 2
// for the CRS 4 suite, Python ftw 1.3 for the CRS 3 suite. The WAF sees malformed, oddly
// encoded and hand-framed requests on purpose, so nothing here "fixes" a request beyond what
// those runners do. Pure functions; safe for concurrent use.

#ifndef PORTCULLIS_TESTS_CRS_REQUEST_BUILDER_H_
#define PORTCULLIS_TESTS_CRS_REQUEST_BUILDER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "tests/crs/suite.h"

namespace portcullis::testing::crs {

// The request for `input`. nullopt (and `why`) when the runner cannot build it: invalid base64
// in `encoded_request`, or a `data` template beyond the subset expand_go_template knows.
//
// go-ftw (kGoFtw): `encoded_request` is decoded and sent as is. Otherwise the request line is
// "METHOD URI VERSION", the headers follow in order, then `data` after expanding its Go
// template. With autocomplete (the default) and a body it adds `Content-Type:
// application/x-www-form-urlencoded` when no Content-Type is given, and query-escapes each
// key and value of a form body that holds neither '%' nor '+'. A Content-Type containing
// "multipart/form-data;" turns every LF of the body into CRLF. Autocomplete then appends
// `Connection: close` (unless a Connection header is given) and `Content-Length` (unless given)
// when there is a body or the method matches go-ftw's /^POST|PUT|PATCH|DELETE$/.
//
// ftw (kFtw): `encoded_request` wins, then `raw_request` (as ftw mangles it: see
// python_raw_request), then the request from fields. Without `stop_magic` and with a body, it
// appends `Content-Type: application/x-www-form-urlencoded` when no field is spelled exactly
// "Content-Type", re-encodes a body with exactly that Content-Type through Python's
// parse_qsl/urlencode when it holds no %XX escape, and appends `Content-Length` counting code
// points, not bytes. It adds no Connection header and never rewrites multipart bodies.
std::optional<std::string> build_request(const StageInput& input, Format format,
                                         std::string* why = nullptr);

// go-ftw's log marker request: GET /status/200 with the `X-CRS-Test: id` header.
std::string marker_request(std::string_view id);

// Go's url.QueryEscape (also Python's quote_plus): unreserved bytes stay, space becomes '+',
// everything else %XX in upper case.
std::string query_escape(std::string_view s);

// Expands the subset of Go text/template + sprig that test data uses: text, and actions that
// are a string literal optionally piped into `repeat N` (or `repeat N "s"`), with `{{-`/`-}}`
// trimming and comments. nullopt (and `why`) for anything else.
std::optional<std::string> expand_go_template(std::string_view text, std::string* why = nullptr);

// Standard base64 with padding; CR and LF are skipped (as Go's decoder does). nullopt when
// invalid. With `lenient`, any byte outside the alphabet is skipped (Python's b64decode).
std::optional<std::string> base64_decode(std::string_view text, bool lenient = false);

// What ftw sent for `raw_request`: the YAML text's UTF-8 bytes decoded with Python's
// "unicode_escape" codec (bytes become code points U+0000..U+00FF, backslash escapes are
// interpreted) and encoded as UTF-8 again.
std::string python_raw_request(std::string_view text);

// The number of UTF-8 code points in `s` (bytes that start no sequence count one each).
size_t code_point_count(std::string_view s);

}  // namespace portcullis::testing::crs

#endif  // PORTCULLIS_TESTS_CRS_REQUEST_BUILDER_H_
