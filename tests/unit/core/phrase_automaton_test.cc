#include "core/phrase_automaton.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool ends_at(std::string_view text, std::size_t end, std::string_view phrase) {
  if (phrase.size() > end) return false;
  for (std::size_t i = 0; i < phrase.size(); ++i) {
    if (lower(text[end - phrase.size() + i]) != lower(phrase[i])) return false;
  }
  return true;
}

// The distinct phrases (case-folded), each in its first spelling: the automaton's indexes.
std::vector<std::string> distinct(const std::vector<std::string>& phrases) {
  std::vector<std::string> out, folded;
  for (const std::string& p : phrases) {
    if (p.empty()) continue;
    std::string f = p;
    std::transform(f.begin(), f.end(), f.begin(), lower);
    if (std::find(folded.begin(), folded.end(), f) != folded.end()) continue;
    folded.push_back(f);
    out.push_back(p);
  }
  return out;
}

// What find() must answer: at the first byte where a phrase ends, the longest one.
const std::string* naive_find(const std::vector<std::string>& phrases, std::string_view text) {
  for (std::size_t end = 1; end <= text.size(); ++end) {
    const std::string* best = nullptr;
    for (const std::string& p : phrases) {
      if (ends_at(text, end, p) && (best == nullptr || p.size() > best->size())) best = &p;
    }
    if (best != nullptr) return best;
  }
  return nullptr;
}

std::vector<std::size_t> naive_find_all(const std::vector<std::string>& phrases,
                                        std::string_view text) {
  std::vector<std::size_t> found;
  for (std::size_t end = 1; end <= text.size(); ++end) {
    for (std::size_t i = 0; i < phrases.size(); ++i) {
      if (ends_at(text, end, phrases[i])) found.push_back(i);
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

std::string random_text(std::mt19937& random, std::string_view alphabet, std::size_t max_length) {
  std::uniform_int_distribution<std::size_t> length(0, max_length);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string s;
  for (std::size_t n = length(random); n > 0; --n) s.push_back(alphabet[pick(random)]);
  return s;
}

TEST(PhraseAutomatonTest, FindsTheFirstEndingLongestPhraseIgnoringCase) {
  PhraseAutomaton a({"he", "she", "his", "hers", "HERS"});
  ASSERT_NE(a.find("usher"), nullptr);
  EXPECT_EQ(*a.find("usher"), "she");  // "she" and "he" end at the same byte: the longer
  EXPECT_EQ(*a.find("HIS"), "his");
  EXPECT_EQ(a.find("hx"), nullptr);
  EXPECT_EQ(a.find(""), nullptr);
  EXPECT_EQ(a.phrase_count(), 4u);  // HERS is hers
}

// Small and large phrase sets (the large ones go past the dense rows, so that the sparse part
// of the automaton is exercised) against a naive search.
TEST(PhraseAutomatonTest, AgreesWithANaiveSearch) {
  std::mt19937 random(7);
  constexpr std::string_view kAlphabet = "abcdABCD/.-x\xe9";
  for (std::size_t count : {1u, 5u, 50u, 400u, 3000u}) {
    std::vector<std::string> phrases;
    for (std::size_t i = 0; i < count; ++i) phrases.push_back(random_text(random, kAlphabet, 9));
    PhraseAutomaton automaton(phrases);
    std::vector<std::string> unique = distinct(phrases);
    ASSERT_EQ(automaton.phrase_count(), unique.size());
    for (int t = 0; t < 300; ++t) {
      std::string text = random_text(random, kAlphabet, 40);
      const std::string* expected = naive_find(unique, text);
      const std::string* got = automaton.find(text);
      ASSERT_EQ(got == nullptr, expected == nullptr) << count << " phrases, text " << text;
      if (got != nullptr) EXPECT_EQ(*got, *expected) << count << " phrases, text " << text;
      std::vector<std::size_t> all;
      automaton.find_all(text, [&](std::size_t i) { all.push_back(i); });
      std::sort(all.begin(), all.end());
      EXPECT_EQ(all, naive_find_all(unique, text)) << count << " phrases, text " << text;
    }
  }
}

// Memory grows with the phrases, not with phrases x alphabet: 20,000 phrases of 12 bytes from
// a 60-letter alphabet (most of 240,000 trie nodes have their own byte classes).
TEST(PhraseAutomatonTest, MemoryIsLinearInThePhrases) {
  std::mt19937 random(11);
  std::string alphabet;
  for (char c = '!'; c <= '\\'; ++c) alphabet.push_back(c);
  std::vector<std::string> phrases;
  std::size_t total = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = random_text(random, alphabet, 12);
    total += p.size();
    phrases.push_back(p);
  }
  PhraseAutomaton automaton(phrases);
  // Per byte of phrase: a node and an edge (and the phrase itself); plus the dense rows.
  EXPECT_LT(automaton.memory(),
            total * 80 + PhraseAutomaton::kDenseNodes * 64 * sizeof(std::int32_t));
}

}  // namespace
}  // namespace portcullis
