#include "schema/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "schema/text.h"

namespace portcullis::schema {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Length of the UTF-8 sequence at s[i] (1..4), or 0 when it is not valid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xe0 && b1 < 0xa0) return 0;   // overlong
    if (b0 == 0xed && b1 >= 0xa0) return 0;  // surrogates
    return 3;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b0 == 0xf0 && b1 < 0x90) return 0;   // overlong
    if (b0 == 0xf4 && b1 >= 0x90) return 0;  // past U+10FFFF
    return 4;
  }
  return 0;
}

void append_utf8(char*& out, std::uint32_t cp) noexcept {
  if (cp < 0x80) {
    *out++ = static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out++ = static_cast<char>(0xc0 | (cp >> 6));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    *out++ = static_cast<char>(0xe0 | (cp >> 12));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    *out++ = static_cast<char>(0xf0 | (cp >> 18));
    *out++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    *out++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    *out++ = static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Children of the containers being parsed, reused from document to document: a container's
// children sit at the top of the stack until it closes, then move to the arena in one piece.
struct Stacks {
  std::vector<Value> values;
  std::vector<Member> members;
  std::vector<std::string_view> names;  // for the duplicate check of large objects
};

class Parser {
 public:
  Parser(std::string_view text, std::pmr::memory_resource* arena, const JsonLimits& limits,
         Stacks& stacks) noexcept
      : s_(text), arena_(arena), limits_(limits), stacks_(stacks) {}

  JsonResult run() noexcept {
    Value root;
    skip_space();
    if (!value(root, 0)) return {nullptr, error_, std::min(pos_, s_.size())};
    skip_space();
    if (pos_ != s_.size()) return {nullptr, "unexpected text after the JSON value", pos_};
    auto* out = static_cast<Value*>(arena_->allocate(sizeof(Value), alignof(Value)));
    *out = root;
    return {out, {}, 0};
  }

 private:
  bool fail(std::string_view why) noexcept {
    if (error_.empty()) error_ = why;
    return false;
  }
  void skip_space() noexcept {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  bool literal(std::string_view word) noexcept {
    if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
    pos_ += word.size();
    return true;
  }

  bool value(Value& v, std::size_t depth) noexcept {
    if (pos_ >= s_.size()) return fail("unexpected end of the document");
    switch (s_[pos_]) {
      case '{':
        return object(v, depth + 1);
      case '[':
        return array(v, depth + 1);
      case '"':
        v.kind = JsonKind::kString;
        return string(v.text);
      case 't':
        v.kind = JsonKind::kBoolean;
        v.boolean = true;
        return literal("true");
      case 'f':
        v.kind = JsonKind::kBoolean;
        return literal("false");
      case 'n':
        v.kind = JsonKind::kNull;
        return literal("null");
      default:
        return number(v);
    }
  }

  bool number(Value& v) noexcept {
    const std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    auto digits = [&] {
      std::size_t from = pos_;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') return fail("invalid value");
    if (s_[pos_] == '0') {
      ++pos_;
      if (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        return fail("leading zero in a number");
      }
    } else {
      digits();
    }
    bool plain = true;
    // The decimal magnitude, roughly: tells an overflow from an underflow.
    long magnitude = static_cast<long>(pos_ - start) - (s_[start] == '-' ? 1 : 0) - 1;
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      plain = false;
      const std::size_t fraction = pos_;
      if (digits() == 0) return fail("invalid number");
      if (magnitude == 0 && s_[fraction - 2] == '0') {  // 0.000123: below one
        std::size_t zeros = 0;
        while (fraction + zeros < pos_ && s_[fraction + zeros] == '0') ++zeros;
        magnitude = -static_cast<long>(zeros) - 1;
      }
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      plain = false;
      bool negative = false;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
        negative = s_[pos_] == '-';
        ++pos_;
      }
      const std::size_t from = pos_;
      if (digits() == 0) return fail("invalid number");
      long exponent = 0;
      for (std::size_t i = from; i < pos_ && exponent < 100000; ++i) {
        exponent = exponent * 10 + (s_[i] - '0');
      }
      magnitude += negative ? -exponent : exponent;
    }
    v.kind = JsonKind::kNumber;
    v.text = s_.substr(start, pos_ - start);
    const char* first = v.text.data();
    const char* last = first + v.text.size();
    if (plain) {
      auto [p, ec] = std::from_chars(first, last, v.integer_value);
      v.integer = ec == std::errc() && p == last;
    }
    auto [p, ec] = std::from_chars(first, last, v.number);
    if (ec == std::errc::result_out_of_range) {
      if (magnitude >= 0) return fail("number out of range");
      v.number = 0;  // too small for a double: zero, as JavaScript reads it
    } else if (ec != std::errc() || p != last || !std::isfinite(v.number)) {
      return fail("number out of range");
    }
    if (!v.integer && std::trunc(v.number) == v.number && std::fabs(v.number) < 9.2e18) {
      // 1.0 and 1e2 are integers by value (JSON Schema compares numbers by value).
      v.integer = true;
      v.integer_value = static_cast<std::int64_t>(v.number);
    }
    return true;
  }

  bool string(std::string_view& out) noexcept {
    ++pos_;  // the opening quote
    const std::size_t start = pos_;
    bool escaped = false;
    while (true) {
      if (pos_ >= s_.size()) return fail("unterminated string");
      const auto c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') break;
      if (c == '\\') {
        escaped = true;
        pos_ += 2;
        continue;
      }
      if (c < 0x20) return fail("control character in a string");
      if (c < 0x80) {
        ++pos_;
        continue;
      }
      std::size_t n = utf8_sequence(s_, pos_);
      if (n == 0) return fail("invalid UTF-8");
      pos_ += n;
    }
    const std::size_t end = pos_;
    ++pos_;  // the closing quote
    if (!escaped) {
      out = s_.substr(start, end - start);
      return true;
    }
    // Decoded text is never longer than its escaped form.
    char* buf = static_cast<char*>(arena_->allocate(end - start, 1));
    char* w = buf;
    for (std::size_t i = start; i < end;) {
      if (s_[i] != '\\') {
        *w++ = s_[i++];
        continue;
      }
      if (i + 1 >= end) {
        pos_ = i;
        return fail("invalid escape");
      }
      const char e = s_[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          *w++ = e;
          break;
        case 'b':
          *w++ = '\b';
          break;
        case 'f':
          *w++ = '\f';
          break;
        case 'n':
          *w++ = '\n';
          break;
        case 'r':
          *w++ = '\r';
          break;
        case 't':
          *w++ = '\t';
          break;
        case 'u': {
          auto hex4 = [&](std::size_t at, std::uint32_t& cp) {
            if (at + 4 > end) return false;
            cp = 0;
            for (std::size_t k = 0; k < 4; ++k) {
              int d = hex_value(s_[at + k]);
              if (d < 0) return false;
              cp = cp << 4 | static_cast<std::uint32_t>(d);
            }
            return true;
          };
          std::uint32_t cp = 0;
          if (!hex4(i, cp)) {
            pos_ = i;
            return fail("invalid \\u escape");
          }
          i += 4;
          if (cp >= 0xdc00 && cp <= 0xdfff) {
            pos_ = i;
            return fail("lone surrogate in a \\u escape");
          }
          if (cp >= 0xd800 && cp <= 0xdbff) {
            std::uint32_t low = 0;
            if (i + 6 > end || s_[i] != '\\' || s_[i + 1] != 'u' || !hex4(i + 2, low) ||
                low < 0xdc00 || low > 0xdfff) {
              pos_ = i;
              return fail("lone surrogate in a \\u escape");
            }
            i += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          }
          append_utf8(w, cp);
          break;
        }
        default:
          pos_ = i - 1;
          return fail("invalid escape");
      }
    }
    out = std::string_view(buf, static_cast<std::size_t>(w - buf));
    return true;
  }

  bool array(Value& v, std::size_t depth) noexcept {
    if (depth > limits_.max_depth) return fail("nesting deeper than the limit");
    ++pos_;
    v.kind = JsonKind::kArray;
    const std::size_t base = stacks_.values.size();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      Value item;
      if (!value(item, depth)) return false;
      stacks_.values.push_back(item);
      skip_space();
      if (pos_ >= s_.size()) return fail("unexpected end of the document");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == ']') {
        ++pos_;
        break;
      }
      return fail("expected ',' or ']'");
    }
    const std::size_t n = stacks_.values.size() - base;
    auto* items = static_cast<Value*>(arena_->allocate(n * sizeof(Value), alignof(Value)));
    std::copy(stacks_.values.begin() + static_cast<std::ptrdiff_t>(base), stacks_.values.end(),
              items);
    stacks_.values.resize(base);
    v.items = items;
    v.count = static_cast<std::uint32_t>(n);
    return true;
  }

  bool object(Value& v, std::size_t depth) noexcept {
    if (depth > limits_.max_depth) return fail("nesting deeper than the limit");
    ++pos_;
    v.kind = JsonKind::kObject;
    const std::size_t base = stacks_.members.size();
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != '"') return fail("expected a member name");
      Member m;
      if (!string(m.name)) return false;
      skip_space();
      if (pos_ >= s_.size() || s_[pos_] != ':') return fail("expected ':'");
      ++pos_;
      skip_space();
      if (!value(m.value, depth)) return false;
      stacks_.members.push_back(m);
      skip_space();
      if (pos_ >= s_.size()) return fail("unexpected end of the document");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') {
        ++pos_;
        break;
      }
      return fail("expected ',' or '}'");
    }
    const std::size_t n = stacks_.members.size() - base;
    const Member* first = stacks_.members.data() + base;
    // Two members of one name are refused: an upstream that reads the other one than we
    // validated would see a value no one checked.
    if (n <= 8) {
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
          if (first[i].name == first[j].name) return fail("duplicate member name");
        }
      }
    } else {
      auto& names = stacks_.names;
      names.clear();
      for (std::size_t i = 0; i < n; ++i) names.push_back(first[i].name);
      std::sort(names.begin(), names.end());
      if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
        return fail("duplicate member name");
      }
    }
    auto* members = static_cast<Member*>(arena_->allocate(n * sizeof(Member), alignof(Member)));
    std::copy(first, first + n, members);
    stacks_.members.resize(base);
    v.members = members;
    v.count = static_cast<std::uint32_t>(n);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::pmr::memory_resource* arena_;
  const JsonLimits& limits_;
  Stacks& stacks_;
  std::string_view error_;
};

}  // namespace

const Value* Value::find(std::string_view name) const noexcept {
  for (std::uint32_t i = 0; i < count && kind == JsonKind::kObject; ++i) {
    if (members[i].name == name) return &members[i].value;
  }
  return nullptr;
}

JsonResult parse_json(std::string_view text, std::pmr::memory_resource* arena,
                      const JsonLimits& limits) noexcept {
  thread_local Stacks stacks;
  stacks.values.clear();
  stacks.members.clear();
  Parser parser(text, arena, limits, stacks);
  return parser.run();
}

bool json_equal(const Value& a, const Value& b) noexcept {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case JsonKind::kNull:
      return true;
    case JsonKind::kBoolean:
      return a.boolean == b.boolean;
    case JsonKind::kNumber:
      if (a.integer && b.integer) return a.integer_value == b.integer_value;
      return a.number == b.number;
    case JsonKind::kString:
      return a.text == b.text;
    case JsonKind::kArray:
      if (a.count != b.count) return false;
      for (std::uint32_t i = 0; i < a.count; ++i) {
        if (!json_equal(a.items[i], b.items[i])) return false;
      }
      return true;
    case JsonKind::kObject:
      if (a.count != b.count) return false;
      for (std::uint32_t i = 0; i < a.count; ++i) {
        const Value* other = b.find(a.members[i].name);
        if (other == nullptr || !json_equal(a.members[i].value, *other)) return false;
      }
      return true;
  }
  return false;
}

std::size_t utf8_length(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

bool valid_utf8(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace portcullis::schema
