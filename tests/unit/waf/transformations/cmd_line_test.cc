#include <gtest/gtest.h>

#include "tests/unit/waf/transformations/transformation_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(CmdLineTransformTest, RemovesQuotesCaretsAndBackslashes) {
  constexpr Row kRows[] = {
      {"w\"h\"o\"a\"m\"i", "whoami"},
      {"w^h^o^a^m^i", "whoami"},
      {"who\\ami", "whoami"},
      {"'whoami'", "whoami"},
  };
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, TurnsEachRunOfSeparatorsIntoOneSpace) {
  constexpr Row kRows[] = {
      {"a,b;c", "a b c"},
      {"a \t\r\n,; b", "a b"},
      {"a ^ b", "a b"},
      {"a\"  \"b", "a b"},
  };
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, RemovesASpaceBeforeSlashOrParenthesis) {
  constexpr Row kRows[] = {
      {"cat /etc/passwd", "cat/etc/passwd"},
      {"echo (1)", "echo(1)"},
      {"a ,;/b", "a/b"},
      {"a / b", "a/ b"},
      {" (", "("},
  };
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, LowerCasesAsciiOnly) {
  constexpr Row kRows[] = {
      {"WhoAmI", "whoami"},
      {"\xC3\x89", "\xC3\x89"},
      {"C:\\WINDOWS", "c:windows"},
  };
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, VerticalTabAndFormFeedAreOrdinaryBytes) {
  constexpr Row kRows[] = {{"a\vb\fc", "a\vb\fc"}};
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, HandlesNulBytes) {
  constexpr Row kRows[] = {{"A\0B"sv, "a\0b"sv}, {"\0 /"sv, "\0/"sv}};
  expect_rows("cmdLine", kRows);
}

TEST(CmdLineTransformTest, NormalValueReportsUnchanged) {
  constexpr Row kRows[] = {{"", ""}, {"ls -la", "ls -la"}, {" a", " a"}, {"a ", "a "}};
  expect_rows("cmdLine", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
