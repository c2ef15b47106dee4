#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"
#include "waf/operators/all.h"

namespace portcullis::waf::testing {
namespace {

TEST(OperatorRegistryTest, FindsOperatorsIgnoringCase) {
  for (const char* name :
       {"rx", "RX", "beginswith", "BEGINSWITH", "pmFromFile", "pmf", "ipMatchF",
        "validateutf8encoding", "unconditionalMatch", "detectSQLi", "detectxss"}) {
    EXPECT_NE(find_operator(name), nullptr) << name;
  }
}

TEST(OperatorRegistryTest, LeavesOutOperatorsImplementedElsewhereOrNotAtAll) {
  for (const char* name : {"geoLookup", "rbl", "inspectFile", "verifyCC", "verifySSN", "verifyCPF",
                           "fuzzyHash", "", "r", "rxx"}) {
    EXPECT_EQ(find_operator(name), nullptr) << name;
  }
}

TEST(OperatorRegistryTest, EveryRowBuildsFromATypicalArgument) {
  for (const operators::OperatorInfo& info : operators::registered_operators()) {
    std::string_view name = info.name;
    bool needs_file =
        name == "pmFromFile" || name == "pmf" || name == "ipMatchFromFile" || name == "ipMatchF";
    if (needs_file) continue;
    std::string_view argument = name == "ipMatch"                             ? "127.0.0.1"
                                : name == "validateByteRange"                 ? "1-255"
                                : name == "detectSQLi" || name == "detectXSS" ? ""
                                                                              : "1";
    EXPECT_EQ(creation_error(name, argument), "") << name;
  }
}

TEST(UnconditionalMatchOperatorTest, AlwaysMatches) {
  constexpr MatchRow kRows[] = {{"", "", true}, {"", "anything", true}, {"ignored", "x", true}};
  expect_rows("unconditionalMatch", kRows);
}

TEST(NoMatchOperatorTest, NeverMatches) {
  constexpr MatchRow kRows[] = {{"", "", false}, {"", "anything", false}};
  expect_rows("noMatch", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
