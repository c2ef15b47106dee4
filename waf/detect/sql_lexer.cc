#include "waf/detect/sql_lexer.h"

#include <algorithm>
#include <array>

#include "waf/detect/ascii.h"

namespace portcullis::waf::detect::sql {
namespace {

struct Entry {
  std::string_view name;  // lower case
  Word word;
  WordClass cls;
};

using C = WordClass;
using W = Word;

// Words of the five dialects that matter to the grammar. Sorted at compile time.
constexpr auto kWords = [] {
  std::array table = {
      // Conditions and comparisons.
      Entry{"and", W::kAnd, C::kLogic},
      Entry{"or", W::kOr, C::kLogic},
      Entry{"xor", W::kXor, C::kLogic},
      Entry{"like", W::kLike, C::kCompare},
      Entry{"rlike", W::kRegexp, C::kCompare},
      Entry{"ilike", W::kLike, C::kCompare},
      Entry{"regexp", W::kRegexp, C::kCompare},
      Entry{"glob", W::kLike, C::kCompare},
      Entry{"is", W::kIs, C::kCompare},
      Entry{"in", W::kIn, C::kCompare},
      Entry{"between", W::kBetween, C::kCompare},
      Entry{"sounds", W::kSounds, C::kCompare},
      Entry{"div", W::kDiv, C::kArith},
      Entry{"mod", W::kMod, C::kArith},
      Entry{"collate", W::kOther, C::kArith},
      Entry{"escape", W::kOther, C::kArith},
      // Values on their own.
      Entry{"null", W::kNull, C::kLiteral},
      Entry{"true", W::kTrue, C::kLiteral},
      Entry{"false", W::kOther, C::kLiteral},
      Entry{"unknown", W::kOther, C::kLiteral},
      Entry{"current_date", W::kOther, C::kLiteral},
      Entry{"current_time", W::kOther, C::kLiteral},
      Entry{"current_timestamp", W::kOther, C::kLiteral},
      Entry{"localtime", W::kOther, C::kLiteral},
      Entry{"localtimestamp", W::kOther, C::kLiteral},
      // Prefixes of an operand.
      Entry{"not", W::kNot, C::kUnary},
      Entry{"binary", W::kOther, C::kUnary},
      Entry{"interval", W::kOther, C::kUnary},
      Entry{"distinct", W::kDistinct, C::kUnary},
      Entry{"exists", W::kExists, C::kUnary},
      Entry{"any", W::kAny, C::kUnary},
      Entry{"some", W::kSome, C::kUnary},
      // Statements.
      Entry{"select", W::kSelect, C::kStatement},
      Entry{"insert", W::kOther, C::kStatement},
      Entry{"update", W::kOther, C::kStatement},
      Entry{"delete", W::kOther, C::kStatement},
      Entry{"drop", W::kOther, C::kStatement},
      Entry{"create", W::kOther, C::kStatement},
      Entry{"alter", W::kOther, C::kStatement},
      Entry{"truncate", W::kOther, C::kStatement},
      Entry{"exec", W::kOther, C::kStatement},
      Entry{"execute", W::kOther, C::kStatement},
      Entry{"declare", W::kOther, C::kStatement},
      Entry{"shutdown", W::kOther, C::kStatement},
      Entry{"waitfor", W::kWaitfor, C::kStatement},
      Entry{"call", W::kOther, C::kStatement},
      Entry{"grant", W::kOther, C::kStatement},
      Entry{"revoke", W::kOther, C::kStatement},
      Entry{"set", W::kOther, C::kStatement},
      Entry{"use", W::kOther, C::kStatement},
      Entry{"copy", W::kOther, C::kStatement},
      Entry{"load", W::kOther, C::kStatement},
      Entry{"attach", W::kOther, C::kStatement},
      Entry{"pragma", W::kOther, C::kStatement},
      Entry{"merge", W::kOther, C::kStatement},
      Entry{"handler", W::kOther, C::kStatement},
      Entry{"rename", W::kOther, C::kStatement},
      Entry{"kill", W::kOther, C::kStatement},
      Entry{"backup", W::kOther, C::kStatement},
      Entry{"restore", W::kOther, C::kStatement},
      Entry{"dbcc", W::kOther, C::kStatement},
      Entry{"reconfigure", W::kOther, C::kStatement},
      Entry{"prepare", W::kOther, C::kStatement},
      // Structure.
      Entry{"union", W::kUnion, C::kClause},
      Entry{"except", W::kUnion, C::kClause},
      Entry{"intersect", W::kUnion, C::kClause},
      Entry{"all", W::kAll, C::kClause},
      Entry{"from", W::kFrom, C::kClause},
      Entry{"where", W::kWhere, C::kClause},
      Entry{"order", W::kOrder, C::kClause},
      Entry{"group", W::kGroup, C::kClause},
      Entry{"by", W::kBy, C::kClause},
      Entry{"having", W::kHaving, C::kClause},
      Entry{"limit", W::kLimit, C::kClause},
      Entry{"offset", W::kOffset, C::kClause},
      Entry{"procedure", W::kProcedure, C::kClause},
      Entry{"into", W::kInto, C::kClause},
      Entry{"outfile", W::kOther, C::kClause},
      Entry{"dumpfile", W::kOther, C::kClause},
      Entry{"asc", W::kAsc, C::kClause},
      Entry{"desc", W::kDesc, C::kClause},
      Entry{"as", W::kAs, C::kClause},
      Entry{"values", W::kOther, C::kClause},
      Entry{"case", W::kCase, C::kClause},
      Entry{"when", W::kWhen, C::kClause},
      Entry{"then", W::kThen, C::kClause},
      Entry{"else", W::kElse, C::kClause},
      Entry{"end", W::kEnd, C::kClause},
      Entry{"join", W::kOther, C::kClause},
      Entry{"on", W::kOther, C::kClause},
      Entry{"top", W::kOther, C::kClause},
      Entry{"delay", W::kDelay, C::kClause},
      Entry{"time", W::kTime, C::kClause},
      Entry{"for", W::kFor, C::kClause},
      Entry{"if", W::kOther, C::kFnSql},
      Entry{"with", W::kOther, C::kClause},
      // What DROP, CREATE and ALTER act on.
      Entry{"table", W::kOther, C::kObject},
      Entry{"database", W::kOther, C::kFnInfo},
      Entry{"schema", W::kOther, C::kFnInfo},
      Entry{"view", W::kOther, C::kObject},
      Entry{"index", W::kOther, C::kObject},
      Entry{"function", W::kOther, C::kObject},
      Entry{"trigger", W::kOther, C::kObject},
      Entry{"login", W::kOther, C::kObject},
      Entry{"role", W::kOther, C::kObject},
      Entry{"tablespace", W::kOther, C::kObject},
      Entry{"column", W::kOther, C::kObject},
      Entry{"sequence", W::kOther, C::kObject},
      Entry{"extension", W::kOther, C::kObject},
      // Time-based blind injection.
      Entry{"sleep", W::kOther, C::kFnDelay},
      Entry{"benchmark", W::kOther, C::kFnDelay},
      Entry{"pg_sleep", W::kOther, C::kFnDelay},
      Entry{"pg_sleep_for", W::kOther, C::kFnDelay},
      Entry{"pg_sleep_until", W::kOther, C::kFnDelay},
      Entry{"randomblob", W::kOther, C::kFnDelay},
      Entry{"dbms_lock", W::kOther, C::kFnDelay},
      Entry{"dbms_pipe", W::kOther, C::kFnDelay},
      Entry{"dbms_session", W::kOther, C::kFnDelay},
      // Files, commands, the network and error messages.
      Entry{"load_file", W::kOther, C::kFnDanger},
      Entry{"xp_cmdshell", W::kOther, C::kFnDanger},
      Entry{"xp_dirtree", W::kOther, C::kFnDanger},
      Entry{"xp_fileexist", W::kOther, C::kFnDanger},
      Entry{"xp_regread", W::kOther, C::kFnDanger},
      Entry{"xp_subdirs", W::kOther, C::kFnDanger},
      Entry{"sp_oacreate", W::kOther, C::kFnDanger},
      Entry{"sp_oamethod", W::kOther, C::kFnDanger},
      Entry{"sp_executesql", W::kOther, C::kFnDanger},
      Entry{"sp_makewebtask", W::kOther, C::kFnDanger},
      Entry{"sp_addlogin", W::kOther, C::kFnDanger},
      Entry{"sp_password", W::kOther, C::kFnDanger},
      Entry{"sp_configure", W::kOther, C::kFnDanger},
      Entry{"openrowset", W::kOther, C::kFnDanger},
      Entry{"opendatasource", W::kOther, C::kFnDanger},
      Entry{"openquery", W::kOther, C::kFnDanger},
      Entry{"utl_http", W::kOther, C::kFnDanger},
      Entry{"utl_inaddr", W::kOther, C::kFnDanger},
      Entry{"utl_file", W::kOther, C::kFnDanger},
      Entry{"utl_smtp", W::kOther, C::kFnDanger},
      Entry{"httpuritype", W::kOther, C::kFnDanger},
      Entry{"dbms_ldap", W::kOther, C::kFnDanger},
      Entry{"dbms_xmlgen", W::kOther, C::kFnDanger},
      Entry{"dbms_java", W::kOther, C::kFnDanger},
      Entry{"ctxsys", W::kOther, C::kFnDanger},
      Entry{"sys_eval", W::kOther, C::kFnDanger},
      Entry{"sys_exec", W::kOther, C::kFnDanger},
      Entry{"lo_import", W::kOther, C::kFnDanger},
      Entry{"lo_export", W::kOther, C::kFnDanger},
      Entry{"pg_read_file", W::kOther, C::kFnDanger},
      Entry{"pg_read_binary_file", W::kOther, C::kFnDanger},
      Entry{"pg_ls_dir", W::kOther, C::kFnDanger},
      Entry{"load_extension", W::kOther, C::kFnDanger},
      Entry{"extractvalue", W::kOther, C::kFnDanger},
      Entry{"updatexml", W::kOther, C::kFnDanger},
      Entry{"xmltype", W::kOther, C::kFnDanger},
      Entry{"geometrycollection", W::kOther, C::kFnDanger},
      Entry{"multipoint", W::kOther, C::kFnDanger},
      Entry{"multilinestring", W::kOther, C::kFnDanger},
      Entry{"multipolygon", W::kOther, C::kFnDanger},
      Entry{"name_const", W::kOther, C::kFnDanger},
      Entry{"json_keys", W::kOther, C::kFnSql},
      // What an attacker reads out.
      Entry{"version", W::kOther, C::kFnInfo},
      Entry{"user", W::kOther, C::kFnInfo},
      Entry{"current_user", W::kOther, C::kFnInfo},
      Entry{"session_user", W::kOther, C::kFnInfo},
      Entry{"system_user", W::kOther, C::kFnInfo},
      Entry{"db_name", W::kOther, C::kFnInfo},
      Entry{"user_name", W::kOther, C::kFnInfo},
      Entry{"host_name", W::kOther, C::kFnInfo},
      Entry{"suser_name", W::kOther, C::kFnInfo},
      Entry{"suser_sname", W::kOther, C::kFnInfo},
      Entry{"sqlite_version", W::kOther, C::kFnInfo},
      Entry{"connection_id", W::kOther, C::kFnInfo},
      Entry{"last_insert_id", W::kOther, C::kFnInfo},
      Entry{"current_database", W::kOther, C::kFnInfo},
      Entry{"current_schema", W::kOther, C::kFnInfo},
      Entry{"banner", W::kOther, C::kFnInfo},
      // Functions injections are built from.
      Entry{"char", W::kOther, C::kFnSql},
      Entry{"chr", W::kOther, C::kFnSql},
      Entry{"nchar", W::kOther, C::kFnSql},
      Entry{"concat", W::kOther, C::kFnSql},
      Entry{"concat_ws", W::kOther, C::kFnSql},
      Entry{"group_concat", W::kOther, C::kFnSql},
      Entry{"string_agg", W::kOther, C::kFnSql},
      Entry{"listagg", W::kOther, C::kFnSql},
      Entry{"substring", W::kOther, C::kFnSql},
      Entry{"substr", W::kOther, C::kFnSql},
      Entry{"mid", W::kOther, C::kFnSql},
      Entry{"left", W::kOther, C::kFnSql},
      Entry{"right", W::kOther, C::kFnSql},
      Entry{"ascii", W::kOther, C::kFnSql},
      Entry{"ord", W::kOther, C::kFnSql},
      Entry{"unicode", W::kOther, C::kFnSql},
      Entry{"hex", W::kOther, C::kFnSql},
      Entry{"conv", W::kOther, C::kFnSql},
      Entry{"bin", W::kOther, C::kFnSql},
      Entry{"oct", W::kOther, C::kFnSql},
      Entry{"unhex", W::kOther, C::kFnSql},
      Entry{"iif", W::kOther, C::kFnSql},
      Entry{"ifnull", W::kOther, C::kFnSql},
      Entry{"isnull", W::kOther, C::kFnSql},
      Entry{"nullif", W::kOther, C::kFnSql},
      Entry{"nvl", W::kOther, C::kFnSql},
      Entry{"coalesce", W::kOther, C::kFnSql},
      Entry{"cast", W::kOther, C::kFnSql},
      Entry{"convert", W::kOther, C::kFnSql},
      Entry{"count", W::kOther, C::kFnSql},
      Entry{"length", W::kOther, C::kFnSql},
      Entry{"len", W::kOther, C::kFnSql},
      Entry{"char_length", W::kOther, C::kFnSql},
      Entry{"lower", W::kOther, C::kFnSql},
      Entry{"upper", W::kOther, C::kFnSql},
      Entry{"reverse", W::kOther, C::kFnSql},
      Entry{"replace", W::kOther, C::kFnSql},
      Entry{"md5", W::kOther, C::kFnSql},
      Entry{"sha1", W::kOther, C::kFnSql},
      Entry{"rand", W::kOther, C::kFnSql},
      Entry{"random", W::kOther, C::kFnSql},
      Entry{"floor", W::kOther, C::kFnSql},
      Entry{"abs", W::kOther, C::kFnSql},
      Entry{"elt", W::kOther, C::kFnSql},
      Entry{"instr", W::kOther, C::kFnSql},
      Entry{"locate", W::kOther, C::kFnSql},
      Entry{"strcmp", W::kOther, C::kFnSql},
      Entry{"make_set", W::kOther, C::kFnSql},
      Entry{"export_set", W::kOther, C::kFnSql},
      Entry{"decode", W::kOther, C::kFnSql},
      Entry{"to_char", W::kOther, C::kFnSql},
      Entry{"rawtohex", W::kOther, C::kFnSql},
      Entry{"json_extract", W::kOther, C::kFnSql},
      Entry{"query_to_xml", W::kOther, C::kFnSql},
      Entry{"database_to_xml", W::kOther, C::kFnSql},
      Entry{"current_setting", W::kOther, C::kFnSql},
      Entry{"sysdate", W::kOther, C::kFnSql},
      Entry{"now", W::kOther, C::kFnSql},
  };
  std::sort(table.begin(), table.end(),
            [](const Entry& a, const Entry& b) { return a.name < b.name; });
  return table;
}();

static_assert(std::adjacent_find(kWords.begin(), kWords.end(),
                                 [](const Entry& a, const Entry& b) { return a.name == b.name; }) ==
                  kWords.end(),
              "each word once");

constexpr std::size_t kLongestWord = 20;

constexpr bool is_space(unsigned char c) noexcept {
  // Backslash means nothing outside a string in any dialect; reading past it keeps what follows
  // (a `\` left over from shell or path syntax) from hiding the rest.
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0xa0 ||
         c == '\\';
}

constexpr bool is_word_byte(unsigned char c) noexcept {
  return is_alnum(c) || c == '_' || c == '$' || c >= 0x80;
}

constexpr bool is_word_start(unsigned char c) noexcept {
  return is_alpha(c) || c == '_' || (c >= 0x80 && c != 0xa0);
}

// The end of a string literal opened by `quote` whose body starts at `body`: the offset just
// past the closing quote, or npos when it stays open. A doubled quote is an escaped one.
std::size_t string_end(std::string_view text, std::size_t body, char quote) noexcept {
  std::size_t i = body;
  while (true) {
    std::size_t q = text.find(quote, i);
    if (q == std::string_view::npos) return q;
    if (q + 1 < text.size() && text[q + 1] == quote) {
      i = q + 2;
      continue;
    }
    return q + 1;
  }
}

}  // namespace

WordInfo lookup_word(std::string_view text) noexcept {
  if (text.size() > kLongestWord) return {};
  char lower[kLongestWord];
  for (std::size_t i = 0; i < text.size(); ++i) {
    lower[i] = to_lower(text[i]);
  }
  std::string_view key(lower, text.size());
  auto it = std::lower_bound(kWords.begin(), kWords.end(), key,
                             [](const Entry& e, std::string_view k) { return e.name < k; });
  if (it == kWords.end() || it->name != key) return {};
  return {it->word, it->cls};
}

bool Lexer::skip_space_and_comments() noexcept {
  while (pos_ < text_.size()) {
    auto c = static_cast<unsigned char>(text_[pos_]);
    char next = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    if (c == '\\' && next == 'N') return true;  // MySQL's \N is NULL
    if (is_space(c)) {
      ++pos_;
      continue;
    }
    if ((c == '-' && next == '-') || c == '#') {
      std::size_t nl = text_.find('\n', pos_);
      std::size_t rest = nl;
      while (rest < text_.size() && is_space(static_cast<unsigned char>(text_[rest]))) ++rest;
      if (nl == std::string_view::npos || rest >= text_.size()) {
        comment_begin_ = pos_;
        return false;
      }
      ++comments_skipped_;
      pos_ = nl + 1;
      continue;
    }
    if (c == '/' && next == '*') {
      if (pos_ + 2 < text_.size() && text_[pos_ + 2] == '!') {
        // MySQL runs the body of /*! … */ (and of /*!50000 … */ on servers of that version).
        pos_ += 3;
        // A version is five or six digits (/*!50000 … */); fewer are the body's own.
        std::size_t digits = 0;
        while (pos_ + digits < text_.size() && digits < 7 &&
               is_digit(static_cast<unsigned char>(text_[pos_ + digits]))) {
          ++digits;
        }
        if (digits == 5 || digits == 6) pos_ += digits;
        ++executable_comments_;
        continue;
      }
      std::size_t close = text_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) {
        comment_begin_ = pos_;
        return false;
      }
      ++comments_skipped_;
      pos_ = close + 2;
      continue;
    }
    if (c == '*' && next == '/' && executable_comments_ > 0) {
      --executable_comments_;
      pos_ += 2;
      continue;
    }
    return true;
  }
  return true;
}

Token Lexer::string_token(std::size_t begin, std::size_t body, char quote) noexcept {
  std::size_t end = string_end(text_, body, quote);
  Token t;
  t.quote = quote;
  t.begin = static_cast<std::uint32_t>(begin);
  if (end == std::string_view::npos) {
    t.type = TokenType::kOpenString;
    end = text_.size();
  } else {
    t.type = TokenType::kString;
  }
  t.size = static_cast<std::uint32_t>(end - begin);
  pos_ = end;
  return t;
}

Token Lexer::number_token(std::size_t begin) noexcept {
  std::size_t i = begin;
  auto at = [&](std::size_t k) -> unsigned char {
    return k < text_.size() ? static_cast<unsigned char>(text_[k]) : 0;
  };
  if (at(i) == '0' && (at(i + 1) == 'x' || at(i + 1) == 'X') && is_hex_digit(at(i + 2))) {
    i += 2;
    while (is_hex_digit(at(i))) ++i;
  } else if (at(i) == '0' && (at(i + 1) == 'b' || at(i + 1) == 'B') &&
             (at(i + 2) == '0' || at(i + 2) == '1')) {
    i += 2;
    while (at(i) == '0' || at(i) == '1') ++i;
  } else {
    while (is_digit(at(i))) ++i;
    if (at(i) == '.') {
      ++i;
      while (is_digit(at(i))) ++i;
    }
    if ((at(i) == 'e' || at(i) == 'E') &&
        (is_digit(at(i + 1)) || ((at(i + 1) == '+' || at(i + 1) == '-') && is_digit(at(i + 2))))) {
      i += 2;
      while (is_digit(at(i))) ++i;
    }
  }
  pos_ = i;
  Token t;
  t.type = TokenType::kNumber;
  t.begin = static_cast<std::uint32_t>(begin);
  t.size = static_cast<std::uint32_t>(i - begin);
  return t;
}

Token Lexer::word_token(std::size_t begin) noexcept {
  std::size_t i = begin;
  while (i < text_.size() && is_word_byte(static_cast<unsigned char>(text_[i]))) ++i;
  // N'…' (national), X'…' (hex), B'…' (bits), E'…' (escapes), Q'…' (Oracle): string literals.
  if (i - begin == 1 && i < text_.size() && text_[i] == '\'') {
    char p = static_cast<char>(text_[begin] | 0x20);
    if (p == 'n' || p == 'x' || p == 'b' || p == 'e' || p == 'q') {
      return string_token(begin, i + 1, '\'');
    }
  }
  pos_ = i;
  Token t;
  t.type = TokenType::kName;
  t.begin = static_cast<std::uint32_t>(begin);
  t.size = static_cast<std::uint32_t>(i - begin);
  t.word = lookup_word(text_.substr(begin, i - begin));
  return t;
}

Token Lexer::next() noexcept {
  if (open_quote_ != 0) {
    char quote = open_quote_;
    open_quote_ = 0;
    return string_token(0, 0, quote);
  }
  Token t;
  if (!skip_space_and_comments()) {
    t.type = TokenType::kComment;
    t.begin = static_cast<std::uint32_t>(comment_begin_);
    t.size = static_cast<std::uint32_t>(text_.size() - comment_begin_);
    pos_ = text_.size();
    return t;
  }
  if (pos_ >= text_.size()) {
    t.begin = static_cast<std::uint32_t>(text_.size());
    return t;
  }
  const std::size_t begin = pos_;
  auto at = [&](std::size_t k) -> unsigned char {
    return k < text_.size() ? static_cast<unsigned char>(text_[k]) : 0;
  };
  const unsigned char c = at(begin);
  const unsigned char n = at(begin + 1);
  auto single = [&](TokenType type, std::size_t size) {
    pos_ = begin + size;
    t.type = type;
    t.begin = static_cast<std::uint32_t>(begin);
    t.size = static_cast<std::uint32_t>(size);
    return t;
  };
  if (c == '\'' || c == '"') return string_token(begin, begin + 1, static_cast<char>(c));
  if (c == '\\') {  // \N
    t.word = {Word::kNull, WordClass::kLiteral};
    return single(TokenType::kName, 2);
  }
  if (c == '\\') {  // \N
    t.word = {Word::kNull, WordClass::kLiteral};
    return single(TokenType::kName, 2);
  }
  if (is_digit(c) || (c == '.' && is_digit(n))) return number_token(begin);
  if (is_word_start(c)) return word_token(begin);
  switch (c) {
    case '`': {
      std::size_t close = text_.find('`', begin + 1);
      return single(TokenType::kName,
                    (close == std::string_view::npos ? text_.size() : close + 1) - begin);
    }
    case '[': {
      std::size_t close = text_.find(']', begin + 1);
      if (close == std::string_view::npos) return single(TokenType::kUnknown, 1);
      return single(TokenType::kName, close + 1 - begin);
    }
    case '$': {
      if (is_digit(n)) {
        std::size_t i = begin + 1;
        while (is_digit(at(i))) ++i;
        return single(TokenType::kVariable, i - begin);
      }
      // PostgreSQL's $tag$ … $tag$ strings.
      std::size_t i = begin + 1;
      while (i < text_.size() && i - begin < 32 && is_word_byte(at(i)) && at(i) != '$') ++i;
      if (at(i) != '$') return single(TokenType::kUnknown, 1);
      std::string_view tag = text_.substr(begin, i + 1 - begin);
      std::size_t close = text_.find(tag, i + 1);
      t.quote = '$';
      if (close == std::string_view::npos)
        return single(TokenType::kOpenString, text_.size() - begin);
      return single(TokenType::kString, close + tag.size() - begin);
    }
    case '@': {
      std::size_t i = begin + 1;
      if (at(i) == '@') ++i;
      if (at(i) == '\'' || at(i) == '"' || at(i) == '`') {
        std::size_t end = string_end(text_, i + 1, static_cast<char>(at(i)));
        return single(TokenType::kVariable,
                      (end == std::string_view::npos ? text_.size() : end) - begin);
      }
      if (!is_word_byte(at(i))) return single(TokenType::kUnknown, 1);
      while (is_word_byte(at(i)) || at(i) == '.') ++i;
      return single(TokenType::kVariable, i - begin);
    }
    case ':':
      if (n == ':' || n == '=') return single(TokenType::kOperator, 2);
      if (is_word_start(n)) {
        std::size_t i = begin + 1;
        while (is_word_byte(at(i))) ++i;
        return single(TokenType::kVariable, i - begin);
      }
      return single(TokenType::kUnknown, 1);
    case '(':
      return single(TokenType::kLParen, 1);
    case ')':
      return single(TokenType::kRParen, 1);
    case ',':
      return single(TokenType::kComma, 1);
    case ';':
      return single(TokenType::kSemicolon, 1);
    case '.':
      return single(TokenType::kDot, 1);
    case '=':
      return single(TokenType::kCompare, n == '=' ? 2 : 1);
    case '<':
      if (n == '=' && at(begin + 2) == '>') return single(TokenType::kCompare, 3);
      if (n == '=' || n == '>') return single(TokenType::kCompare, 2);
      if (n == '<') return single(TokenType::kOperator, 2);
      return single(TokenType::kCompare, 1);
    case '>':
      if (n == '=') return single(TokenType::kCompare, 2);
      if (n == '>') return single(TokenType::kOperator, 2);
      return single(TokenType::kCompare, 1);
    case '!':
      if (n == '=' || n == '<' || n == '>') return single(TokenType::kCompare, 2);
      return single(TokenType::kOperator, 1);
    case '|':
      if (n == '|') return single(TokenType::kLogic, 2);
      return single(TokenType::kOperator, 1);
    case '&':
      if (n == '&') return single(TokenType::kLogic, 2);
      return single(TokenType::kOperator, 1);
    case '-':
      if (n == '>') return single(TokenType::kOperator, at(begin + 2) == '>' ? 3 : 2);
      return single(TokenType::kOperator, 1);
    case '+':
    case '*':
    case '/':
    case '%':
    case '^':
    case '~':
      return single(TokenType::kOperator, 1);
    default:
      return single(TokenType::kUnknown, 1);
  }
}

}  // namespace portcullis::waf::detect::sql
