// Variables (SecLang targets such as ARGS, REQUEST_HEADERS:User-Agent, &TX:score): what a rule
// looks at. This file names them and says which are collections (they take a `:key` selector
// and yield one value per member); the transaction (waf/engine) produces their values for one
// request. Safe for concurrent use by multiple threads.
#pragma once

#include <cstdint>
#include <string_view>

namespace portcullis::waf {

enum class Var : std::uint8_t {
  // Request line and head.
  kRequestMethod,
  kRequestLine,
  kRequestProtocol,
  kRequestUri,       // the target, percent-decoded, without scheme and host
  kRequestUriRaw,    // the target as received
  kRequestFilename,  // the path, percent-decoded
  kRequestBasename,  // the last segment of the path, percent-decoded
  kQueryString,      // after '?', as received
  kRequestHeaders,
  kRequestHeadersNames,
  kRequestCookies,
  kRequestCookiesNames,
  kRemoteAddr,
  kRemotePort,
  kServerName,
  kServerPort,
  kUniqueId,
  // Arguments of the query string (GET) and of the body (POST).
  kArgs,
  kArgsNames,
  kArgsGet,
  kArgsGetNames,
  kArgsPost,
  kArgsPostNames,
  kArgsCombinedSize,
  // The body and what its processor found.
  kRequestBody,
  kRequestBodyLength,
  kReqbodyProcessor,
  kReqbodyError,
  kReqbodyErrorMsg,
  kReqbodyProcessorError,
  kReqbodyProcessorErrorMsg,
  kInboundDataError,
  kFullRequest,
  kFullRequestLength,
  kFiles,
  kFilesNames,
  kFilesSizes,
  kFilesCombinedSize,
  kMultipartPartHeaders,
  kMultipartStrictError,
  kMultipartUnmatchedBoundary,
  kMultipartBoundaryQuoted,
  kMultipartBoundaryWhitespace,
  kMultipartDataBefore,
  kMultipartDataAfter,
  kMultipartHeaderFolding,
  kMultipartLfLine,
  kMultipartCrlfLfLines,
  kMultipartMissingSemicolon,
  kMultipartInvalidQuoting,
  kMultipartInvalidPart,
  kMultipartInvalidHeaderFolding,
  kMultipartFileLimitExceeded,
  kXml,
  // The response (phases 3 and 4).
  kResponseStatus,
  kResponseProtocol,
  kResponseHeaders,
  kResponseHeadersNames,
  kResponseContentType,
  kResponseContentLength,
  kResponseBody,
  kOutboundDataError,
  // Transaction state.
  kTx,
  kIp,  // the per-client collection; kept for the request only (docs/waf.md)
  kGlobal,
  kSession,
  kUser,
  kResource,
  kMatchedVar,
  kMatchedVarName,
  kMatchedVars,
  kMatchedVarsNames,
  kRule,
  kEnv,
  kGeo,
  kHighestSeverity,
  kDuration,
  kTime,
  kTimeEpoch,
  kTimeYear,
  kTimeMon,
  kTimeDay,
  kTimeHour,
  kTimeMin,
  kTimeSec,
  kTimeWday,
  kAuthType,
  kStatusLine,
  kWebserverErrorLog,
  kCount_,  // number of variables; not a variable
};

struct VariableInfo {
  std::string_view name;  // as SecLang spells it, upper case
  Var var;
  bool collection;  // takes `:key` and yields one value per member
};

// The variable named `name` (case-insensitive), or nullptr.
const VariableInfo* find_variable(std::string_view name) noexcept;

// The SecLang name of `var` ("REQUEST_HEADERS").
std::string_view variable_name(Var var) noexcept;

// Whether `var` is a collection (takes `:key`, yields one value per member).
bool is_collection(Var var) noexcept;

// How a transaction finds a member of TX and the other writable collections: by collection and
// lower-case key, hashed. Rules compute it once for the keys they spell out.
constexpr std::uint64_t member_key_hash(Var collection, std::string_view lower_key) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull ^ static_cast<std::uint64_t>(collection);
  for (char c : lower_key) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  return h ^ (h >> 29);
}

}  // namespace portcullis::waf
