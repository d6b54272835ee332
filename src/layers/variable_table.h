#pragma once
// A per-variable attribute (regularizer, constraint) kept beside the variable rather than in
// its graph Node, which stays free of layer concepts. Entries hold the node weakly: a freed
// variable's entry is never returned for a new node at the same address.
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "keras/core/tensor.h"

namespace keras::detail {

template <class T>
class VariableTable {
 public:
  void set(const Variable& v, std::optional<T> value) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Node* key = v.node().get();
    if (!key) return;
    if (!value) {
      entries_.erase(key);
      return;
    }
    // Drop entries of freed variables now and then, so that the table stays small.
    if (entries_.size() >= next_prune_) {
      for (auto it = entries_.begin(); it != entries_.end();) it = it->second.node.expired() ? entries_.erase(it) : ++it;
      next_prune_ = 2 * entries_.size() + 64;
    }
    entries_[key] = Entry{v.node(), std::move(*value)};
  }
  std::optional<T> get(const Variable& v) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = entries_.find(v.node().get());
    if (it == entries_.end() || it->second.node.lock() != v.node()) return std::nullopt;
    return it->second.value;
  }

 private:
  struct Entry {
    std::weak_ptr<Node> node;
    T value;
  };
  mutable std::mutex mutex_;
  std::unordered_map<const Node*, Entry> entries_;
  std::size_t next_prune_ = 64;
};

}  // namespace keras::detail
