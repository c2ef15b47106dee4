// The SQL tokenizer behind detect_sqli(): bytes to tokens for the union of the MySQL,
// PostgreSQL, MSSQL, Oracle and SQLite lexical rules, so that whatever database sits behind the
// application, a fragment reads the way it would read there. Internal to waf/detect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace portcullis::waf::detect::sql {

// The words the grammar treats specially; every other known word is kOther with its WordClass.
enum class Word : std::uint8_t {
  kOther,
  kAll,
  kAnd,
  kAny,
  kAs,
  kAsc,
  kBetween,
  kBy,
  kCase,
  kDelay,
  kDesc,
  kDistinct,
  kDiv,
  kElse,
  kEnd,
  kExists,
  kFor,
  kFrom,
  kGroup,
  kHaving,
  kIn,
  kInto,
  kIs,
  kLike,
  kLimit,
  kMod,
  kNot,
  kNull,
  kOffset,
  kOr,
  kOrder,
  kProcedure,
  kRegexp,
  kSelect,
  kSome,
  kSounds,
  kThen,
  kTime,
  kTrue,
  kUnion,
  kWaitfor,
  kWhen,
  kWhere,
  kXor,
};

// What a known word is to the grammar.
enum class WordClass : std::uint8_t {
  kNone,       // not a known word: an identifier
  kLogic,      // AND OR XOR: joins conditions
  kCompare,    // LIKE IN IS BETWEEN REGEXP ...: compares operands
  kArith,      // DIV MOD COLLATE ESCAPE: binary operators spelled as words
  kLiteral,    // NULL TRUE FALSE CURRENT_USER ...: a value on its own
  kUnary,      // NOT BINARY INTERVAL ...: prefix an operand
  kStatement,  // SELECT INSERT DROP EXEC ...: starts a statement
  kClause,     // FROM WHERE ORDER BY UNION ...: structure between expressions
  kObject,     // TABLE DATABASE USER ...: what DROP/CREATE/ALTER act on
  kFnDelay,    // SLEEP BENCHMARK PG_SLEEP ...: time-based blind injection
  kFnDanger,   // LOAD_FILE XP_CMDSHELL EXTRACTVALUE ...: files, commands, out-of-band, errors
  kFnInfo,     // VERSION DATABASE USER ...: what an attacker reads out
  kFnSql,      // CHAR CONCAT SUBSTRING ASCII ...: functions injections are built from
};

struct WordInfo {
  Word word = Word::kOther;
  WordClass cls = WordClass::kNone;
};

// The known word `text` (any case), or {kOther, kNone}.
WordInfo lookup_word(std::string_view text) noexcept;

enum class TokenType : std::uint8_t {
  kString,      // a closed string literal: '…', "…", N'…', X'…', E'…', $$…$$, q'[…]'
  kOpenString,  // a string literal the value leaves open (it runs to the end)
  kNumber,      // 12, -, 1.5e3, 0x1F, 0b101, .5
  kName,        // an identifier or known word: foo, `foo`, [foo], SELECT
  kVariable,    // @x, @@version, :name
  kOperator,    // + - * / % ^ & | ~ << >> :: := ! and the like
  kCompare,     // = == < > <= >= <> != <=> !< !>
  kLogic,       // && ||
  kLParen,
  kRParen,
  kComma,
  kSemicolon,
  kDot,
  kComment,  // a comment that runs to the end of the value: -- …, # …, /* … (unclosed)
  kUnknown,  // a byte no dialect gives a meaning outside strings
  kEnd,
};

struct Token {
  TokenType type = TokenType::kEnd;
  std::uint32_t begin = 0;
  std::uint32_t size = 0;
  // kName: the word it is, when it is a known one (and written bare, not `quoted`).
  WordInfo word;
  // kString/kOpenString: the quote that opened it.
  char quote = 0;
};

// Reads tokens from a value. Whitespace, closed comments (/* … */, -- … and # … up to a
// newline) and MySQL's executable comments /*! … */ (whose body is SQL) separate tokens and are
// not returned; `comments_skipped()` counts the closed ones. Strings do not treat backslash as
// an escape (it closes nowhere in MSSQL, Oracle and SQLite, so the detector reads the value as
// the most permissive dialect would); doubled quotes are escapes everywhere. Not thread-safe;
// cheap to make.
class Lexer {
 public:
  explicit Lexer(std::string_view text) noexcept : text_(text) {}

  // Starts inside a string literal opened by `quote` (before the first byte of the text): the
  // first token is that string, closed by the first lone `quote`, or open when there is none.
  void start_in_string(char quote) noexcept { open_quote_ = quote; }

  Token next() noexcept;
  std::string_view text(const Token& t) const noexcept { return text_.substr(t.begin, t.size); }
  std::size_t comments_skipped() const noexcept { return comments_skipped_; }

 private:
  Token string_token(std::size_t begin, std::size_t body, char quote) noexcept;
  Token word_token(std::size_t begin) noexcept;
  Token number_token(std::size_t begin) noexcept;
  bool skip_space_and_comments() noexcept;  // false when a comment runs to the end

  std::string_view text_;
  std::size_t pos_ = 0;
  char open_quote_ = 0;
  int executable_comments_ = 0;  // /*! … */ bodies being read as SQL
  std::size_t comments_skipped_ = 0;
  std::size_t comment_begin_ = 0;
};

}  // namespace portcullis::waf::detect::sql
