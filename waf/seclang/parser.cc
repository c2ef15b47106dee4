#include "waf/seclang/parser.h"

#include <glob.h>
#include <strings.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace portcullis::waf::seclang {
namespace {

constexpr int kMaxIncludeDepth = 16;

bool iequal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

Error at(const Directive& d, std::string message) {
  return Error{std::move(message), d.file, d.line};
}

// Files named by `pattern`, in name order; an empty match is an error unless the pattern has
// wildcards (as in Apache, "Include dir/*.conf" of an empty folder is allowed).
Result<std::vector<std::string>> expand(const std::string& pattern) {
  bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
  if (!wildcard) {
    if (!std::filesystem::exists(pattern)) return Error{"no such file: " + pattern};
    return std::vector<std::string>{pattern};
  }
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  std::vector<std::string> out;
  if (rc == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) return Error{"cannot expand " + pattern};
  return out;  // glob sorts
}

class Parser {
 public:
  Status parse_text(std::string_view text, const std::string& file, int depth) {
    auto directives = split_directives(text, file);
    if (!directives) return directives.error();
    for (Directive& d : *directives) {
      if (auto st = handle(std::move(d), depth); !st) return st;
    }
    return Ok{};
  }

  Status parse_path(const std::string& pattern, int depth) {
    if (depth > kMaxIncludeDepth) return Error{"Include nested too deeply at " + pattern};
    auto files = expand(pattern);
    if (!files) return files.error();
    for (const std::string& f : *files) {
      std::ifstream in(f, std::ios::binary);
      if (!in) return Error{"cannot open: " + std::string(std::strerror(errno)), f};
      std::stringstream text;
      text << in.rdbuf();
      if (auto st = parse_text(text.str(), f, depth); !st) return st;
    }
    return Ok{};
  }

  Result<std::vector<Item>> finish() {
    if (open_chain_ != nullptr) {
      return Error{"the last rule of a chain has 'chain' but no rule follows", chain_file_,
                   chain_line_};
    }
    return std::move(items_);
  }

 private:
  Status handle(Directive d, int depth) {
    if (iequal(d.name, "SecRule") || iequal(d.name, "SecAction")) return rule(std::move(d));
    if (open_chain_ != nullptr) {
      return at(d, "'" + d.name + "' where the chained rule of " + chain_file_ + ":" +
                       std::to_string(chain_line_) + " was expected");
    }
    if (iequal(d.name, "Include")) {
      if (d.args.size() != 1) return at(d, "Include takes one path");
      std::filesystem::path target(d.args[0]);
      if (target.is_relative()) target = std::filesystem::path(d.file).parent_path() / target;
      auto st = parse_path(target.string(), depth + 1);
      if (!st && st.error().file.empty()) return at(d, st.error().message);
      return st;
    }
    if (iequal(d.name, "SecMarker")) {
      if (d.args.size() != 1) return at(d, "SecMarker takes one name");
      items_.push_back(MarkerAst{d.args[0], d.file, d.line});
      return Ok{};
    }
    if (iequal(d.name, "SecDefaultAction")) {
      if (d.args.size() != 1) return at(d, "SecDefaultAction takes one action list");
      auto actions = parse_actions(d.args[0]);
      if (!actions) return at(d, actions.error().message);
      items_.push_back(DefaultActionAst{std::move(*actions), d.file, d.line});
      return Ok{};
    }
    items_.push_back(OtherDirective{std::move(d)});
    return Ok{};
  }

  Status rule(Directive d) {
    RuleAst r;
    r.file = d.file;
    r.line = d.line;
    if (iequal(d.name, "SecAction")) {
      if (d.args.size() != 1) return at(d, "SecAction takes one action list");
      r.is_action = true;
      r.op.name = "unconditionalMatch";
      auto actions = parse_actions(d.args[0]);
      if (!actions) return at(d, actions.error().message);
      r.actions = std::move(*actions);
    } else {
      if (d.args.size() != 2 && d.args.size() != 3) {
        return at(d, "SecRule takes variables, an operator and (optionally) actions");
      }
      auto vars = parse_variables(d.args[0]);
      if (!vars) return at(d, vars.error().message);
      auto op = parse_operator(d.args[1]);
      if (!op) return at(d, op.error().message);
      r.variables = std::move(*vars);
      r.op = std::move(*op);
      if (d.args.size() == 3) {
        auto actions = parse_actions(d.args[2]);
        if (!actions) return at(d, actions.error().message);
        r.actions = std::move(*actions);
      }
    }
    const bool chains = find_action(r.actions, "chain") != nullptr;
    if (open_chain_ != nullptr) {
      if (r.is_action) return at(d, "a SecAction cannot continue a chain");
      open_chain_->chained.push_back(std::move(r));
      if (!chains) {
        open_chain_ = nullptr;
      } else {
        chain_file_ = d.file;
        chain_line_ = d.line;
      }
      return Ok{};
    }
    items_.push_back(std::move(r));
    if (chains) {
      open_chain_ = &std::get<RuleAst>(items_.back());
      chain_file_ = d.file;
      chain_line_ = d.line;
    }
    return Ok{};
  }

  std::vector<Item> items_;
  RuleAst* open_chain_ = nullptr;  // the head of a chain still waiting for a rule
  std::string chain_file_;
  int chain_line_ = 0;
};

}  // namespace

Result<std::vector<Item>> parse_rules(std::string_view text, const std::string& file) {
  Parser p;
  if (auto st = p.parse_text(text, file, 0); !st) return st.error();
  return p.finish();
}

Result<std::vector<Item>> parse_rule_files(const std::string& path) {
  Parser p;
  if (auto st = p.parse_path(path, 0); !st) return st.error();
  return p.finish();
}

const Action* find_action(const std::vector<Action>& actions, std::string_view name) noexcept {
  for (const Action& a : actions) {
    if (iequal(a.name, name)) return &a;
  }
  return nullptr;
}

}  // namespace portcullis::waf::seclang
