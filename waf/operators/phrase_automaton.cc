#include "waf/operators/phrase_automaton.h"

#include <algorithm>
#include <map>

#include "waf/operators/argument.h"

namespace portcullis::waf::operators {

PhraseAutomaton::PhraseAutomaton(const std::vector<std::string>& phrases) {
  // The trie is first built with maps (easy to grow), then flattened into sorted edge lists.
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
      ends[node] = static_cast<std::int32_t>(phrases_.size());
      phrases_.push_back(phrase);
    }
  }

  nodes_.resize(trie.size());
  for (std::size_t i = 0; i < trie.size(); ++i) {
    nodes_[i].first_edge = static_cast<std::uint32_t>(edges_.size());
    nodes_[i].edge_count = static_cast<std::uint32_t>(trie[i].size());
    nodes_[i].phrase = ends[i];
    for (const auto& [byte, target] : trie[i]) edges_.push_back(Edge{byte, target});
  }

  // Breadth-first, so a node's fail target is finished before the node itself.
  std::vector<std::int32_t> queue{0};
  nodes_[0].output = nodes_[0].phrase;
  for (std::size_t head = 0; head < queue.size(); ++head) {
    std::int32_t parent = queue[head];
    const Node& p = nodes_[parent];
    for (std::uint32_t e = p.first_edge; e < p.first_edge + p.edge_count; ++e) {
      auto [byte, target] = edges_[e];
      std::int32_t fail = 0;
      if (parent != 0) {
        std::int32_t f = p.fail;
        while (true) {
          std::int32_t next = child(nodes_[f], byte);
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
      t.output = t.phrase != kNone ? t.phrase : nodes_[fail].output;
      t.dict = nodes_[fail].phrase != kNone ? fail : nodes_[fail].dict;
      queue.push_back(target);
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
  // Rows in breadth-first order, so that a node's fail row is filled before its own.
  delta_.assign(nodes_.size() * classes_, 0);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    auto n = static_cast<std::size_t>(queue[head]);
    for (std::size_t c = 0; c < classes_; ++c) {
      std::int32_t next = c == 0 ? kNone : child(nodes_[n], representative[c]);
      if (next == kNone) {
        next = n == 0 ? 0 : delta_[static_cast<std::size_t>(nodes_[n].fail) * classes_ + c];
      }
      delta_[n * classes_ + c] = next;
    }
  }
}

std::int32_t PhraseAutomaton::child(const Node& node, unsigned char byte) const noexcept {
  auto first = edges_.begin() + node.first_edge;
  auto last = first + node.edge_count;
  auto it = std::lower_bound(first, last, byte,
                             [](const Edge& edge, unsigned char b) { return edge.byte < b; });
  return (it != last && it->byte == byte) ? it->target : kNone;
}

const std::string* PhraseAutomaton::find(std::string_view text) const noexcept {
  if (phrases_.empty()) return nullptr;
  std::int32_t node = 0;
  for (char c : text) {
    node = step(node, static_cast<unsigned char>(c));
    if (nodes_[node].output != kNone) return &phrases_[nodes_[node].output];
  }
  return nullptr;
}

}  // namespace portcullis::waf::operators
