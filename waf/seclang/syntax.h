// SecLang syntax: the text of ModSecurity rule files taken apart, without judging names. What
// an operator, variable, transformation or action means is the rule compiler's business
// (waf/engine); here a file becomes directives, and a rule's three arguments become variable
// references, an operator reference and an action list. Control plane only; every function
// is safe for concurrent use on distinct inputs.
//
//   SecRule REQUEST_HEADERS:User-Agent|!ARGS:q "@rx (?i)curl" "id:1001,phase:1,deny,msg:'no'"
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace portcullis::waf::seclang {

// One directive as written: its name and its arguments. Arguments in double quotes lose the
// quotes, \" inside becomes " and \\ one backslash (as Apache reads directive arguments);
// every other backslash is kept (regexes need it).
struct Directive {
  std::string name;
  std::vector<std::string> args;
  std::string file;
  int line = 0;  // where the directive starts
};

// Splits rule-file text into directives. Blank lines and lines whose first non-blank character
// is '#' are skipped; a backslash at the end of a line joins the next line. An unterminated
// quote is an error naming `file` and the line.
Result<std::vector<Directive>> split_directives(std::string_view text, const std::string& file);

// One action of an action list: "id:1001" is {"id", "1001"}, "deny" is {"deny", ""} with
// has_value false. Single quotes around a value are removed, and \' inside them becomes '.
struct Action {
  std::string name;
  std::string value;
  bool has_value = false;
};

// Parses "id:1,phase:2,msg:'a, b',t:none". Whitespace around actions is ignored; commas inside
// single quotes do not split. Errors: an empty action, an unterminated quote.
Result<std::vector<Action>> parse_actions(std::string_view text);

// One variable of a rule's target list.
struct VariableRef {
  std::string collection;     // upper-cased: "ARGS", "REQUEST_HEADERS", "TX", "XML"
  std::string key;            // empty: the whole collection; else a literal key or regex source
  bool key_is_regex = false;  // ARGS:/^id_/
  bool count = false;         // &ARGS: the number of values, not the values
  bool exclude = false;       // !ARGS:password: take this one out of the list
};

// Parses "ARGS|!ARGS:foo|&REQUEST_HEADERS:Host|REQUEST_COOKIES:/^__utm/|XML:/*". A key may be
// in single quotes; a /regex/ key may contain '|'. The XML collection's key is an XPath, never
// a regex.
Result<std::vector<VariableRef>> parse_variables(std::string_view text);

// A rule's operator: "@rx a+", "!@pm foo bar", or text without '@', which is "@rx TEXT".
struct OperatorRef {
  bool negated = false;
  std::string name;      // without '@', as written ("rx", "pmFromFile")
  std::string argument;  // after the name and the whitespace that follows it; may be empty
};

Result<OperatorRef> parse_operator(std::string_view text);

}  // namespace portcullis::waf::seclang
