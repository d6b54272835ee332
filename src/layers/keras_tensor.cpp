#include "keras_tensor.h"

#include <mutex>
#include <unordered_map>

namespace keras::layers {
namespace {

struct KerasTensorHolder {
  Node node;
  KerasHistory history;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<const Node*, std::weak_ptr<KerasTensorHolder>> table;
  std::size_t inserts_since_sweep = 0;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

namespace detail {

Tensor make_keras_tensor(const TensorSpec& spec, KerasHistory history, const std::string& name) {
  auto holder = std::make_shared<KerasTensorHolder>();
  holder->node.kind = NodeKind::placeholder;
  holder->node.shape = spec.shape;
  holder->node.dtype = spec.dtype;
  holder->node.name = name;
  holder->node.id = new_node_id();
  holder->history = std::move(history);
  std::shared_ptr<Node> alias(holder, &holder->node);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.table[&holder->node] = holder;
  // Dead entries would pile up in long sessions; sweep them now and then.
  if (++r.inserts_since_sweep >= 1024) {
    r.inserts_since_sweep = 0;
    for (auto it = r.table.begin(); it != r.table.end();)
      it = it->second.expired() ? r.table.erase(it) : std::next(it);
  }
  return Tensor(std::move(alias));
}

}  // namespace detail

std::optional<KerasHistory> keras_history(const Tensor& tensor) {
  if (!tensor.defined()) return std::nullopt;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  auto it = r.table.find(tensor.node().get());
  if (it == r.table.end()) return std::nullopt;
  auto holder = it->second.lock();
  if (!holder) {
    r.table.erase(it);
    return std::nullopt;
  }
  return holder->history;
}

bool is_keras_tensor(const Tensor& tensor) { return keras_history(tensor).has_value(); }

std::vector<KerasHistory> LayerNode::inbound_history() const {
  std::vector<KerasHistory> out;
  out.reserve(input_tensors.size());
  for (const Tensor& t : input_tensors) {
    auto h = keras_history(t);
    if (h) out.push_back(*h);
  }
  return out;
}

}  // namespace keras::layers
