#include "waf/seclang/syntax.h"

#include <cctype>

namespace portcullis::waf::seclang {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Splits one logical line into words; see Directive for the quoting rules.
Result<std::vector<std::string>> split_words(std::string_view line) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (true) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    std::string word;
    while (i < line.size() && !is_space(line[i])) {
      if (line[i] != '"') {
        word += line[i++];
        continue;
      }
      ++i;  // opening quote
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) {
          // \" is a quote and \\ one backslash, as Apache reads directive arguments (the
          // CRS 3 rules are written for it: "[^\\\\]" is a class without the backslash).
          word += line[i + 1];
          i += 2;
        } else if (line[i] == '"') {
          ++i;
          closed = true;
          break;
        } else {
          word += line[i++];
        }
      }
      if (!closed) return Error{"unterminated double quote"};
    }
    words.push_back(std::move(word));
  }
  return words;
}

}  // namespace

Result<std::vector<Directive>> split_directives(std::string_view text, const std::string& file) {
  std::vector<Directive> out;
  std::string logical;
  int start_line = 0;
  int line_no = 0;
  bool continuing = false;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!continuing) {
      std::string_view content = trim(line);
      // A comment is one line: a backslash at its end does not pull in the next line.
      if (content.empty() || content.front() == '#') continue;
      logical.clear();
      start_line = line_no;
    }
    continuing = !line.empty() && line.back() == '\\';
    if (continuing) line.remove_suffix(1);
    logical.append(line);
    if (continuing && !text.empty()) continue;
    continuing = false;
    auto words = split_words(logical);
    if (!words) return Error{words.error().message, file, start_line};
    if (words->empty()) continue;
    Directive d;
    d.name = std::move(words->front());
    d.args.assign(std::make_move_iterator(words->begin() + 1),
                  std::make_move_iterator(words->end()));
    d.file = file;
    d.line = start_line;
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::vector<Action>> parse_actions(std::string_view text) {
  std::vector<Action> out;
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && is_space(text[i])) ++i;
    if (i == text.size()) break;
    std::size_t name_start = i;
    while (i < text.size() && text[i] != ':' && text[i] != ',') ++i;
    Action a;
    a.name = std::string(trim(text.substr(name_start, i - name_start)));
    if (a.name.empty()) return Error{"empty action in '" + std::string(text) + "'"};
    if (i < text.size() && text[i] == ':') {
      ++i;
      a.has_value = true;
      while (i < text.size() && is_space(text[i])) ++i;
      if (i < text.size() && text[i] == '\'') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == '\'') {
            a.value += '\'';
            i += 2;
          } else if (text[i] == '\'') {
            ++i;
            closed = true;
            break;
          } else {
            a.value += text[i++];
          }
        }
        if (!closed) return Error{"unterminated quote in the value of action '" + a.name + "'"};
        while (i < text.size() && is_space(text[i])) ++i;
        if (i < text.size() && text[i] != ',') {
          return Error{"unexpected text after the quoted value of action '" + a.name + "'"};
        }
      } else {
        std::size_t value_start = i;
        while (i < text.size() && text[i] != ',') ++i;
        a.value = std::string(trim(text.substr(value_start, i - value_start)));
      }
    }
    out.push_back(std::move(a));
    if (i < text.size() && text[i] == ',') ++i;
  }
  return out;
}

Result<std::vector<VariableRef>> parse_variables(std::string_view text) {
  std::vector<VariableRef> out;
  text = trim(text);
  std::size_t i = 0;
  if (text.empty()) return Error{"no variables"};
  while (i <= text.size()) {
    VariableRef v;
    if (i < text.size() && text[i] == '!') {
      v.exclude = true;
      ++i;
    }
    if (i < text.size() && text[i] == '&') {
      v.count = true;
      ++i;
    }
    std::size_t name_start = i;
    while (i < text.size() && text[i] != ':' && text[i] != '|') ++i;
    v.collection = upper(trim(text.substr(name_start, i - name_start)));
    if (v.collection.empty()) return Error{"empty variable in '" + std::string(text) + "'"};
    if (i < text.size() && text[i] == ':') {
      ++i;
      if (i < text.size() && text[i] == '\'') {
        std::size_t close = text.find('\'', i + 1);
        if (close == std::string_view::npos) {
          return Error{"unterminated quote in variable '" + v.collection + "'"};
        }
        v.key = std::string(text.substr(i + 1, close - i - 1));
        i = close + 1;
        if (v.collection != "XML" && v.key.size() >= 2 && v.key.front() == '/' &&
            v.key.back() == '/') {
          v.key = v.key.substr(1, v.key.size() - 2);
          v.key_is_regex = true;
        }
      } else if (i < text.size() && text[i] == '/' && v.collection != "XML") {
        std::size_t j = i + 1;
        while (j < text.size() && text[j] != '/')
          j += (text[j] == '\\' && j + 1 < text.size()) ? 2 : 1;
        if (j >= text.size())
          return Error{"unterminated /regex/ in variable '" + v.collection + "'"};
        v.key = std::string(text.substr(i + 1, j - i - 1));
        v.key_is_regex = true;
        i = j + 1;
      } else {
        std::size_t key_start = i;
        while (i < text.size() && text[i] != '|') ++i;
        v.key = std::string(trim(text.substr(key_start, i - key_start)));
      }
      if (v.key.empty() && !v.key_is_regex) {
        return Error{"empty key in variable '" + v.collection + "'"};
      }
    }
    out.push_back(std::move(v));
    if (i >= text.size()) break;
    if (text[i] != '|') return Error{"expected '|' in '" + std::string(text) + "'"};
    ++i;
    if (i == text.size()) return Error{"variable list ends in '|'"};
  }
  return out;
}

Result<OperatorRef> parse_operator(std::string_view text) {
  OperatorRef op;
  std::string_view rest = text;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() == '!') {
    op.negated = true;
    rest.remove_prefix(1);
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  }
  if (rest.empty() || rest.front() != '@') {
    op.name = "rx";
    op.argument = std::string(rest);
    return op;
  }
  rest.remove_prefix(1);
  std::size_t end = 0;
  while (end < rest.size() && !is_space(rest[end])) ++end;
  op.name = std::string(rest.substr(0, end));
  if (op.name.empty()) return Error{"'@' without an operator name"};
  rest.remove_prefix(end);
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  op.argument = std::string(rest);
  return op;
}

}  // namespace portcullis::waf::seclang
