// @rx — regular expression: matches when the pattern is found anywhere in the value. Bytes are
// bytes (Latin-1, as ModSecurity's PCRE without UTF-8 mode), '.' matches newlines and '^'/'$'
// match at line ends (ModSecurity compiles with DOTALL and MULTILINE), and \s also matches
// VT (0x0b) as PCRE's does. Argument: the pattern; an empty one always matches. With `capture`,
// TX.0 is the whole match and TX.1..TX.9 the groups that took part. A pattern with a macro is
// expanded and compiled per match, as ModSecurity does (slow; CRS has none).
//
//   SecRule REQUEST_URI "@rx (?i)\.(?:bak|old)$" "id:1001,phase:1,deny,capture,logdata:%{TX.0}"
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "waf/operators/all.h"
#include "waf/operators/argument.h"
#include "waf/operators/possessive.h"

namespace portcullis::waf::operators {
namespace {

constexpr int kMaxCaptures = 9;
constexpr int64_t kRegexMaxMem = 8 << 20;

RE2::Options regex_options() {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_dot_nl(true);
  options.set_max_mem(kRegexMaxMem);
  options.set_longest_match(false);
  options.set_log_errors(false);
  return options;
}

// PCRE's \s includes VT and RE2's does not, so \s becomes a class with \x0b and \S its
// complement (spelled as ranges inside a class, where a negation cannot nest). VT goes first
// so that a '-' after \s stays what it was rather than closing a range that starts at VT. \Q...\E
// quotes and escaped characters are copied untouched. MULTILINE is turned on with a (?m) prefix.
std::string pcre_to_re2(std::string_view pattern) {
  constexpr std::string_view kNotSpaceRanges = "\\x00-\\x08\\x0e-\\x1f\\x21-\\xff";
  std::string out = "(?m)";
  out.reserve(out.size() + pattern.size() + 16);
  bool in_class = false;
  std::size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char next = pattern[i + 1];
      if (next == 'Q') {
        std::size_t end = pattern.find("\\E", i + 2);
        std::size_t stop = end == std::string_view::npos ? pattern.size() : end + 2;
        out.append(pattern.substr(i, stop - i));
        i = stop;
        continue;
      }
      if (next == 's') {
        out += in_class ? "\\x0b\\s" : "[\\x0b\\s]";
      } else if (next == 'S') {
        if (in_class) {
          out += kNotSpaceRanges;
        } else {
          out += "[^\\x0b\\s]";
        }
      } else {
        out.append(pattern.substr(i, 2));
      }
      i += 2;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      ++i;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i < pattern.size() && pattern[i] == '^') out.push_back(pattern[i++]);
      if (i < pattern.size() && pattern[i] == ']') out.push_back(pattern[i++]);
      continue;
    }
    if (in_class && c == '[' && i + 1 < pattern.size() && pattern[i + 1] == ':') {
      std::size_t end = pattern.find(":]", i + 2);
      if (end != std::string_view::npos) {
        out.append(pattern.substr(i, end + 2 - i));
        i = end + 2;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out.push_back(c);
    ++i;
  }
  return out;
}

// Compiled regexes shared by every rule (and every snapshot) with the same pattern. Entries
// are weak so a pattern no live snapshot uses is freed; expired entries are swept on insert.
// Control plane only.
class RegexCache {
 public:
  Result<std::shared_ptr<const RE2>> get(const std::string& pattern) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(pattern);
    if (it != entries_.end()) {
      if (std::shared_ptr<const RE2> re = it->second.lock()) return re;
    }
    auto re = std::make_shared<const RE2>(pcre_to_re2(pattern), regex_options());
    if (!re->ok() && re->error_code() == RE2::ErrorRepeatOp) {
      // Possessive quantifiers, made greedy where that provably changes nothing.
      if (std::optional<std::string> greedy = rewrite_possessive(pattern)) {
        re = std::make_shared<const RE2>(pcre_to_re2(*greedy), regex_options());
      }
    }
    if (!re->ok()) return Error("@rx: cannot compile /" + pattern + "/: " + re->error());
    std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
    entries_[pattern] = re;
    return std::shared_ptr<const RE2>(std::move(re));
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::weak_ptr<const RE2>> entries_;
};

RegexCache& regex_cache() {
  static RegexCache* cache = new RegexCache();  // never destroyed: rules may outlive main()
  return *cache;
}

bool search(const RE2& re, std::string_view value, MatchContext& ctx) noexcept {
  re2::StringPiece text(value.data(), value.size());
  if (!ctx.capturing()) return re.Match(text, 0, text.size(), RE2::UNANCHORED, nullptr, 0);
  re2::StringPiece groups[kMaxCaptures + 1];
  int count = std::min(re.NumberOfCapturingGroups(), kMaxCaptures) + 1;
  if (!re.Match(text, 0, text.size(), RE2::UNANCHORED, groups, count)) return false;
  for (int i = 0; i < count; ++i) {
    // A group that took no part is not stored, as ModSecurity skips PCRE's unset offsets.
    if (groups[i].data() == nullptr) continue;
    ctx.set_capture(i, std::string_view(groups[i].data(), groups[i].size()));
  }
  return true;
}

class Rx final : public Operator {
 public:
  Rx(std::string_view argument, std::shared_ptr<const RE2> re)
      : argument_(argument), re_(std::move(re)) {}

  const RE2* regex() const noexcept override { return re_.get(); }

  bool match(std::string_view value, MatchContext& ctx) const noexcept override {
    if (re_ != nullptr) return search(*re_, value, ctx);
    if (!argument_.has_macro()) return true;
    std::pmr::string storage(ctx.arena());
    std::string_view pattern = argument_.resolve(ctx, storage);
    // ModSecurity compiles an empty expansion as ".*"; an invalid one never matches.
    if (pattern.empty()) return true;
    RE2 re(pcre_to_re2(pattern), regex_options());
    return re.ok() && search(re, value, ctx);
  }

 private:
  MacroText argument_;
  std::shared_ptr<const RE2> re_;  // null when the argument is empty or holds a macro
};

}  // namespace

OperatorResult create_rx(const OperatorArgs& args) {
  MacroText argument(args.argument);
  if (argument.has_macro() || args.argument.empty()) {
    return std::unique_ptr<Operator>(std::make_unique<Rx>(args.argument, nullptr));
  }
  auto re = regex_cache().get(std::string(args.argument));
  if (!re.ok()) return re.error();
  return std::unique_ptr<Operator>(std::make_unique<Rx>(args.argument, std::move(*re)));
}

}  // namespace portcullis::waf::operators
