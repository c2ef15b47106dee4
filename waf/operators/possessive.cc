// Possessive-quantifier rewrite (see possessive.h). The pattern is read as PCRE would read it,
// only as far as needed: single-character atoms and their character sets (Latin-1 bytes), and
// quantifiers.
#include "waf/operators/possessive.h"

#include <bitset>
#include <cctype>
#include <cstring>
#include <vector>

namespace portcullis::waf::operators {
namespace {

using Set = std::bitset<256>;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Set class_of(char e) {
  Set s;
  for (int c = 0; c < 256; ++c) {
    bool in = false;
    switch (std::tolower(static_cast<unsigned char>(e))) {
      case 'd':
        in = c >= '0' && c <= '9';
        break;
      case 'w':
        in = std::isalnum(c) || c == '_';
        break;
      case 's':
        in = c == ' ' || (c >= 9 && c <= 13);  // VT included, as PCRE's
        break;
      default:
        break;
    }
    s[static_cast<std::size_t>(c)] = in;
  }
  if (std::isupper(static_cast<unsigned char>(e))) s.flip();
  return s;
}

// Reads one escape at p[i] == '\\'. Sets `set` and returns the index after it, or npos when
// it is not a single character (\b, \A, \1 ...).
std::size_t read_escape(std::string_view p, std::size_t i, Set& set) {
  if (i + 1 >= p.size()) return std::string_view::npos;
  char e = p[i + 1];
  set.reset();
  if (std::strchr("dDwWsS", e) != nullptr) {
    set = class_of(e);
    return i + 2;
  }
  if (e == 'x') {
    if (i + 2 < p.size() && p[i + 2] == '{') {
      std::size_t close = p.find('}', i + 3);
      if (close == std::string_view::npos) return std::string_view::npos;
      int v = 0;
      for (std::size_t k = i + 3; k < close; ++k) {
        int h = hex(p[k]);
        if (h < 0) return std::string_view::npos;
        v = v * 16 + h;
      }
      if (v > 255) return std::string_view::npos;
      set[static_cast<std::size_t>(v)] = true;
      return close + 1;
    }
    if (i + 3 < p.size() && hex(p[i + 2]) >= 0 && hex(p[i + 3]) >= 0) {
      set[static_cast<std::size_t>(hex(p[i + 2]) * 16 + hex(p[i + 3]))] = true;
      return i + 4;
    }
    return std::string_view::npos;
  }
  static constexpr std::string_view kControls = "tnrfvae";
  static constexpr unsigned char kControlBytes[] = {9, 10, 13, 12, 11, 7, 27};
  if (std::size_t k = kControls.find(e); k != std::string_view::npos) {
    set[kControlBytes[k]] = true;
    return i + 2;
  }
  if (std::isalnum(static_cast<unsigned char>(e))) return std::string_view::npos;  // \b \1 \A ...
  set[static_cast<unsigned char>(e)] = true;                                       // \. \\ \/ ...
  return i + 2;
}

// Reads a bracket class starting at p[i] == '['. Returns the index after ']', or npos.
std::size_t read_class(std::string_view p, std::size_t i, Set& out) {
  std::size_t j = i + 1;
  bool negate = false;
  if (j < p.size() && p[j] == '^') {
    negate = true;
    ++j;
  }
  Set set;
  bool first = true;
  int previous = -1;  // the last single character, for ranges
  while (j < p.size()) {
    char c = p[j];
    if (c == ']' && !first) break;
    first = false;
    Set item;
    int single = -1;
    if (c == '\\') {
      std::size_t next = read_escape(p, j, item);
      if (next == std::string_view::npos) return next;
      if (item.count() == 1) {
        for (int b = 0; b < 256; ++b) {
          if (item[static_cast<std::size_t>(b)]) single = b;
        }
      }
      j = next;
    } else if (c == '[' && j + 1 < p.size() && p[j + 1] == ':') {
      return std::string_view::npos;  // POSIX classes: not needed by the rule sets
    } else if (c == '-' && previous >= 0 && j + 1 < p.size() && p[j + 1] != ']') {
      // A range previous-next.
      Set hi;
      int last = -1;
      std::size_t next = j + 1;
      if (p[next] == '\\') {
        next = read_escape(p, next, hi);
        if (next == std::string_view::npos || hi.count() != 1) return std::string_view::npos;
        for (int b = 0; b < 256; ++b) {
          if (hi[static_cast<std::size_t>(b)]) last = b;
        }
      } else {
        last = static_cast<unsigned char>(p[next]);
        ++next;
      }
      for (int b = previous; b <= last; ++b) set[static_cast<std::size_t>(b)] = true;
      previous = -1;
      j = next;
      continue;
    } else {
      single = static_cast<unsigned char>(c);
      item[static_cast<std::size_t>(single)] = true;
      ++j;
    }
    set |= item;
    previous = single;
  }
  if (j >= p.size()) return std::string_view::npos;
  out = negate ? ~set : set;
  return j + 1;
}

// One single-character atom at p[i]: its set and the index after it; npos if not one.
std::size_t read_atom(std::string_view p, std::size_t i, Set& set) {
  set.reset();
  if (i >= p.size()) return std::string_view::npos;
  char c = p[i];
  if (c == '[') return read_class(p, i, set);
  if (c == '\\') return read_escape(p, i, set);
  if (c == '.') {
    set.set();
    return i + 1;
  }
  if (std::strchr("()|*+?{}^$", c) != nullptr) return std::string_view::npos;
  set[static_cast<unsigned char>(c)] = true;
  return i + 1;
}

// A quantifier at p[i]: its end, whether it can match zero times, whether it is possessive.
struct Quantifier {
  std::size_t end;
  bool nullable = false;
  bool possessive = false;
  bool present = false;
};

Quantifier read_quantifier(std::string_view p, std::size_t i) {
  Quantifier q{i};
  if (i >= p.size()) return q;
  char c = p[i];
  if (c == '*' || c == '?') {
    q.present = q.nullable = true;
    q.end = i + 1;
  } else if (c == '+') {
    q.present = true;
    q.end = i + 1;
  } else if (c == '{') {
    std::size_t close = p.find('}', i);
    if (close == std::string_view::npos) return q;
    std::string_view body = p.substr(i + 1, close - i - 1);
    if (body.empty() || !std::isdigit(static_cast<unsigned char>(body[0]))) return q;
    q.present = true;
    q.nullable =
        body[0] == '0' && (body.size() == 1 || !std::isdigit(static_cast<unsigned char>(body[1])));
    q.end = close + 1;
  } else {
    return q;
  }
  if (q.end < p.size() && p[q.end] == '+') {
    q.possessive = true;
    ++q.end;
  } else if (q.end < p.size() && p[q.end] == '?') {
    ++q.end;  // lazy
  }
  return q;
}

Set fold(Set s) {
  for (int c = 'a'; c <= 'z'; ++c) {
    auto lo = static_cast<std::size_t>(c);
    auto up = static_cast<std::size_t>(c - 32);
    bool any = s[lo] || s[up];
    s[lo] = s[up] = any;
  }
  return s;
}

}  // namespace

std::optional<std::string> rewrite_possessive(std::string_view p) {
  const bool caseless = p.find("(?i") != std::string_view::npos;
  std::string out;
  out.reserve(p.size());
  bool any = false;
  std::size_t i = 0;
  while (i < p.size()) {
    Set atom;
    std::size_t after = std::string_view::npos;
    if (p[i] == '(' || p[i] == ')' || p[i] == '|' || p[i] == '^' || p[i] == '$') {
      // Group syntax is copied; a quantified group is handled below when it is possessive.
      out += p[i];
      ++i;
      if (i < p.size() && (p[i] == '*' || p[i] == '+' || p[i] == '?' || p[i] == '{') &&
          p[i - 1] == ')') {
        Quantifier q = read_quantifier(p, i);
        if (q.possessive) return std::nullopt;  // (...)++: not a single character
        out.append(p.substr(i, q.end - i));
        i = q.end;
      }
      continue;
    }
    after = read_atom(p, i, atom);
    if (after == std::string_view::npos) {
      // Something this reader does not model ((?:, \b ...): copy one character, or an escape.
      std::size_t n = (p[i] == '\\' && i + 1 < p.size()) ? 2 : 1;
      out.append(p.substr(i, n));
      i += n;
      continue;
    }
    Quantifier q = read_quantifier(p, after);
    out.append(p.substr(i, after - i));
    if (!q.possessive) {
      out.append(p.substr(after, q.end - after));
      i = q.end;
      continue;
    }
    // X quantified possessively: check what follows.
    Set x = caseless ? fold(atom) : atom;
    std::size_t j = q.end;
    bool proved = false;
    while (true) {
      if (j >= p.size()) {
        proved = true;  // the end of the pattern
        break;
      }
      Set next;
      std::size_t next_end = read_atom(p, j, next);
      if (next_end == std::string_view::npos) break;  // a group, an anchor, '|', ')': unproved
      Quantifier nq = read_quantifier(p, next_end);
      if (nq.possessive) break;
      if (nq.nullable) {
        j = nq.end;
        continue;
      }
      Set first = caseless ? fold(next) : next;
      proved = (first & x).none();
      break;
    }
    if (!proved) return std::nullopt;
    any = true;
    out.append(p.substr(after, q.end - after - 1));  // the quantifier without its '+'
    i = q.end;
  }
  if (!any) return std::nullopt;
  return out;
}

}  // namespace portcullis::waf::operators
