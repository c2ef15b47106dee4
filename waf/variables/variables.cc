// The table of SecLang variable names (see variables.h).
#include "waf/variables/variables.h"

#include <array>

#include "core/exchange.h"

namespace portcullis::waf {
namespace {

constexpr std::array<VariableInfo, static_cast<std::size_t>(Var::kCount_)> kVariables = {{
    {"REQUEST_METHOD", Var::kRequestMethod, false},
    {"REQUEST_LINE", Var::kRequestLine, false},
    {"REQUEST_PROTOCOL", Var::kRequestProtocol, false},
    {"REQUEST_URI", Var::kRequestUri, false},
    {"REQUEST_URI_RAW", Var::kRequestUriRaw, false},
    {"REQUEST_FILENAME", Var::kRequestFilename, false},
    {"REQUEST_BASENAME", Var::kRequestBasename, false},
    {"QUERY_STRING", Var::kQueryString, false},
    {"REQUEST_HEADERS", Var::kRequestHeaders, true},
    {"REQUEST_HEADERS_NAMES", Var::kRequestHeadersNames, true},
    {"REQUEST_COOKIES", Var::kRequestCookies, true},
    {"REQUEST_COOKIES_NAMES", Var::kRequestCookiesNames, true},
    {"REMOTE_ADDR", Var::kRemoteAddr, false},
    {"REMOTE_PORT", Var::kRemotePort, false},
    {"SERVER_NAME", Var::kServerName, false},
    {"SERVER_PORT", Var::kServerPort, false},
    {"UNIQUE_ID", Var::kUniqueId, false},
    {"ARGS", Var::kArgs, true},
    {"ARGS_NAMES", Var::kArgsNames, true},
    {"ARGS_GET", Var::kArgsGet, true},
    {"ARGS_GET_NAMES", Var::kArgsGetNames, true},
    {"ARGS_POST", Var::kArgsPost, true},
    {"ARGS_POST_NAMES", Var::kArgsPostNames, true},
    {"ARGS_COMBINED_SIZE", Var::kArgsCombinedSize, false},
    {"REQUEST_BODY", Var::kRequestBody, false},
    {"REQUEST_BODY_LENGTH", Var::kRequestBodyLength, false},
    {"REQBODY_PROCESSOR", Var::kReqbodyProcessor, false},
    {"REQBODY_ERROR", Var::kReqbodyError, false},
    {"REQBODY_ERROR_MSG", Var::kReqbodyErrorMsg, false},
    {"REQBODY_PROCESSOR_ERROR", Var::kReqbodyProcessorError, false},
    {"REQBODY_PROCESSOR_ERROR_MSG", Var::kReqbodyProcessorErrorMsg, false},
    {"INBOUND_DATA_ERROR", Var::kInboundDataError, false},
    {"FULL_REQUEST", Var::kFullRequest, false},
    {"FULL_REQUEST_LENGTH", Var::kFullRequestLength, false},
    {"FILES", Var::kFiles, true},
    {"FILES_NAMES", Var::kFilesNames, true},
    {"FILES_SIZES", Var::kFilesSizes, true},
    {"FILES_COMBINED_SIZE", Var::kFilesCombinedSize, false},
    {"MULTIPART_PART_HEADERS", Var::kMultipartPartHeaders, true},
    {"MULTIPART_STRICT_ERROR", Var::kMultipartStrictError, false},
    {"MULTIPART_UNMATCHED_BOUNDARY", Var::kMultipartUnmatchedBoundary, false},
    {"MULTIPART_BOUNDARY_QUOTED", Var::kMultipartBoundaryQuoted, false},
    {"MULTIPART_BOUNDARY_WHITESPACE", Var::kMultipartBoundaryWhitespace, false},
    {"MULTIPART_DATA_BEFORE", Var::kMultipartDataBefore, false},
    {"MULTIPART_DATA_AFTER", Var::kMultipartDataAfter, false},
    {"MULTIPART_HEADER_FOLDING", Var::kMultipartHeaderFolding, false},
    {"MULTIPART_LF_LINE", Var::kMultipartLfLine, false},
    {"MULTIPART_CRLF_LF_LINES", Var::kMultipartCrlfLfLines, false},
    {"MULTIPART_MISSING_SEMICOLON", Var::kMultipartMissingSemicolon, false},
    {"MULTIPART_INVALID_QUOTING", Var::kMultipartInvalidQuoting, false},
    {"MULTIPART_INVALID_PART", Var::kMultipartInvalidPart, false},
    {"MULTIPART_INVALID_HEADER_FOLDING", Var::kMultipartInvalidHeaderFolding, false},
    {"MULTIPART_FILE_LIMIT_EXCEEDED", Var::kMultipartFileLimitExceeded, false},
    {"XML", Var::kXml, true},
    {"RESPONSE_STATUS", Var::kResponseStatus, false},
    {"RESPONSE_PROTOCOL", Var::kResponseProtocol, false},
    {"RESPONSE_HEADERS", Var::kResponseHeaders, true},
    {"RESPONSE_HEADERS_NAMES", Var::kResponseHeadersNames, true},
    {"RESPONSE_CONTENT_TYPE", Var::kResponseContentType, false},
    {"RESPONSE_CONTENT_LENGTH", Var::kResponseContentLength, false},
    {"RESPONSE_BODY", Var::kResponseBody, false},
    {"OUTBOUND_DATA_ERROR", Var::kOutboundDataError, false},
    {"TX", Var::kTx, true},
    {"IP", Var::kIp, true},
    {"GLOBAL", Var::kGlobal, true},
    {"SESSION", Var::kSession, true},
    {"USER", Var::kUser, true},
    {"RESOURCE", Var::kResource, true},
    {"MATCHED_VAR", Var::kMatchedVar, false},
    {"MATCHED_VAR_NAME", Var::kMatchedVarName, false},
    {"MATCHED_VARS", Var::kMatchedVars, true},
    {"MATCHED_VARS_NAMES", Var::kMatchedVarsNames, true},
    {"RULE", Var::kRule, true},
    {"ENV", Var::kEnv, true},
    {"GEO", Var::kGeo, true},
    {"HIGHEST_SEVERITY", Var::kHighestSeverity, false},
    {"DURATION", Var::kDuration, false},
    {"TIME", Var::kTime, false},
    {"TIME_EPOCH", Var::kTimeEpoch, false},
    {"TIME_YEAR", Var::kTimeYear, false},
    {"TIME_MON", Var::kTimeMon, false},
    {"TIME_DAY", Var::kTimeDay, false},
    {"TIME_HOUR", Var::kTimeHour, false},
    {"TIME_MIN", Var::kTimeMin, false},
    {"TIME_SEC", Var::kTimeSec, false},
    {"TIME_WDAY", Var::kTimeWday, false},
    {"AUTH_TYPE", Var::kAuthType, false},
    {"STATUS_LINE", Var::kStatusLine, false},
    {"WEBSERVER_ERROR_LOG", Var::kWebserverErrorLog, false},
}};

constexpr bool table_in_enum_order() {
  for (std::size_t i = 0; i < kVariables.size(); ++i) {
    if (static_cast<std::size_t>(kVariables[i].var) != i) return false;
  }
  return true;
}
static_assert(table_in_enum_order(), "kVariables must list every Var in enum order");

}  // namespace

const VariableInfo* find_variable(std::string_view name) noexcept {
  // Macros in operator arguments are looked up per request: compare lengths first.
  for (const VariableInfo& info : kVariables) {
    if (info.name.size() == name.size() && iequals(info.name, name)) return &info;
  }
  return nullptr;
}

bool is_collection(Var var) noexcept {
  auto index = static_cast<std::size_t>(var);
  return index < kVariables.size() && kVariables[index].collection;
}

std::string_view variable_name(Var var) noexcept {
  auto index = static_cast<std::size_t>(var);
  return index < kVariables.size() ? kVariables[index].name : std::string_view();
}

}  // namespace portcullis::waf
