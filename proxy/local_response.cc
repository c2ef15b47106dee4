#include "proxy/local_response.h"

#include <charconv>

namespace portcullis::proxy {
namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Escapes for both JSON strings and HTML text; details and ids are ASCII we wrote ourselves,
// but a 405's Allow list comes from config, so nothing is trusted blindly.
void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&quot;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
  }
}

}  // namespace

std::string_view reason_phrase(std::uint16_t status) noexcept {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 421:
      return "Misdirected Request";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view append_local_body(const LocalResponse& r, std::string& out) {
  if (!r.body.empty()) {
    out += r.body;
    return r.content_type;
  }
  std::string_view phrase = reason_phrase(r.status);
  enum class Kind { kText, kJson, kHtml } kind = Kind::kText;
  if (r.accept.find("json") != std::string_view::npos) {
    kind = Kind::kJson;
  } else if (r.accept.find("text/html") != std::string_view::npos) {
    kind = Kind::kHtml;
  }
  switch (kind) {
    case Kind::kJson:
      out += "{\"status\":";
      append_number(out, r.status);
      out += ",\"error\":\"";
      out += phrase;
      out += "\",\"detail\":\"";
      append_escaped(out, r.detail);
      out += "\",\"request_id\":\"";
      out += r.request_id;
      out += "\"}\n";
      break;
    case Kind::kHtml:
      out += "<!doctype html><html><head><title>";
      append_number(out, r.status);
      out += ' ';
      out += phrase;
      out += "</title></head><body><h1>";
      append_number(out, r.status);
      out += ' ';
      out += phrase;
      out += "</h1><p>";
      append_escaped(out, r.detail);
      out += "</p><p>Request id: <code>";
      out += r.request_id;
      out += "</code></p></body></html>\n";
      break;
    case Kind::kText:
      append_number(out, r.status);
      out += ' ';
      out += phrase;
      if (!r.detail.empty()) {
        out += ": ";
        append_escaped(out, r.detail);
      }
      if (!r.request_id.empty()) {
        out += " (request id ";
        out += r.request_id;
        out += ')';
      }
      out += '\n';
      break;
  }
  return kind == Kind::kJson   ? "application/json"
         : kind == Kind::kHtml ? "text/html; charset=utf-8"
                               : "text/plain; charset=utf-8";
}

void append_local_response(const LocalResponse& r, std::string& out) {
  // The body is built first, at the end of `out`, so its length is known without a second
  // buffer; the head is then inserted before it.
  std::size_t body_start = out.size();
  std::string_view content_type = append_local_body(r, out);
  std::size_t body_len = out.size() - body_start;

  std::string head;
  head.reserve(256);
  std::string_view phrase = reason_phrase(r.status);
  head += "HTTP/1.1 ";
  append_number(head, r.status);
  head += ' ';
  head += phrase;
  head += "\r\ncontent-type: ";
  head += content_type;
  head += "\r\ncontent-length: ";
  append_number(head, body_len);
  head += "\r\ncache-control: no-store\r\n";
  if (!r.request_id.empty()) {
    head += "x-request-id: ";
    head += r.request_id;
    head += "\r\n";
  }
  if (!r.allow.empty()) {
    head += "allow: ";
    head += r.allow;
    head += "\r\n";
  }
  if (r.retry_after_s) {
    head += "retry-after: ";
    append_number(head, r.retry_after_s);
    head += "\r\n";
  }
  for (const HeaderField& f : r.headers) {
    head.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  if (r.close) head += "connection: close\r\n";
  head += "\r\n";
  if (r.head) out.resize(body_start);
  out.insert(body_start, head);
}

}  // namespace portcullis::proxy
