#include "waf/detect/sqli.h"

#include <algorithm>
#include <array>

#include "core/exchange.h"
#include "waf/detect/ascii.h"
#include "waf/detect/sql_lexer.h"

namespace portcullis::waf::detect {
namespace {

using sql::Lexer;
using sql::Token;
using sql::TokenType;
using sql::Word;
using sql::WordClass;

enum class Shape : std::uint8_t {
  kNone,
  kTautology,  // OR/AND with a constant comparison or a constant: ' or '1'='1, 1 or 1=1
  kUnion,      // UNION [ALL] SELECT
  kStacked,    // ; and a second statement: 1; DROP TABLE users
  kFunction,   // a time-delay, file, command, out-of-band or error function: sleep(5)
  kBreakout,   // a string closed and the expression continued: '||name||'
  kComment,    // a string closed and the rest of the query commented out: admin'--
  kSubquery,   // a subquery that reads data: ' and (select … from …)
  kClause,     // a string closed and a clause appended: ' order by 3--
};

std::string_view shape_name(Shape shape) noexcept {
  switch (shape) {
    case Shape::kNone:
      return {};
    case Shape::kTautology:
      return "tautology";
    case Shape::kUnion:
      return "union";
    case Shape::kStacked:
      return "stacked";
    case Shape::kFunction:
      return "function";
    case Shape::kBreakout:
      return "breakout";
    case Shape::kComment:
      return "comment";
    case Shape::kSubquery:
      return "subquery";
    case Shape::kClause:
      return "clause";
  }
  return {};
}

std::string_view unquoted(std::string_view name) noexcept {
  if (name.size() >= 2 && (name.front() == '`' || name.front() == '[')) {
    return name.substr(1, name.size() - 2);
  }
  return name;
}

bool is_call_class(WordClass c) noexcept {
  return c == WordClass::kFnDelay || c == WordClass::kFnDanger;
}

// Reads a value from one place in a query (inside a string literal opened by `context`, or where
// an expression is expected when `context` is 0) with a small expression grammar, and says what
// shape of injection it has, if any. Stops at the first byte that cannot be SQL there.
class Reader {
 public:
  Reader(std::string_view value, char context) noexcept : lexer_(value), context_(context) {
    if (context != 0) lexer_.start_in_string(context);
  }

  Shape run() noexcept;
  std::string_view fingerprint() const noexcept { return {letters_.data(), letter_count_}; }

 private:
  enum class Frame : std::uint8_t { kGroup, kCall, kCase };
  static constexpr int kMaxDepth = 32;
  static constexpr int kMaxUnmatched = 4;

  Token take() noexcept;
  const Token& peek(int ahead = 0) noexcept;
  void record(const Token& t) noexcept;
  void relabel_last(char letter) noexcept {
    if (last_letter_ >= 0) letters_[static_cast<std::size_t>(last_letter_)] = letter;
  }
  bool push(Frame f) noexcept;

  // One step of the grammar on `t`. Returns kNone and sets `done_` when the value cannot be
  // read any further (or has been judged).
  Shape operand(const Token& t) noexcept;
  Shape after_operand(const Token& t) noexcept;
  Shape call(WordClass cls) noexcept;
  Shape subquery() noexcept;
  // `strong`: harmful whatever came before (a delay, a file or command, DROP …).
  bool harmful_statement(const Token& head, const Token& second, bool* strong = nullptr) noexcept;
  bool waitfor_delay() noexcept;
  Shape at_end(bool truncated) noexcept;
  void operand_read(bool constant) noexcept;

  Shape fail() noexcept {
    done_ = true;
    return Shape::kNone;
  }

  Lexer lexer_;
  char context_;
  std::array<Token, 2> ahead_{};
  int ahead_count_ = 0;

  std::array<char, SqliMatch::kMaxFingerprint> letters_{};
  std::size_t letter_count_ = 0;
  int last_letter_ = -1;

  std::array<Frame, kMaxDepth> frames_{};
  std::array<int, kMaxDepth> frame_operands_{};  // operands_read_ when the frame opened
  int depth_ = 0;
  int unmatched_ = 0;
  bool expect_operand_ = true;
  bool done_ = false;
  bool empty_call_ok_ = false;
  bool qualified_ = false;
  WordClass qualifier_ = WordClass::kNone;
  WordClass last_name_ = WordClass::kNone;
  bool last_was_name_ = false;

  // What was read. "Branch": the part after the last AND/OR.
  bool broke_ = false;                      // the string context was closed
  TokenType break_type_ = TokenType::kEnd;  // the first token after it (`)` skipped)
  WordClass break_class_ = WordClass::kNone;
  bool break_content_plain_ = false;  // the string before the break is a plain word or empty
  bool logic_ = false;
  bool between_ = false;
  bool prev_const_ = false;  // the operand just read is a single constant
  bool bare_name_ = false;   // the operand just read is a word (prose reads so: "the union …")
  bool compare_left_const_ = false;
  bool comparing_ = false;
  bool const_compare_ = false;
  bool compare_after_logic_ = false;
  bool call_after_logic_ = false;
  bool probe_after_logic_ = false;  // a known function, a variable or a subquery after AND/OR
  bool info_call_ = false;          // version(), user(), database() …
  bool any_call_after_logic_ = false;
  std::string_view compare_left_name_;  // x in `x =` (x = x is a tautology too)
  std::string_view last_name_text_;
  bool compared_ = false;
  bool first_const_ = false;  // the value's first operand is a constant: 1 or …
  int operands_read_ = 0;
  bool cast_ = false;  // PostgreSQL's ::type keeps the operand constant
  bool cast_const_ = false;
  bool semicolon_end_ = false;
  bool names_after_break_ = false;
  bool clause_ = false;
  bool true_literal_ = false;
  int branch_operands_ = 0;
  bool branch_const_ = true;
  bool branch_operator_ = false;
  bool branch_short_string_ = false;
  bool branch_number_ = false;
};

Token Reader::take() noexcept {
  Token t;
  if (ahead_count_ > 0) {
    t = ahead_[0];
    ahead_[0] = ahead_[1];
    --ahead_count_;
  } else {
    t = lexer_.next();
  }
  record(t);
  return t;
}

const Token& Reader::peek(int ahead) noexcept {
  while (ahead_count_ <= ahead) ahead_[static_cast<std::size_t>(ahead_count_++)] = lexer_.next();
  return ahead_[static_cast<std::size_t>(ahead)];
}

void Reader::record(const Token& t) noexcept {
  if (letter_count_ >= letters_.size() || t.type == TokenType::kEnd) return;
  char letter = '?';
  switch (t.type) {
    case TokenType::kString:
    case TokenType::kOpenString:
      letter = 's';
      break;
    case TokenType::kNumber:
      letter = '1';
      break;
    case TokenType::kName:
      switch (t.word.cls) {
        case WordClass::kLogic:
          letter = '&';
          break;
        case WordClass::kCompare:
        case WordClass::kArith:
          letter = 'o';
          break;
        case WordClass::kLiteral:
          letter = 'v';
          break;
        case WordClass::kStatement:
          letter = 'E';
          break;
        case WordClass::kUnary:
        case WordClass::kClause:
        case WordClass::kObject:
          letter = t.word.word == Word::kUnion ? 'U' : 'k';
          break;
        default:
          letter = 'n';
      }
      break;
    case TokenType::kVariable:
      letter = 'v';
      break;
    case TokenType::kOperator:
      letter = 'o';
      break;
    case TokenType::kCompare:
      letter = '=';
      break;
    case TokenType::kLogic:
      letter = '&';
      break;
    case TokenType::kLParen:
      letter = '(';
      break;
    case TokenType::kRParen:
      letter = ')';
      break;
    case TokenType::kComma:
      letter = ',';
      break;
    case TokenType::kSemicolon:
      letter = ';';
      break;
    case TokenType::kDot:
      letter = '.';
      break;
    case TokenType::kComment:
      letter = 'c';
      break;
    case TokenType::kUnknown:
    case TokenType::kEnd:
      letter = '?';
      break;
  }
  last_letter_ = static_cast<int>(letter_count_);
  letters_[letter_count_++] = letter;
}

bool Reader::push(Frame f) noexcept {
  if (depth_ >= kMaxDepth) return false;
  frame_operands_[static_cast<std::size_t>(depth_)] = operands_read_;
  frames_[static_cast<std::size_t>(depth_++)] = f;
  return true;
}

void Reader::operand_read(bool constant) noexcept {
  expect_operand_ = false;
  if (operands_read_++ == 0) first_const_ = constant;
  ++branch_operands_;
  branch_const_ = branch_const_ && constant;
  if (comparing_) {
    if (compare_left_const_ && constant) const_compare_ = true;
    comparing_ = false;
  }
  prev_const_ = constant;
  bare_name_ = false;
}

Shape Reader::call(WordClass cls) noexcept {
  relabel_last('f');
  take();  // (
  const bool danger = qualified_ ? is_call_class(qualifier_) : is_call_class(cls);
  qualified_ = false;
  // A delay, file, command or error function called where an operand may stand: the call is
  // the attack, whatever its arguments (sleep(20.to_i) is one too).
  if (danger) return Shape::kFunction;
  if (logic_) call_after_logic_ = true;
  if (logic_ && cls != WordClass::kNone && cls != WordClass::kObject) probe_after_logic_ = true;
  if (logic_) any_call_after_logic_ = true;
  if (cls == WordClass::kFnInfo) info_call_ = true;
  if (broke_) names_after_break_ = true;
  if (!push(Frame::kCall)) return fail();
  empty_call_ok_ = true;
  expect_operand_ = true;
  return Shape::kNone;
}

// SELECT inside parentheses: read loosely to its closing parenthesis (any tokens, parentheses
// balanced), noting whether it reads data and whether it calls a dangerous function.
Shape Reader::subquery() noexcept {
  int depth = 1;
  bool reads = false;
  while (true) {
    Token t = take();
    switch (t.type) {
      case TokenType::kEnd:
      case TokenType::kComment:
        // The value ends inside the subquery: the rest of the query closes it, or not.
        return (reads || broke_ || logic_) ? Shape::kSubquery : fail();
      case TokenType::kLParen:
        ++depth;
        break;
      case TokenType::kRParen:
        if (--depth == 0) {
          if (reads) return Shape::kSubquery;
          if (logic_) probe_after_logic_ = true;
          if (depth_ > 0) --depth_;  // the group the subquery opened
          operand_read(false);
          return Shape::kNone;
        }
        break;
      case TokenType::kVariable:
        reads = true;
        break;
      case TokenType::kOperator:
        if (lexer_.text(t) == "*") reads = true;
        break;
      case TokenType::kName:
        if (t.word.word == Word::kFrom || t.word.word == Word::kUnion) reads = true;
        if (peek().type == TokenType::kLParen) {
          reads = true;
          if (is_call_class(t.word.cls)) return Shape::kFunction;
        }
        if (t.word.word == Word::kWaitfor && waitfor_delay()) return Shape::kFunction;
        break;
      default:
        break;
    }
  }
}

// WAITFOR was just read: is it WAITFOR DELAY '…' / WAITFOR TIME '…'?
bool Reader::waitfor_delay() noexcept {
  const Token& what = peek();
  const Token& when = peek(1);
  return (what.word.word == Word::kDelay || what.word.word == Word::kTime) &&
         (when.type == TokenType::kString || when.type == TokenType::kOpenString ||
          when.type == TokenType::kVariable);
}

// Whether `head` followed by `second` starts a statement that does harm (read after `;`, or in
// MSSQL right after a closed string). Looks at those two tokens only.
bool Reader::harmful_statement(const Token& head, const Token& second, bool* strong) noexcept {
  if (head.type != TokenType::kName) return false;
  if (strong != nullptr) {
    const std::string_view w = lexer_.text(head);
    const std::string_view n = second.type == TokenType::kName ? lexer_.text(second) : "";
    *strong = is_call_class(second.word.cls) ||
              (head.word.word == Word::kWaitfor &&
               (second.word.word == Word::kDelay || second.word.word == Word::kTime)) ||
              ((iequals(w, "drop") || iequals(w, "truncate")) &&
               (iequals(n, "table") || iequals(n, "database"))) ||
              iequals(w, "shutdown");
  }
  const std::string_view word = lexer_.text(head);
  const std::string_view next = second.type == TokenType::kName ? lexer_.text(second) : "";
  const WordClass next_cls = second.type == TokenType::kName ? second.word.cls : WordClass::kNone;
  if (head.word.word == Word::kSelect) {
    return second.type == TokenType::kNumber || second.type == TokenType::kString ||
           second.type == TokenType::kVariable || second.type == TokenType::kLParen ||
           (second.type == TokenType::kOperator && lexer_.text(second) == "*") ||
           second.word.word == Word::kCase || next_cls == WordClass::kNone ||
           next_cls == WordClass::kLiteral || next_cls == WordClass::kFnDelay ||
           next_cls == WordClass::kFnDanger || next_cls == WordClass::kFnInfo ||
           next_cls == WordClass::kFnSql;
  }
  if (head.word.word == Word::kWaitfor) {
    return second.word.word == Word::kDelay || second.word.word == Word::kTime;
  }
  if (iequals(word, "if")) {
    return second.type == TokenType::kLParen || second.word.word == Word::kNot ||
           second.word.word == Word::kExists;
  }
  if (iequals(word, "begin")) return second.type == TokenType::kName;  // a PL/SQL block
  if (iequals(word, "do")) {  // PostgreSQL's anonymous block
    return second.type == TokenType::kString || second.type == TokenType::kOpenString;
  }
  if (iequals(word, "replace")) return iequals(next, "into");
  if (head.word.cls != WordClass::kStatement) return false;
  if (iequals(word, "drop") || iequals(word, "create") || iequals(word, "alter") ||
      iequals(word, "truncate") || iequals(word, "rename")) {
    return next_cls == WordClass::kObject || iequals(next, "database") || iequals(next, "schema") ||
           iequals(next, "user") || iequals(next, "procedure") ||
           (iequals(word, "create") && iequals(next, "or"));
  }
  if (iequals(word, "delete")) return iequals(next, "from");
  if (iequals(word, "insert")) return iequals(next, "into");
  if (iequals(word, "update"))
    return second.type == TokenType::kName && next_cls == WordClass::kNone;
  if (iequals(word, "exec") || iequals(word, "execute")) {
    return second.type == TokenType::kName || second.type == TokenType::kLParen ||
           second.type == TokenType::kVariable;
  }
  if (iequals(word, "declare") || iequals(word, "set")) return second.type == TokenType::kVariable;
  if (iequals(word, "shutdown")) {
    return second.type == TokenType::kEnd || second.type == TokenType::kComment ||
           second.type == TokenType::kSemicolon || iequals(next, "with");
  }
  if (iequals(word, "grant") || iequals(word, "revoke")) return second.type == TokenType::kName;
  if (iequals(word, "call") || iequals(word, "copy")) {
    return (second.type == TokenType::kName && next_cls == WordClass::kNone) ||
           (iequals(word, "copy") && second.type == TokenType::kLParen);
  }
  if (iequals(word, "backup")) return iequals(next, "database");
  if (iequals(word, "load")) return iequals(next, "data");
  if (iequals(word, "attach")) return iequals(next, "database");
  if (iequals(word, "use")) return iequals(next, "master");
  return iequals(word, "dbcc") || iequals(word, "reconfigure");
}

Shape Reader::operand(const Token& t) noexcept {
  const bool qualified = qualified_;
  if (t.type != TokenType::kName) qualified_ = false;
  last_was_name_ = false;
  switch (t.type) {
    case TokenType::kNumber:
      branch_number_ = branch_operands_ == 0;
      branch_short_string_ = false;
      operand_read(true);
      return Shape::kNone;
    case TokenType::kString:
    case TokenType::kOpenString: {
      // The string a tautology's lone operand is made of: short, one word ('1, 'x, 'a').
      std::string_view body = lexer_.text(t).substr(1);
      if (t.type == TokenType::kString && !body.empty()) body.remove_suffix(1);
      branch_short_string_ =
          branch_operands_ == 0 && body.size() <= 4 && body.find(' ') == std::string_view::npos;
      branch_number_ = false;
      operand_read(true);
      return Shape::kNone;
    }
    case TokenType::kVariable:
      if (broke_) names_after_break_ = true;
      if (logic_) probe_after_logic_ = true;
      operand_read(false);
      return Shape::kNone;
    case TokenType::kLParen:
      if (!push(Frame::kGroup)) return fail();
      empty_call_ok_ = false;
      if (peek().type == TokenType::kName && peek().word.word == Word::kSelect) {
        take();
        return subquery();
      }
      return Shape::kNone;
    case TokenType::kRParen:
      if (empty_call_ok_ && depth_ > 0 &&
          frames_[static_cast<std::size_t>(depth_ - 1)] != Frame::kGroup) {
        --depth_;
        empty_call_ok_ = false;
        operand_read(false);
        return Shape::kNone;
      }
      return fail();
    case TokenType::kOperator: {
      std::string_view op = lexer_.text(t);
      if (op == "-" || op == "+" || op == "~" || op == "!") return Shape::kNone;
      if (op == "*" && depth_ > 0 && empty_call_ok_) {  // count(*)
        operand_read(false);
        return Shape::kNone;
      }
      return fail();
    }
    case TokenType::kSemicolon:
      // The value starts a statement of its own: ; DROP TABLE users.
      if (letter_count_ == 1 && harmful_statement(peek(), peek(1))) return Shape::kStacked;
      return fail();
    case TokenType::kName:
      break;
    default:
      return fail();
  }
  empty_call_ok_ = false;
  const WordClass cls = t.word.cls;
  if (cast_) {
    cast_ = false;
    operand_read(cast_const_);
    return Shape::kNone;
  }
  // SQLite's like(), glob() and regexp() functions.
  if (cls == WordClass::kCompare && peek().type == TokenType::kLParen)
    return call(WordClass::kFnSql);
  switch (cls) {
    case WordClass::kNone:
    case WordClass::kObject:
    case WordClass::kFnDelay:
    case WordClass::kFnDanger:
    case WordClass::kFnInfo:
    case WordClass::kFnSql:
      if (peek().type == TokenType::kLParen) {
        if (qualified) qualified_ = true;
        return call(cls);
      }
      if (broke_) names_after_break_ = true;
      qualified_ = false;
      last_was_name_ = true;
      last_name_ = cls;
      if (comparing_ && logic_ && !compare_left_name_.empty() &&
          unquoted(compare_left_name_) == unquoted(lexer_.text(t))) {
        const_compare_ = true;  // OR `id`=`id`
      }
      operand_read(false);
      bare_name_ = true;
      last_name_text_ = lexer_.text(t);
      return Shape::kNone;
    case WordClass::kLiteral:
      if (t.word.word == Word::kTrue) true_literal_ = true;
      branch_number_ = branch_operands_ == 0;
      branch_short_string_ = false;
      operand_read(true);
      return Shape::kNone;
    case WordClass::kUnary:
      return Shape::kNone;
    case WordClass::kClause:
      if (t.word.word == Word::kCase) return push(Frame::kCase) ? Shape::kNone : fail();
      if (t.word.word == Word::kAll) return Shape::kNone;
      if (t.word.word == Word::kWhen && depth_ > 0 &&
          frames_[static_cast<std::size_t>(depth_ - 1)] == Frame::kCase) {
        return Shape::kNone;  // CASE WHEN …
      }
      return fail();
    case WordClass::kStatement:
      if (t.word.word == Word::kWaitfor && waitfor_delay()) return Shape::kFunction;
      return fail();
    default:
      return fail();
  }
}

Shape Reader::after_operand(const Token& t) noexcept {
  const bool after_name = last_was_name_;
  const WordClass name_cls = last_name_;
  last_was_name_ = false;
  auto binary = [&] {
    expect_operand_ = true;
    branch_operator_ = true;
    return Shape::kNone;
  };
  auto compare = [&] {
    comparing_ = true;
    compared_ = true;
    compare_left_name_ = bare_name_ ? last_name_text_ : std::string_view();
    compare_left_const_ = prev_const_;
    if (logic_) compare_after_logic_ = true;
    return binary();
  };
  auto logic = [&] {
    logic_ = true;
    comparing_ = false;
    branch_operands_ = 0;
    branch_const_ = true;
    branch_operator_ = false;
    branch_short_string_ = false;
    branch_number_ = false;
    expect_operand_ = true;
    return Shape::kNone;
  };
  switch (t.type) {
    case TokenType::kOperator:
      if (lexer_.text(t) == "::") {
        cast_ = true;
        cast_const_ = prev_const_;
      }
      return binary();
    case TokenType::kCompare:
      return compare();
    case TokenType::kLogic:
      return logic();
    case TokenType::kDot:
      if (!after_name) return fail();
      qualified_ = true;
      qualifier_ = name_cls;
      --branch_operands_;
      expect_operand_ = true;
      return Shape::kNone;
    case TokenType::kRParen: {
      if (depth_ == 0) {
        // Closing parentheses the query opened before the value: ') or ('1'='1.
        return ++unmatched_ > kMaxUnmatched ? fail() : Shape::kNone;
      }
      const Frame f = frames_[static_cast<std::size_t>(--depth_)];
      if (f == Frame::kCase) return fail();
      // (1) is as constant as 1.
      const bool constant = f == Frame::kGroup && prev_const_ &&
                            operands_read_ - frame_operands_[static_cast<std::size_t>(depth_)] == 1;
      operands_read_ -= operands_read_ - frame_operands_[static_cast<std::size_t>(depth_)];
      --branch_operands_;
      operand_read(constant);
      return Shape::kNone;
    }
    case TokenType::kComma:
      if (depth_ > 0 && frames_[static_cast<std::size_t>(depth_ - 1)] == Frame::kCase)
        return fail();
      expect_operand_ = true;
      return Shape::kNone;
    case TokenType::kSemicolon: {
      const Token& n = peek();
      if (n.type == TokenType::kEnd || n.type == TokenType::kComment) {
        take();
        semicolon_end_ = true;
        return at_end(true);
      }
      bool strong = false;
      if (!harmful_statement(n, peek(1), &strong)) return fail();
      // After a bare word only what no prose says: "BEGIN; UPDATE t SET …" is a code sample.
      return (context_ == 0 && bare_name_ && !strong) ? fail() : Shape::kStacked;
    }
    case TokenType::kComment:
      return at_end(true);
    case TokenType::kEnd:
      return at_end(false);
    case TokenType::kName:
      break;
    default:
      return fail();
  }
  const Word word = t.word.word;
  switch (t.word.cls) {
    case WordClass::kLogic:
      if (between_ && word == Word::kAnd) {
        between_ = false;
        expect_operand_ = true;
        return Shape::kNone;
      }
      return logic();
    case WordClass::kCompare:
      if (word == Word::kBetween) between_ = true;
      if (word == Word::kSounds) {
        if (peek().word.word != Word::kLike) return fail();
        take();
      }
      return compare();
    case WordClass::kArith:
      return binary();
    case WordClass::kUnary:
      if (word == Word::kNot) {
        const Token& n = peek();
        if (n.word.cls != WordClass::kCompare || n.word.word == Word::kIs) return fail();
        take();
        if (n.word.word == Word::kBetween) between_ = true;
        return compare();
      }
      return fail();
    case WordClass::kClause:
      switch (word) {
        case Word::kUnion: {
          if (context_ == 0 && bare_name_) return fail();
          int i = 0;
          if (peek().word.word == Word::kAll || peek().word.word == Word::kDistinct) i = 1;
          const Token& n = peek(i);
          if (n.word.word == Word::kSelect ||
              (n.type == TokenType::kLParen && i == 0 && peek(1).word.word == Word::kSelect)) {
            take();
            return Shape::kUnion;
          }
          return fail();
        }
        case Word::kOrder:
        case Word::kGroup:
          if (peek().word.word != Word::kBy) return fail();
          take();
          clause_ = true;
          return binary();
        case Word::kHaving:
        case Word::kLimit:
        case Word::kOffset:
          clause_ = true;
          return binary();
        case Word::kAsc:
        case Word::kDesc:
          return Shape::kNone;
        case Word::kFrom:
        case Word::kFor:
          // substring(x FROM 1 FOR 2), trim(… FROM …), extract(year FROM …)
          if (depth_ == 0 || frames_[static_cast<std::size_t>(depth_ - 1)] != Frame::kCall) {
            return fail();
          }
          return binary();
        case Word::kProcedure:
          if (peek().type == TokenType::kName && peek(1).type == TokenType::kLParen) {
            return Shape::kClause;
          }
          return fail();
        case Word::kInto:
          if (iequals(lexer_.text(peek()), "outfile") || iequals(lexer_.text(peek()), "dumpfile")) {
            return Shape::kFunction;
          }
          return fail();
        case Word::kWhen:
        case Word::kThen:
        case Word::kElse:
          if (depth_ == 0 || frames_[static_cast<std::size_t>(depth_ - 1)] != Frame::kCase) {
            return fail();
          }
          return binary();
        case Word::kEnd:
          if (depth_ == 0 || frames_[static_cast<std::size_t>(depth_ - 1)] != Frame::kCase) {
            return fail();
          }
          --depth_;
          operand_read(false);
          return Shape::kNone;
        case Word::kAs: {
          const Token& alias = peek();
          if (alias.type != TokenType::kName && alias.type != TokenType::kString) return fail();
          take();
          return Shape::kNone;
        }
        default:
          return fail();
      }
    case WordClass::kStatement: {
      if (word == Word::kWaitfor) return waitfor_delay() ? Shape::kFunction : fail();
      // MSSQL runs statements written one after the other without `;`. Only its own heads
      // count here: code quotes SELECT and INSERT after a string all the time.
      if (broke_) {
        const Token& n = peek();
        const std::string_view head = lexer_.text(t);
        if ((iequals(head, "exec") || iequals(head, "execute")) &&
            (n.type == TokenType::kVariable || n.type == TokenType::kLParen ||
             is_call_class(n.word.cls))) {
          return Shape::kStacked;
        }
        if (iequals(head, "declare") && n.type == TokenType::kVariable) return Shape::kStacked;
        if (iequals(head, "shutdown") &&
            (n.type == TokenType::kEnd || n.type == TokenType::kComment)) {
          return Shape::kStacked;
        }
      }
      return fail();
    }
    default:
      // A dangerous call straight after the string closes, with no operator between: sloppy
      // SQL, but no value carries it by accident.
      if (broke_ && branch_operands_ == 1 && !branch_operator_ && !logic_ &&
          is_call_class(t.word.cls) && peek().type == TokenType::kLParen) {
        relabel_last('f');
        return Shape::kFunction;
      }
      return fail();
  }
}

Shape Reader::at_end(bool truncated) noexcept {
  done_ = true;
  if (expect_operand_) return Shape::kNone;
  const bool lone_branch = logic_ && branch_operands_ == 1 && branch_const_ && !branch_operator_;
  if (logic_) {
    if (const_compare_ || true_literal_) return Shape::kTautology;
    // Boolean-blind probing: 1 AND substring(version(),1,1)=5, ' or @@version is not null.
    if (probe_after_logic_ && (broke_ || first_const_)) return Shape::kTautology;
    if (any_call_after_logic_ && compare_after_logic_ && (broke_ || first_const_)) {
      return Shape::kTautology;
    }
    if (call_after_logic_ && (broke_ || truncated)) return Shape::kTautology;
    if (lone_branch && (truncated || branch_short_string_ || (broke_ && branch_number_))) {
      return Shape::kTautology;
    }
  }
  if (info_call_ && compared_) return Shape::kFunction;
  if (context_ == 0) {
    if (clause_ && truncated) return Shape::kClause;
    // 1)) -- and 1;-- : a number, the query's parentheses or statement closed, the rest cut.
    if (truncated && first_const_ && operands_read_ == 1 && (unmatched_ > 0 || semicolon_end_)) {
      return Shape::kComment;
    }
    return Shape::kNone;
  }
  // In a string context: what followed the closed string decides.
  switch (break_type_) {
    case TokenType::kLogic:
      if (compare_after_logic_ || truncated) return Shape::kTautology;
      return Shape::kNone;
    case TokenType::kCompare:
      return break_content_plain_ && (branch_short_string_ || branch_number_ || const_compare_)
                 ? Shape::kTautology
                 : Shape::kNone;
    case TokenType::kOperator:
      return (names_after_break_ && break_content_plain_) ? Shape::kBreakout : Shape::kNone;
    case TokenType::kComment:
    case TokenType::kSemicolon:
      return break_content_plain_ ? Shape::kComment : Shape::kNone;
    case TokenType::kName:
      if (break_class_ == WordClass::kLogic) {
        return (compare_after_logic_ || truncated) ? Shape::kTautology : Shape::kNone;
      }
      if (break_class_ == WordClass::kCompare) {
        return break_content_plain_ ? Shape::kTautology : Shape::kNone;
      }
      if (break_class_ == WordClass::kArith) {
        return (names_after_break_ && break_content_plain_) ? Shape::kBreakout : Shape::kNone;
      }
      if (break_class_ == WordClass::kClause && clause_ && break_content_plain_) {
        return Shape::kClause;
      }
      return Shape::kNone;
    case TokenType::kEnd:
      return Shape::kNone;
    default:
      return Shape::kNone;
  }
}

Shape Reader::run() noexcept {
  if (context_ != 0) {
    Token first = take();
    if (first.type != TokenType::kString) return Shape::kNone;
    std::string_view content = lexer_.text(first);
    content.remove_suffix(1);
    // A value the string held on purpose (a user name, a number) rather than text that happens
    // to contain a quote: letters, digits and . _ - @ only.
    break_content_plain_ = true;
    for (char c : content) {
      const bool plain =
          is_alnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '@';
      if (!plain) break_content_plain_ = false;
    }
    broke_ = true;
    expect_operand_ = false;
    prev_const_ = true;
    branch_operands_ = 1;
  }
  bool break_read = context_ == 0;
  while (!done_) {
    Token t = take();
    if (!break_read && t.type != TokenType::kRParen) {
      // What follows the string (closing parentheses of the query skipped) decides the shape.
      break_read = true;
      break_type_ = t.type;
      break_class_ = t.word.cls;
      if (t.type == TokenType::kEnd) return Shape::kNone;
    }
    Shape s = expect_operand_ ? operand(t) : after_operand(t);
    if (s != Shape::kNone) return s;
    if (t.type == TokenType::kEnd) break;
  }
  return Shape::kNone;
}

}  // namespace

SqliMatch detect_sqli(std::string_view value) noexcept {
  SqliMatch match;
  if (value.size() > UINT32_MAX) value = value.substr(0, UINT32_MAX);
  // Letters, digits and `_` alone read as one word, or a number and a word ("1or"): no shape
  // fits, so most values (ids, names, tokens) are settled by this one pass.
  const bool separated = std::any_of(value.begin(), value.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return !(is_alnum(b) || b == '_' || b >= 0x80);
  });
  if (!separated) return match;
  const bool single = value.find('\'') != std::string_view::npos;
  const bool dbl = value.find('"') != std::string_view::npos;
  const std::array<char, 3> contexts = {0, '\'', '"'};
  for (char context : contexts) {
    if ((context == '\'' && !single) || (context == '"' && !dbl)) continue;
    Reader reader(value, context);
    Shape shape = reader.run();
    if (shape == Shape::kNone) continue;
    match.found = true;
    match.shape = shape_name(shape);
    match.context = context;
    std::string_view fp = reader.fingerprint();
    match.fingerprint_size = static_cast<std::uint8_t>(fp.size());
    for (std::size_t i = 0; i < fp.size(); ++i) match.fingerprint_data[i] = fp[i];
    return match;
  }
  return match;
}

}  // namespace portcullis::waf::detect
