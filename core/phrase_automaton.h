// An Aho-Corasick automaton over ASCII-case-folded bytes: finds, in one pass, the first place
// where any of a set of phrases ends. Used by the WAF (@pm, @pmFromFile and the literal atoms
// of its regex prefilter) and by the bots stage (its User-Agent lists).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis {

// Built once from the phrases, then immutable: find() is safe for concurrent use by multiple
// threads and allocates nothing.
//
// Speed and memory: a scan spends nearly all its steps near the root of the trie, so the nodes
// closest to it (the first kDenseNodes in breadth-first order) have a full transition row over
// byte classes (one load per byte); deeper nodes keep sorted edge lists and fall back along
// their failure links. Memory is linear in the total length of the phrases, plus at most
// kDenseNodes rows.
class PhraseAutomaton {
 public:
  static constexpr std::size_t kDenseNodes = 1024;

  // Empty phrases are ignored; A-Z and a-z are the same letter, other bytes are themselves.
  // Without `keep_text`, only find_all() may be used (it reports indexes; find() and phrases()
  // need the phrases' text).
  explicit PhraseAutomaton(const std::vector<std::string>& phrases, bool keep_text = true);

  // The phrase (as given) that ends first in `text`, the longest one when several end at the
  // same byte, or nullptr when none occurs.
  const std::string* find(std::string_view text) const noexcept;

  // Calls f(index) for every occurrence of every phrase in `text` (index: the phrase's place
  // among the distinct phrases, in the order given), in text order.
  template <typename F>
  void find_all(std::string_view text, F&& f) const noexcept {
    if (phrase_count_ == 0) return;
    std::int32_t node = 0;
    for (char c : text) {
      std::int32_t next = step(node, static_cast<unsigned char>(c));
      if (next >= 0) {
        node = next;
        continue;
      }
      node = -1 - next;
      for (std::int32_t n = nodes_[node].phrase != kNone ? node : nodes_[node].dict; n != kNone;
           n = nodes_[n].dict) {
        f(static_cast<std::size_t>(nodes_[n].phrase));
      }
    }
  }

  std::size_t phrase_count() const noexcept { return phrase_count_; }
  // The distinct phrases, in the order given (first spellings).
  const std::vector<std::string>& phrases() const noexcept { return phrases_; }
  // Bytes held by the automaton (for tests and memory figures).
  std::size_t memory() const noexcept;

 private:
  static constexpr std::int32_t kNone = -1;

  struct Edge {
    unsigned char byte;
    std::int32_t target;
  };

  struct Node {
    std::uint32_t first_edge = 0;  // edges_[first_edge, the next node's first_edge), by byte
    std::int32_t fail = 0;
    std::int32_t phrase = kNone;  // the phrase that ends exactly here
    std::int32_t dict = kNone;    // the nearest node down the fail chain where a phrase ends
  };

  // The node after `node` reads `byte`, as `target` or, when a phrase ends there, -1 - target.
  std::int32_t step(std::int32_t node, unsigned char byte) const noexcept {
    if (static_cast<std::size_t>(node) < dense_) {
      return delta_[static_cast<std::size_t>(node) * classes_ + byte_class_[byte]];
    }
    return sparse_step(node, byte);
  }
  std::int32_t sparse_step(std::int32_t node, unsigned char byte) const noexcept;
  std::int32_t child(std::int32_t node, unsigned char byte) const noexcept;
  // The longest phrase that ends at `node`: its own, or the longest suffix's.
  std::int32_t output(std::int32_t node) const noexcept {
    const Node& n = nodes_[node];
    return n.phrase != kNone ? n.phrase : n.dict != kNone ? nodes_[n.dict].phrase : kNone;
  }
  std::int32_t encoded(std::int32_t node) const noexcept {
    return output(node) != kNone ? -1 - node : node;
  }

  std::vector<std::string> phrases_;  // empty without keep_text
  std::size_t phrase_count_ = 0;
  // Nodes are numbered breadth-first; the first dense_ have a row of delta_ over byte classes
  // (bytes that no phrase contains share class 0, letters are folded), in step()'s encoding.
  std::array<std::uint8_t, 256> byte_class_{};
  std::size_t classes_ = 1;
  std::size_t dense_ = 0;
  std::vector<std::int32_t> delta_;
  std::vector<Node> nodes_;  // and one past the last, whose first_edge ends the last one's edges
  std::vector<Edge> edges_;
};

}  // namespace portcullis
