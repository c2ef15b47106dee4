#include "schema/formats.h"

#include <array>
#include <cmath>

namespace portcullis::schema {
namespace {

bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool hex(char c) noexcept { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// `n` digits at s[at]; their value in *out.
bool digits(std::string_view s, std::size_t at, std::size_t n, int* out) noexcept {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!digit(s[at + i])) return false;
    v = v * 10 + (s[at + i] - '0');
  }
  *out = v;
  return true;
}

bool full_date(std::string_view s) noexcept {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!digits(s, 0, 4, &y) || !digits(s, 5, 2, &m) || !digits(s, 8, 2, &d)) return false;
  if (m < 1 || m > 12 || d < 1) return false;
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d > kDays[static_cast<std::size_t>(m - 1)]) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return !(m == 2 && d == 29 && !leap);
}

// RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM).
bool full_time(std::string_view s) noexcept {
  int h, m, sec;
  if (s.size() < 9 || s[2] != ':' || s[5] != ':') return false;
  if (!digits(s, 0, 2, &h) || !digits(s, 3, 2, &m) || !digits(s, 6, 2, &sec)) return false;
  if (h > 23 || m > 59 || sec > 60) return false;
  std::size_t at = 8;
  if (at < s.size() && s[at] == '.') {
    std::size_t start = ++at;
    while (at < s.size() && digit(s[at])) ++at;
    if (at == start) return false;
  }
  if (at >= s.size()) return false;
  int oh = 0, om = 0;
  char sign = '+';
  if (s[at] == 'Z' || s[at] == 'z') {
    if (at + 1 != s.size()) return false;
  } else {
    sign = s[at];
    if (sign != '+' && sign != '-') return false;
    if (s.size() != at + 6 || s[at + 3] != ':' || !digits(s, at + 1, 2, &oh) ||
        !digits(s, at + 4, 2, &om)) {
      return false;
    }
    if (oh > 23 || om > 59) return false;
  }
  if (sec == 60) {
    // A leap second is only at 23:59:60 UTC.
    int utc = (h * 60 + m - (sign == '+' ? 1 : -1) * (oh * 60 + om) + 1440) % 1440;
    return utc == 23 * 60 + 59;
  }
  return true;
}

bool ipv4(std::string_view s) noexcept {
  int parts = 0;
  std::size_t at = 0;
  while (true) {
    std::size_t start = at;
    int v = 0;
    while (at < s.size() && digit(s[at]) && at - start < 3) v = v * 10 + (s[at++] - '0');
    if (at == start || v > 255) return false;
    if (at - start > 1 && s[start] == '0') return false;  // leading zeros are ambiguous
    ++parts;
    if (at == s.size()) break;
    if (s[at] != '.' || parts == 4) return false;
    ++at;
  }
  return parts == 4;
}

bool ipv6(std::string_view s) noexcept {
  if (s.empty() || s.size() > 45) return false;
  int groups = 0;
  bool compressed = false;
  std::size_t at = 0;
  if (s.substr(0, 2) == "::") {
    compressed = true;
    at = 2;
    if (at == s.size()) return true;
  } else if (s[0] == ':') {
    return false;
  }
  while (at < s.size()) {
    std::size_t start = at;
    while (at < s.size() && hex(s[at]) && at - start < 5) ++at;
    if (at < s.size() && s[at] == '.') {
      // An embedded IPv4 address ends the text and counts as two groups.
      if (!ipv4(s.substr(start))) return false;
      groups += 2;
      at = s.size();
      break;
    }
    if (at == start || at - start > 4) return false;
    ++groups;
    if (at == s.size()) break;
    if (s[at] != ':') return false;
    ++at;
    if (at < s.size() && s[at] == ':') {
      if (compressed) return false;
      compressed = true;
      ++at;
      if (at == s.size()) break;
    } else if (at == s.size()) {
      return false;  // a trailing single ':'
    }
  }
  return compressed ? groups < 8 : groups == 8;
}

bool hostname(std::string_view s) noexcept {
  if (s.empty() || s.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.') {
      if (label == 0 || s[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    if (!(alpha(c) || digit(c) || c == '-')) return false;
    if (c == '-' && label == 0) return false;
    if (++label > 63) return false;
  }
  return label > 0 && s.back() != '-';
}

bool email(std::string_view s) noexcept {
  std::size_t at = s.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  std::string_view local = s.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (static_cast<unsigned char>(c) <= ' ' || c == '@' || c == '"' || c == '(' || c == ')' ||
        c == ',' || c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' ||
        c == '\\') {
      return false;
    }
  }
  std::string_view domain = s.substr(at + 1);
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    std::string_view literal = domain.substr(1, domain.size() - 2);
    return ipv4(literal) || (literal.substr(0, 5) == "IPv6:" && ipv6(literal.substr(5)));
  }
  return hostname(domain);
}

bool uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!hex(s[i])) {
      return false;
    }
  }
  return true;
}

// An absolute URI (RFC 3986): a scheme, ':', then characters a URI may hold.
bool uri(std::string_view s) noexcept {
  std::size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || !alpha(s[0])) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    if (!(alpha(s[i]) || digit(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')) return false;
  }
  for (std::size_t i = colon + 1; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
        c == '`' || c == '{' || c == '|' || c == '}') {
      return false;
    }
    if (c == '%' && (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2]))) return false;
  }
  return true;
}

bool base64(std::string_view s) noexcept {
  if (s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      if (i + 2 < s.size()) return false;
      ++pad;
      continue;
    }
    if (pad > 0) return false;
    if (!(alpha(c) || digit(c) || c == '+' || c == '/')) return false;
  }
  return true;
}

}  // namespace

Format format_named(std::string_view name) noexcept {
  struct Entry {
    std::string_view name;
    Format format;
  };
  static constexpr Entry kFormats[] = {
      {"date", Format::kDate},         {"date-time", Format::kDateTime},
      {"time", Format::kTime},         {"email", Format::kEmail},
      {"hostname", Format::kHostname}, {"ipv4", Format::kIpv4},
      {"ipv6", Format::kIpv6},         {"uri", Format::kUri},
      {"uuid", Format::kUuid},         {"int32", Format::kInt32},
      {"int64", Format::kInt64},       {"float", Format::kFloat},
      {"double", Format::kDouble},     {"byte", Format::kByte},
  };
  for (const Entry& e : kFormats) {
    if (e.name == name) return e.format;
  }
  return Format::kNone;
}

bool format_accepts(Format format, const Value& v) noexcept {
  switch (format) {
    case Format::kInt32:
      return v.kind != JsonKind::kNumber ||
             (v.integer && v.integer_value >= INT32_MIN && v.integer_value <= INT32_MAX);
    case Format::kInt64:
      return v.kind != JsonKind::kNumber || v.integer;
    case Format::kFloat:
      return v.kind != JsonKind::kNumber || std::fabs(v.number) <= 3.4028234663852886e38;
    case Format::kDouble:
    case Format::kNone:
      return true;
    default:
      break;
  }
  if (v.kind != JsonKind::kString) return true;
  std::string_view s = v.text;
  switch (format) {
    case Format::kDate:
      return full_date(s);
    case Format::kTime:
      return full_time(s);
    case Format::kDateTime: {
      if (s.size() < 20 || (s[10] != 'T' && s[10] != 't')) return false;
      return full_date(s.substr(0, 10)) && full_time(s.substr(11));
    }
    case Format::kEmail:
      return email(s);
    case Format::kHostname:
      return hostname(s);
    case Format::kIpv4:
      return ipv4(s);
    case Format::kIpv6:
      return ipv6(s);
    case Format::kUri:
      return uri(s);
    case Format::kUuid:
      return uuid(s);
    case Format::kByte:
      return base64(s);
    default:
      return true;
  }
}

}  // namespace portcullis::schema
