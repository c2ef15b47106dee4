// application/json → ARGS_POST, named as libmodsecurity v3 names them (its yajl callbacks in
// request_body_processor/json.cc): a top-level scalar is "json", the top-level container is
// "json", an object member is "<container>.<key>" ("empty-key" when the key is ""), an array
// element is "<container>.array_<index>". So {"a":[1,{"b":null}]} gives json.a.array_0 = "1" and
// json.a.array_1.b = "". Values: strings unescaped, numbers as written, true/false, null as "".
// The parser is our own, strict RFC 8259, iterative (the depth limit bounds its stack, not the
// C++ one) and allocation-free outside the arena; strings without escapes are views into the
// body.
//
//   SecRule ARGS:json.user.name "@rx ['\"]" "id:1300,phase:2,deny,t:none"
#include <charconv>
#include <cstdint>

#include "waf/bodies/bodies.h"
#include "waf/bodies/output.h"
#include "waf/bodies/text.h"

namespace portcullis::waf::bodies {
namespace {

constexpr std::string_view kEmptyKey = "empty-key";

constexpr bool is_json_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class JsonParser {
 public:
  JsonParser(std::string_view in, const Limits& limits, Parsed& out)
      : in_(in), limits_(limits), out_(out), stack_(out.arena), path_(out.arena) {}

  void run();

 private:
  struct Frame {
    std::size_t head = 0;  // length of path_ that names this container
    bool array = false;
    std::size_t index = 0;  // arrays: the element being parsed
  };
  // Where the next value sits in its container.
  enum class Slot { kRoot, kMember, kElement };

  void fail(std::string_view message) { output::fail(out_, message, pos_); }
  bool at_end() const noexcept { return pos_ >= in_.size(); }
  void skip_space() noexcept {
    while (pos_ < in_.size() && is_json_space(in_[pos_])) ++pos_;
  }

  bool scalar();
  bool next_member();
  void open_container(bool array);
  void close_container();
  std::string_view index_digits(char (&buffer)[24]) const noexcept;
  bool string(std::string_view& text);
  bool number(std::string_view& text);
  bool literal(std::string_view word);
  std::string_view decode_escapes(std::size_t begin, std::size_t end);
  bool within_budget(std::string_view built);

  std::string_view in_;
  std::size_t pos_ = 0;
  const Limits& limits_;
  Parsed& out_;
  std::pmr::vector<Frame> stack_;
  // The name of the innermost open container ("json.a.array_3"). Names are built from it only
  // for scalars, so nesting alone costs its depth in memory, not its depth squared.
  std::pmr::string path_;
  Slot slot_ = Slot::kRoot;
  std::string_view key_;  // kMember: the key, already "empty-key" when it was ""
  std::size_t name_bytes_ = 0;
};

bool JsonParser::within_budget(std::string_view built) {
  name_bytes_ += built.size();
  if (name_bytes_ <= limits_.json_max_name_bytes) return true;
  out_.limit_exceeded = true;
  fail("JSON parsing error: argument names exceed their memory budget");
  return false;
}

std::string_view JsonParser::index_digits(char (&buffer)[24]) const noexcept {
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, stack_.back().index);
  return std::string_view(buffer, end - buffer);
}

void JsonParser::open_container(bool array) {
  char digits[24];
  switch (slot_) {
    case Slot::kRoot:
      path_ = "json";
      break;
    case Slot::kMember:
      path_.append(".").append(key_);
      break;
    case Slot::kElement:
      path_.append(".array_").append(index_digits(digits));
      break;
  }
  stack_.push_back({path_.size(), array, 0});
  slot_ = array ? Slot::kElement : Slot::kMember;
}

void JsonParser::close_container() {
  stack_.pop_back();
  path_.resize(stack_.empty() ? 0 : stack_.back().head);
}

// Reads `"key" :` inside the object on top of the stack.
bool JsonParser::next_member() {
  skip_space();
  if (at_end()) {
    fail("JSON parsing error: unexpected end of input");
    return false;
  }
  if (in_[pos_] != '"') {
    fail("JSON parsing error: expected a string as object key");
    return false;
  }
  std::string_view key;
  if (!string(key)) return false;
  skip_space();
  if (at_end() || in_[pos_] != ':') {
    fail("JSON parsing error: expected ':' after object key");
    return false;
  }
  ++pos_;
  key_ = key.empty() ? kEmptyKey : key;
  return true;
}

std::string_view JsonParser::decode_escapes(std::size_t begin, std::size_t end) {
  // Unescaping never makes a string longer: the longest output, 4 bytes, comes from 12.
  char* dst = output::allocate(out_, end - begin);
  std::size_t n = 0;
  std::size_t i = begin;
  auto hex4 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      v = (v << 4) | static_cast<std::uint32_t>(hex_value(in_[at + k]));
    }
    return v;
  };
  while (i < end) {
    char c = in_[i];
    if (c != '\\') {
      dst[n++] = c;
      ++i;
      continue;
    }
    char e = in_[i + 1];
    i += 2;
    switch (e) {
      case 'b':
        dst[n++] = '\b';
        break;
      case 'f':
        dst[n++] = '\f';
        break;
      case 'n':
        dst[n++] = '\n';
        break;
      case 'r':
        dst[n++] = '\r';
        break;
      case 't':
        dst[n++] = '\t';
        break;
      case 'u': {
        std::uint32_t cp = hex4(i);
        i += 4;
        if ((cp & 0xFC00) == 0xD800) {
          // As yajl: a high surrogate takes the next \uXXXX as its pair, whatever it is; with
          // none, it becomes '?'. A lone low surrogate is encoded as it is.
          if (i + 6 <= end && in_[i] == '\\' && in_[i + 1] == 'u') {
            std::uint32_t low = hex4(i + 2);
            cp = ((cp & 0x3F) << 10) | ((((cp >> 6) & 0xF) + 1) << 16) | (low & 0x3FF);
            i += 6;
          } else {
            dst[n++] = '?';
            break;
          }
        }
        n += text::put_utf8(dst + n, cp);
        break;
      }
      default:  // '"', '\\', '/'
        dst[n++] = e;
        break;
    }
  }
  return {dst, n};
}

// At the opening quote; leaves pos_ after the closing one. Validates everything first, so that
// decode_escapes can trust its input.
bool JsonParser::string(std::string_view& text) {
  std::size_t begin = ++pos_;
  bool escaped = false;
  while (pos_ < in_.size()) {
    char c = in_[pos_];
    if (c == '"') {
      text = escaped ? decode_escapes(begin, pos_) : in_.substr(begin, pos_ - begin);
      ++pos_;
      return true;
    }
    if (c == '\\') {
      escaped = true;
      if (pos_ + 1 >= in_.size()) break;
      char e = in_[pos_ + 1];
      if (e == 'u') {
        for (std::size_t k = 2; k < 6; ++k) {
          if (pos_ + k >= in_.size() || hex_value(in_[pos_ + k]) < 0) {
            pos_ += k;
            fail("JSON parsing error: \\u must be followed by four hex digits");
            return false;
          }
        }
        pos_ += 6;
      } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                 e == 'r' || e == 't') {
        pos_ += 2;
      } else {
        ++pos_;
        fail("JSON parsing error: invalid escape in string");
        return false;
      }
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      fail("JSON parsing error: control character in string");
      return false;
    }
    std::size_t len = text::utf8_sequence_length(in_, pos_);
    if (len == 0) {
      fail("JSON parsing error: invalid UTF-8 in string");
      return false;
    }
    pos_ += len;
  }
  fail("JSON parsing error: unterminated string");
  return false;
}

bool JsonParser::number(std::string_view& text) {
  std::size_t begin = pos_;
  auto digits = [&] {
    std::size_t start = pos_;
    while (pos_ < in_.size() && is_digit(in_[pos_])) ++pos_;
    return pos_ > start;
  };
  if (in_[pos_] == '-') ++pos_;
  if (pos_ < in_.size() && in_[pos_] == '0') {
    ++pos_;
  } else if (!digits()) {
    fail("JSON parsing error: malformed number");
    return false;
  }
  if (pos_ < in_.size() && in_[pos_] == '.') {
    ++pos_;
    if (!digits()) {
      fail("JSON parsing error: malformed number (a digit must follow the decimal point)");
      return false;
    }
  }
  if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
    if (!digits()) {
      fail("JSON parsing error: malformed number (a digit must follow the exponent)");
      return false;
    }
  }
  text = in_.substr(begin, pos_ - begin);
  return true;
}

bool JsonParser::literal(std::string_view word) {
  if (in_.substr(pos_, word.size()) != word) {
    fail("JSON parsing error: invalid literal");
    return false;
  }
  pos_ += word.size();
  return true;
}

// A string, number or literal, added as an argument named after its place.
bool JsonParser::scalar() {
  char c = in_[pos_];
  std::string_view text;
  if (c == '"') {
    if (!string(text)) return false;
  } else if (c == 't') {
    if (!literal("true")) return false;
    text = "true";
  } else if (c == 'f') {
    if (!literal("false")) return false;
    text = "false";
  } else if (c == 'n') {
    if (!literal("null")) return false;
  } else if (c == '-' || is_digit(c)) {
    if (!number(text)) return false;
  } else {
    fail("JSON parsing error: unexpected character");
    return false;
  }
  if (out_.args.size() < limits_.max_args) {
    char digits[24];
    std::string_view name;
    switch (slot_) {
      case Slot::kRoot:
        name = "json";
        break;
      case Slot::kMember:
        name = output::concat(out_, {path_, ".", key_});
        break;
      case Slot::kElement:
        name = output::concat(out_, {path_, ".array_", index_digits(digits)});
        break;
    }
    if (!within_budget(name)) return false;
    out_.args.push_back({name, text});
    return true;
  }
  // ModSecurity's callback refuses the argument, and yajl then cancels the whole parse.
  out_.limit_exceeded = true;
  fail("JSON parsing error: too many arguments (SecArgumentsLimit)");
  return false;
}

// One loop instead of recursion: parse a value, then close containers until one has a next
// child, whose name becomes the name of the next value.
void JsonParser::run() {
  skip_space();
  if (at_end()) {
    // ModSecurity ignores yajl's complaint about an empty body, not about a blank one.
    if (!in_.empty()) fail("JSON parsing error: unexpected end of input");
    return;
  }
  for (;;) {
    skip_space();
    if (at_end()) {
      fail("JSON parsing error: unexpected end of input");
      return;
    }
    char c = in_[pos_];
    if (c == '{' || c == '[') {
      bool array = c == '[';
      if (stack_.size() >= limits_.json_max_depth) {
        fail("JSON parsing error: nesting depth limit exceeded");
        return;
      }
      open_container(array);
      ++pos_;
      skip_space();
      if (at_end() || in_[pos_] != (array ? ']' : '}')) {
        if (!array && !next_member()) return;
        continue;
      }
      ++pos_;
      close_container();
    } else if (!scalar()) {
      return;
    }
    for (;;) {
      skip_space();
      if (stack_.empty()) {
        if (!at_end()) fail("JSON parsing error: trailing content after the JSON value");
        return;
      }
      if (at_end()) {
        fail("JSON parsing error: unexpected end of input");
        return;
      }
      Frame& top = stack_.back();
      c = in_[pos_];
      if (c == ',') {
        ++pos_;
        if (top.array) {
          ++top.index;
          slot_ = Slot::kElement;
        } else {
          slot_ = Slot::kMember;
          if (!next_member()) return;
        }
        break;
      }
      if (c != (top.array ? ']' : '}')) {
        fail(top.array ? std::string_view("JSON parsing error: expected ',' or ']' in array")
                       : std::string_view("JSON parsing error: expected ',' or '}' in object"));
        return;
      }
      ++pos_;
      close_container();
    }
  }
}

}  // namespace

void parse_json(std::string_view body, const Limits& limits, Parsed& out) noexcept {
  try {
    JsonParser(body, limits, out).run();
  } catch (...) {
    output::fail_out_of_memory(out, "JSON");
  }
}

}  // namespace portcullis::waf::bodies
