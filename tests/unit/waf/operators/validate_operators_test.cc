// @validateByteRange, @validateUrlEncoding and @validateUtf8Encoding: a match means invalid.
#include <gtest/gtest.h>

#include "tests/unit/waf/operators/operator_rows.h"

namespace portcullis::waf::testing {
namespace {

using namespace std::literals;

TEST(ValidateByteRangeOperatorTest, MatchesBytesOutsideTheRanges) {
  constexpr MatchRow kRows[] = {
      {"1-255", "any text \xff", false},
      {"1-255", "nul\0byte"sv, true},
      {"9,10,13,32-126", "tab\there\r\n", false},
      {"9,10,13,32-126", "vt\x0bhere", true},
      {"9,10,13,32-126", "latin \xe9", true},
      {"32-36,38-126", "a&b", false},
      {"32-36,38-126", "100%", true},
      {"38,44-46,48-58,61,65-90,95,97-122", "a=b.c", false},
      {"38,44-46,48-58,61,65-90,95,97-122", "a b", true},
      {"0-255", "\0\xff"sv, false},
      {"65", "AAA", false},
      {"65", "AB", true},
      {"65", "", false},
      {" 48 - 57 , 65 ", "1A2", false},  // white space around numbers is allowed
  };
  expect_rows("validateByteRange", kRows);
}

TEST(ValidateByteRangeOperatorTest, BadRangesAreErrors) {
  for (const char* argument : {"256", "0-256", "10-5", "a-z", "-5", "5-", "1-2-3", "x"}) {
    EXPECT_NE(creation_error("validateByteRange", argument), "") << argument;
  }
}

TEST(ValidateUrlEncodingOperatorTest, MatchesInvalidEscapes) {
  constexpr MatchRow kRows[] = {
      {"", "", false},    {"", "plain", false}, {"", "%41%42", false}, {"", "%aF%Fa", false},
      {"", "a+b", false}, {"", "%zz", true},  // non-hex digits
      {"", "%4g", true},  {"", "%", true},    // too short
      {"", "ab%4", true}, {"", "%41%", true},   {"", "%%41", true},    {"", "%u0041", true},
  };
  expect_rows("validateUrlEncoding", kRows);
}

TEST(ValidateUtf8EncodingOperatorTest, AcceptsValidUtf8) {
  constexpr MatchRow kRows[] = {
      {"", "", false},
      {"", "ascii \x01\x7f", false},
      {"", "caf\xc3\xa9", false},
      {"", "\xe2\x82\xac", false},      // U+20AC
      {"", "\xf0\x9f\x98\x80", false},  // U+1F600
      {"", "\xf4\x8f\xbf\xbf", false},  // U+10FFFF
      {"", "\xef\xbf\xbf", false},      // U+FFFF
      {"", "nul\0inside"sv, false},
  };
  expect_rows("validateUtf8Encoding", kRows);
}

TEST(ValidateUtf8EncodingOperatorTest, MatchesInvalidUtf8) {
  constexpr MatchRow kRows[] = {
      {"", "caf\xe9", true},               // Latin-1 byte: lead byte without continuation
      {"", "\x80", true},                  // stray continuation byte
      {"", "\xc3", true},                  // truncated
      {"", "\xe2\x82", true},              // truncated
      {"", "\xc3\x28", true},              // bad continuation
      {"", "\xc0\xaf", true},              // overlong '/'
      {"", "\xe0\x80\xaf", true},          // overlong '/'
      {"", "\xf0\x80\x80\xaf", true},      // overlong '/'
      {"", "\xed\xa0\x80", true},          // surrogate U+D800
      {"", "\xf5\x80\x80\x80", true},      // beyond U+10FFFF
      {"", "\xf8\x88\x80\x80\x80", true},  // five-byte form
      {"", "\xff", true},
  };
  expect_rows("validateUtf8Encoding", kRows);
}

}  // namespace
}  // namespace portcullis::waf::testing
