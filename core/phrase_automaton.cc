#include "core/phrase_automaton.h"

#include <algorithm>
#include <map>

namespace portcullis {
namespace {

constexpr char to_lower_ascii(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

}  // namespace

PhraseAutomaton::PhraseAutomaton(const std::vector<std::string>& phrases, bool keep_text) {
  // The trie is first built with maps (easy to grow), then numbered breadth-first and flattened
  // into sorted edge lists.
  std::vector<std::map<unsigned char, std::int32_t>> trie(1);
  std::vector<std::int32_t> ends(1, kNone);
  for (const std::string& phrase : phrases) {
    if (phrase.empty()) continue;
    std::int32_t node = 0;
    for (char c : phrase) {
      auto byte = static_cast<unsigned char>(to_lower_ascii(c));
      auto [it, inserted] = trie[node].try_emplace(byte, static_cast<std::int32_t>(trie.size()));
      if (inserted) {
        trie.emplace_back();
        ends.push_back(kNone);
      }
      node = it->second;
    }
    // A repeated phrase keeps its first spelling, as ModSecurity's automaton does.
    if (ends[node] == kNone) {
      ends[node] = static_cast<std::int32_t>(phrase_count_++);
      if (keep_text) phrases_.push_back(phrase);
    }
  }
  std::vector<std::int32_t> order{0};  // trie nodes breadth-first
  std::vector<std::int32_t> number(trie.size(), 0);
  for (std::size_t head = 0; head < order.size(); ++head) {
    for (const auto& [byte, target] : trie[static_cast<std::size_t>(order[head])]) {
      number[static_cast<std::size_t>(target)] = static_cast<std::int32_t>(order.size());
      order.push_back(target);
    }
  }
  nodes_.resize(trie.size() + 1);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto& edges = trie[static_cast<std::size_t>(order[i])];
    nodes_[i].first_edge = static_cast<std::uint32_t>(edges_.size());
    nodes_[i].phrase = ends[static_cast<std::size_t>(order[i])];
    for (const auto& [byte, target] : edges) {
      edges_.push_back(Edge{byte, number[static_cast<std::size_t>(target)]});
    }
  }
  nodes_.back().first_edge = static_cast<std::uint32_t>(edges_.size());
  trie = {};
  const std::size_t count = order.size();
  // Failure links in breadth-first order, so a node's fail target is finished before it.
  for (std::size_t parent = 0; parent < count; ++parent) {
    const Node& p = nodes_[parent];
    for (std::uint32_t e = p.first_edge; e < nodes_[parent + 1].first_edge; ++e) {
      auto [byte, target] = edges_[e];
      std::int32_t fail = 0;
      if (parent != 0) {
        std::int32_t f = p.fail;
        while (true) {
          std::int32_t next = child(f, byte);
          if (next != kNone) {
            fail = next;
            break;
          }
          if (f == 0) break;
          f = nodes_[f].fail;
        }
      }
      Node& t = nodes_[target];
      t.fail = fail;
      t.dict = nodes_[fail].phrase != kNone ? fail : nodes_[fail].dict;
    }
  }
  // Byte classes: each byte that occurs in a phrase (case-folded) gets its own class.
  for (const Edge& e : edges_) {
    if (byte_class_[e.byte] == 0) byte_class_[e.byte] = static_cast<std::uint8_t>(classes_++);
  }
  for (int b = 'A'; b <= 'Z'; ++b)
    byte_class_[static_cast<std::size_t>(b)] = byte_class_[static_cast<std::size_t>(b + 32)];
  std::vector<unsigned char> representative(classes_, 0);
  for (int b = 0; b < 256; ++b)
    representative[byte_class_[static_cast<std::size_t>(b)]] =
        static_cast<unsigned char>(to_lower_ascii(static_cast<char>(b)));
  // Dense rows for the first nodes; a node's fail row comes before its own. Class 0 (bytes in
  // no phrase) always leads back to the root.
  dense_ = std::min(count, kDenseNodes);
  delta_.assign(dense_ * classes_, 0);
  for (std::size_t n = 0; n < dense_; ++n) {
    for (std::size_t c = 1; c < classes_; ++c) {
      std::int32_t next = child(static_cast<std::int32_t>(n), representative[c]);
      delta_[n * classes_ + c] =
          next != kNone ? encoded(next)
          : n == 0      ? 0
                        : delta_[static_cast<std::size_t>(nodes_[n].fail) * classes_ + c];
    }
  }
}

std::int32_t PhraseAutomaton::sparse_step(std::int32_t node, unsigned char byte) const noexcept {
  const auto lower = static_cast<unsigned char>(to_lower_ascii(static_cast<char>(byte)));
  for (std::int32_t n = node;; n = nodes_[n].fail) {
    if (static_cast<std::size_t>(n) < dense_) {
      return delta_[static_cast<std::size_t>(n) * classes_ + byte_class_[byte]];
    }
    if (std::int32_t next = child(n, lower); next != kNone) return encoded(next);
  }
}

std::size_t PhraseAutomaton::memory() const noexcept {
  std::size_t bytes = delta_.size() * sizeof(std::int32_t) + nodes_.size() * sizeof(Node) +
                      edges_.size() * sizeof(Edge);
  for (const std::string& p : phrases_) bytes += sizeof(std::string) + p.capacity();
  return bytes;
}

std::int32_t PhraseAutomaton::child(std::int32_t node, unsigned char byte) const noexcept {
  auto first = edges_.begin() + nodes_[node].first_edge;
  auto last = edges_.begin() + nodes_[node + 1].first_edge;
  auto it = std::lower_bound(first, last, byte,
                             [](const Edge& edge, unsigned char b) { return edge.byte < b; });
  return (it != last && it->byte == byte) ? it->target : kNone;
}

const std::string* PhraseAutomaton::find(std::string_view text) const noexcept {
  if (phrases_.empty()) return nullptr;
  std::int32_t node = 0;
  for (char c : text) {
    node = step(node, static_cast<unsigned char>(c));
    if (node < 0) return &phrases_[static_cast<std::size_t>(output(-1 - node))];
  }
  return nullptr;
}

}  // namespace portcullis
