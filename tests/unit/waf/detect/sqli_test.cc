#include "waf/detect/sqli.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::detect {
namespace {

struct ShapeRow {
  std::string_view value;
  std::string_view shape;  // empty: not an injection
};

void expect_shapes(std::span<const ShapeRow> rows) {
  for (const ShapeRow& row : rows) {
    SqliMatch m = detect_sqli(row.value);
    EXPECT_EQ(m.found, !row.shape.empty()) << row.value << " (" << m.shape << ")";
    EXPECT_EQ(m.shape, row.shape) << row.value;
  }
}

TEST(DetectSqliTest, FindsTautologies) {
  constexpr ShapeRow kRows[] = {
      {"1234 OR 1=1", "tautology"},
      {"-1839' or '1'='1", "tautology"},
      {"-1839\" or \"1\"=\"2", "tautology"},
      {"EmptyValue' and 526=527", "tautology"},
      {"' or 1=1--", "tautology"},
      {"1) OR (1=1", "tautology"},
      {"')) or 1=1--", "tautology"},
      {"' or ''='", "tautology"},
      {"'='", "tautology"},
      {"1 or true", "tautology"},
      {"' OR '1", "tautology"},
      {"x' AND email IS NULL; --", "tautology"},
      {"1 AND 1=1", "tautology"},
      {"' AND SUBSTRING(@@version,1,1)='5", "tautology"},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, FindsUnionSelect) {
  constexpr ShapeRow kRows[] = {
      {"1 union select 1,2,3", "union"},
      {"-1 UNION SELECT username, password FROM users", "union"},
      {"foo') UNION ALL select NULL --", "union"},
      {"24'union all select 1,2,3 from aa", "union"},
      {"1/**/UNION/**/SELECT/**/1", "union"},
      {"1 /*!50000UNION*/ /*!50000SELECT*/ 1", "union"},
      {"' union select null,table_name from information_schema.tables--", "union"},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, FindsStackedStatements) {
  constexpr ShapeRow kRows[] = {
      {"1; DROP TABLE users", "stacked"},
      {"1'; DROP TABLE users--", "stacked"},
      {"'; exec xp_cmdshell 'dir'--", "stacked"},
      {"'; waitfor delay '0:0:5'--", "stacked"},
      {"1;select pg_sleep(5)--", "stacked"},
      {"; shutdown --", "stacked"},
      {"1; insert into users values (1)", "stacked"},
      {"'; declare @x int--", "stacked"},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, FindsDangerousFunctions) {
  constexpr ShapeRow kRows[] = {
      {"sleep(20)", "function"},
      {"1 OR SLEEP(5)", "function"},
      {"2010-01-01'+sleep(20.to_i)+'", "function"},
      {"unittests@coreruleset.org\" sleep(10.to_i) \"", "function"},
      {"foo')waitfor delay'5:0:20'--", "function"},
      {"id desc,sleep(5)", "function"},
      {"1 and extractvalue(1,concat(0x7e,version()))", "function"},
      {"1' and dbms_pipe.receive_message('a',10)='a", "function"},
      {"1 into outfile '/tmp/x'", "function"},
      {"\"unittests@coreruleset.org\"')) and (select*from(select(sleep(5)))x) --", "function"},
      {"1 and benchmark(5000000,md5(1))", "function"},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, FindsBreakoutsCommentsSubqueriesAndClauses) {
  constexpr ShapeRow kRows[] = {
      {"\" | type %SystemDrive%\\\\config.ini | \"", "breakout"},
      {"' + username + '", "breakout"},
      {"admin'--", "comment"},
      {"admin' #", "comment"},
      {"admin'/*", "comment"},
      {"' || (SELECT 1 FROM dual) || '", "subquery"},
      {"1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64", "subquery"},
      {"1,(select 1 from dual)", "subquery"},
      {"' order by 3--", "clause"},
      {"' having 1=1--", "clause"},
      {"1 procedure analyse()", "clause"},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, LeavesProseNamesAndCodeAlone) {
  constexpr ShapeRow kRows[] = {
      {"OWASP CRS test agent", ""},
      {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0", ""},
      {"O'Brien", ""},
      {"don't do that", ""},
      {"rock 'n' roll", ""},
      {"the 'and' operator", ""},
      {"What does 'or' mean", ""},
      {"apples or oranges", ""},
      {"1 or 2 bedrooms", ""},
      {"x = 5 and y = 5", ""},
      {"time.sleep(5)", ""},
      {"await sleep(1000)", ""},
      {"Select the best option from the list, or drop it", ""},
      {"Note; drop the table from the list", ""},
      {"choose; select items from catalog", ""},
      {"SELECT name FROM users WHERE id = 1", ""},
      {"{\"a\":\"b\",\"c\":[1,2,3]}", ""},
      {"He said \"hello\" and left", ""},
      {"5' 10\"", ""},
      {"press '#' to continue", ""},
      {"Use '--' for options", ""},
      {"2010-01-01", ""},
      {"john.smith@example.com", ""},
      {"https://example.com/a?b=c&d=e", ""},
  };
  expect_shapes(kRows);
}

// Dialect syntax the tokenizer knows: what each of these hides from a naive reader is SQL.
TEST(DetectSqliTest, ReadsEveryDialectsLexicalForms) {
  constexpr ShapeRow kRows[] = {
      {"1 /*!50000UNION*/ SELECT 1", "union"},  // MySQL executable comment with a version
      {"' /*!OR*/ 1=1-- -", "tautology"},       // … and without one
      {"\\Nunion select 1,2", "union"},         // MySQL's \N is NULL
      {"1 AND 1::int=1", "tautology"},          // PostgreSQL cast keeps the constant
      {"'; DO $$BEGIN PERFORM pg_sleep(5); END$$;--", "stacked"},  // dollar-quoted body
      {"1 OR [id]=[id]", "tautology"},                             // MSSQL bracketed identifiers
      {"1 OR `id`=`id`", "tautology"},                             // MySQL backticks
      {"' or N'a'=N'a", "tautology"},                              // national strings
      {"1 or 0x41=0x41", "tautology"},                             // hex numbers
      {"1'\nor\n1=1-- ", "tautology"},                             // newlines as spaces
      {"admin'--\n", "comment"},  // a line comment with only space after it
      {"1 AND substring(version() from 1 for 10)='PostgreSQL'", "tautology"},
  };
  expect_shapes(kRows);
}

// The CRS 942101 pair: a quote before UNION makes the rest of the path a string; without the
// quote, or without SELECT, the path is not SQL.
TEST(DetectSqliTest, ReadsPathsAsTheCoreRuleSetExpects) {
  constexpr ShapeRow kRows[] = {
      {"/post/foo/24'union all select 1,2,3 from aa/bar", "union"},
      {"/post/foo/9'union all/bar", ""},
      {"/post/foo/24 union all select 1,2,3 from aa/bar", ""},
  };
  expect_shapes(kRows);
}

TEST(DetectSqliTest, ReportsContextAndFingerprint) {
  SqliMatch m = detect_sqli("1' or '1'='1");
  ASSERT_TRUE(m.found);
  EXPECT_EQ(m.context, '\'');
  EXPECT_EQ(m.fingerprint(), "s&s=s");
  m = detect_sqli("1 union select 1");
  EXPECT_EQ(m.context, 0);
  EXPECT_EQ(m.fingerprint(), "1UE");
}

// Long values are read once per context, and an unreadable token ends the reading: a megabyte
// of either finishes at once.
TEST(DetectSqliTest, ReadsLongValuesInOnePass) {
  std::string benign(1 << 20, 'a');
  for (std::size_t i = 0; i < benign.size(); i += 7) benign[i] = (i % 3 == 0) ? '\'' : ' ';
  EXPECT_FALSE(detect_sqli(benign).found);
  std::string sum = "1";
  while (sum.size() < (1 << 20)) sum += "+(1)";
  EXPECT_FALSE(detect_sqli(sum).found);
  EXPECT_TRUE(detect_sqli(sum + " or 1=1").found);
}

TEST(DetectSqliOperatorTest, CapturesTheFingerprint) {
  testing::FakeMatchContext ctx;
  ctx.capture = true;
  auto op = find_operator("detectSQLi")(OperatorArgs{"", ""});
  ASSERT_TRUE(op);
  EXPECT_TRUE((*op)->match("1 or 1=1", ctx));
  EXPECT_EQ(ctx.captures[0], "1&1=1");
  EXPECT_FALSE((*op)->match("hello world", ctx));
}

TEST(DetectSqliOperatorTest, RefusesAnArgument) {
  EXPECT_EQ(testing::creation_error("detectSQLi", "x"), "@detectSQLi takes no argument");
}

}  // namespace
}  // namespace portcullis::waf::detect
