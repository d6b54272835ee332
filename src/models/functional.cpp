// Functional models: the graph of layer calls (keras/src/ops/function.py map_graph) and
// running it (eagerly, nested in another model, or traced into a compiled plan by predict).
#include <algorithm>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "keras/models/model.h"
#include "keras/ops/ops.h"

namespace keras {
namespace {

using layers::KerasHistory;
using layers::LayerNode;
using Key = std::pair<const LayerNode*, int>;

std::optional<Key> key_of(const Tensor& t) {
  auto h = layers::keras_history(t);
  if (!h) return std::nullopt;
  return Key{h->layer->inbound_nodes().at(static_cast<std::size_t>(h->node_index)).get(), h->tensor_index};
}

std::string describe(const Tensor& t) {
  std::string s = "<KerasTensor shape=" + t.shape().to_string() + ", dtype=" + dtype_name(t.dtype());
  if (auto h = layers::keras_history(t)) s += ", name=" + h->layer->name();
  return s + ">";
}

std::string python_list(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", '" : "'") + names[i] + "'";
  return s + "]";
}

// Dict-like container that remembers insertion order, as Python's dicts in map_graph do.
template <class K, class V>
class OrderedMap {
 public:
  bool contains(const K& k) const { return index_.count(k) != 0; }
  V& at(const K& k) { return items_[index_.at(k)].second; }
  V get(const K& k, V fallback) const {
    auto it = index_.find(k);
    return it == index_.end() ? fallback : items_[it->second].second;
  }
  void set(const K& k, V v) {
    auto it = index_.find(k);
    if (it == index_.end()) {
      index_[k] = items_.size();
      items_.emplace_back(k, std::move(v));
    } else {
      items_[it->second].second = std::move(v);
    }
  }
  const std::vector<std::pair<K, V>>& items() const { return items_; }

 private:
  std::vector<std::pair<K, V>> items_;
  std::unordered_map<K, std::size_t> index_;
};

}  // namespace

// ---- construction --------------------------------------------------------------------------

Model::Model(const Tensor& input, const Tensor& output, const std::string& name) : Model(layers::LayerOptions{}) {
  init({input}, {output}, name);
}
Model::Model(const std::vector<Tensor>& inputs, const Tensor& output, const std::string& name)
    : Model(layers::LayerOptions{}) {
  init(inputs, {output}, name);
}
Model::Model(const Tensor& input, const std::vector<Tensor>& outputs, const std::string& name)
    : Model(layers::LayerOptions{}) {
  init({input}, outputs, name);
}
Model::Model(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const std::string& name)
    : Model(layers::LayerOptions{}) {
  init(inputs, outputs, name);
}

Model::Model(layers::LayerOptions options) : Layer(std::move(options)) {}

Model::~Model() = default;

void Model::init(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs, const std::string& name) {
  init_graph(inputs, outputs);
  for (const auto& op : operations_) track(op);
  // Named only once the graph is valid, so a rejected model does not use up an auto-name.
  if (!name.empty()) set_name(name);
  this->name();
  std::vector<Shape> shapes;
  for (const auto& t : inputs_) shapes.push_back(t.shape());
  build_once(shapes);
}

void Model::clear_graph() {
  inputs_.clear();
  outputs_.clear();
  input_keys_.clear();
  output_keys_.clear();
  steps_.clear();
  operations_.clear();
  nodes_by_depth_.clear();
  predict_function_.reset();
  set_input_spec({});
}

void Model::init_graph(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs) {
  // ---- validate the ends ----
  if (inputs.empty()) throw ValueError("A functional model needs at least one input. Received: inputs=[]");
  if (outputs.empty()) throw ValueError("A functional model needs at least one output. Received: outputs=[]");
  std::vector<Key> in_keys, out_keys;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    auto k = t.defined() ? key_of(t) : std::nullopt;
    if (!k)
      throw ValueError("All `inputs` values must be KerasTensors (from keras::Input). Received: input " +
                       std::to_string(i) + " is " + (t.defined() ? "a tensor of shape " + t.shape().to_string()
                                                                 : std::string("an undefined tensor")) +
                       " without Keras history");
    if (!k->first->is_input)
      throw ValueError("Functional model inputs must be created by keras::Input(). Received: input " +
                       std::to_string(i) + " is the output of layer '" + k->first->layer->name() + "'");
    if (std::find(in_keys.begin(), in_keys.end(), *k) != in_keys.end())
      throw ValueError("The same input tensor is passed twice as a model input. Received: input " + std::to_string(i) +
                       " = " + describe(t));
    in_keys.push_back(*k);
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& t = outputs[i];
    auto k = t.defined() ? key_of(t) : std::nullopt;
    if (!k)
      throw ValueError("All `outputs` values must be KerasTensors (outputs of layers called on keras::Input). "
                       "Received: output " + std::to_string(i) + " is " +
                       (t.defined() ? "a tensor of shape " + t.shape().to_string() : std::string("undefined")) +
                       " without Keras history. If it was computed with keras::ops directly, wrap that computation "
                       "in a keras::layers::Lambda layer.");
    out_keys.push_back(*k);
  }

  // ---- _build_map: DFS from the outputs, nodes in decreasing depth ----
  std::unordered_set<const LayerNode*> finished, in_progress;
  std::vector<const LayerNode*> nodes_in_decreasing_depth;
  OrderedMap<const layers::Layer*, int> operation_indices;
  std::unordered_map<const layers::Layer*, std::shared_ptr<layers::Layer>> owners;
  auto is_model_input = [&](const Key& k) { return std::find(in_keys.begin(), in_keys.end(), k) != in_keys.end(); };
  std::function<void(const Tensor&)> visit = [&](const Tensor& tensor) {
    auto h = layers::keras_history(tensor);
    if (!h) throw ValueError("Tensor " + describe(tensor) + " in the model's graph has no Keras history.");
    const LayerNode* node = h->layer->inbound_nodes().at(static_cast<std::size_t>(h->node_index)).get();
    if (finished.count(node)) return;
    if (in_progress.count(node))
      throw ValueError("Tensor " + describe(tensor) + " from operation '" + h->layer->name() + "' is part of a cycle.");
    if (!operation_indices.contains(h->layer.get()))
      operation_indices.set(h->layer.get(), static_cast<int>(operation_indices.items().size()));
    owners[h->layer.get()] = h->layer;
    in_progress.insert(node);
    if (!node->is_input && !is_model_input(Key{node, h->tensor_index}))
      for (const Tensor& t : node->input_tensors) visit(t);
    finished.insert(node);
    in_progress.erase(node);
    nodes_in_decreasing_depth.push_back(node);
  };
  for (const Tensor& t : outputs) visit(t);

  // ---- map_graph: depths ----
  OrderedMap<const LayerNode*, int> nodes_depths;
  OrderedMap<const layers::Layer*, int> operations_depths;
  for (auto it = nodes_in_decreasing_depth.rbegin(); it != nodes_in_decreasing_depth.rend(); ++it) {
    const LayerNode* node = *it;
    if (!nodes_depths.contains(node)) nodes_depths.set(node, 0);
    int depth = nodes_depths.at(node);
    depth = std::max(depth, operations_depths.get(node->layer, 0));
    operations_depths.set(node->layer, depth);
    nodes_depths.set(node, depth);
    for (const Tensor& t : node->input_tensors) {
      auto k = key_of(t);
      if (!k) continue;
      nodes_depths.set(k->first, std::max(depth + 1, nodes_depths.get(k->first, 0)));
    }
  }
  // Inputs that no output uses still belong to the model (Keras keeps them for losses).
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const LayerNode* node = in_keys[i].first;
    if (!operations_depths.contains(node->layer)) {
      operations_depths.set(node->layer, 0);
      operation_indices.set(node->layer, -1);
      nodes_depths.set(node, 0);
      owners[node->layer] = layers::keras_history(inputs[i])->layer;
    }
  }
  std::map<int, std::vector<const LayerNode*>, std::greater<int>> by_depth;
  for (const auto& [node, depth] : nodes_depths.items()) by_depth[depth].push_back(node);
  std::map<int, std::vector<const layers::Layer*>, std::greater<int>> ops_by_depth;
  for (const auto& [op, depth] : operations_depths.items()) ops_by_depth[depth].push_back(op);
  std::vector<std::shared_ptr<layers::Layer>> operations;
  for (auto& [depth, ops] : ops_by_depth) {
    std::stable_sort(ops.begin(), ops.end(), [&](const layers::Layer* a, const layers::Layer* b) {
      return operation_indices.get(a, 0) < operation_indices.get(b, 0);
    });
    for (const auto* op : ops) operations.push_back(owners.at(op));
  }

  // ---- every tensor must be computable from the inputs ----
  std::set<Key> computable(in_keys.begin(), in_keys.end());
  std::vector<std::string> accessed;
  std::vector<std::string> input_names;
  for (const auto& k : in_keys) input_names.push_back(k.first->layer->name());
  for (const auto& [depth, nodes] : by_depth) {
    for (const LayerNode* node : nodes) {
      if (node->is_input && std::none_of(in_keys.begin(), in_keys.end(), [&](const Key& k) { return k.first == node; }))
        throw ValueError("Graph disconnected: cannot find parent for tensor " + describe(node->layer->output()) +
                         " at operation '" + node->layer->name() + "': the outputs depend on this Input, which is not "
                         "among the model's inputs " + python_list(input_names) +
                         ". The following previous operations were accessed without issue: " + python_list(accessed));
      for (const Tensor& t : node->input_tensors) {
        auto k = key_of(t);
        if (!k || !computable.count(*k))
          throw ValueError("Graph disconnected: cannot find parent for tensor " + describe(t) + " at operation '" +
                           node->layer->name() + "'. The following previous operations were accessed without "
                           "issue: " + python_list(accessed));
        accessed.push_back(node->layer->name());
      }
      for (int j = 0; j < static_cast<int>(node->output_specs.size()); ++j) computable.insert(Key{node, j});
    }
  }

  // ---- unique names ----
  std::map<std::string, int> counts;
  for (const auto& op : operations) ++counts[op->name()];
  for (const auto& op : operations)
    if (counts[op->name()] != 1)
      throw ValueError("The name \"" + op->name() + "\" is used " + std::to_string(counts[op->name()]) +
                       " times in the model. All operation names should be unique.");

  // ---- install (nothing above changed the model) ----
  clear_graph();
  inputs_ = inputs;
  outputs_ = outputs;
  input_keys_ = in_keys;
  output_keys_ = out_keys;
  operations_ = std::move(operations);
  for (const auto& [depth, nodes] : by_depth) {
    nodes_by_depth_[depth] = nodes;
    for (const LayerNode* node : nodes) {
      if (node->is_input) continue;
      Step step{node->layer, node, {}};
      for (const Tensor& t : node->input_tensors) step.args.push_back(*key_of(t));
      steps_.push_back(std::move(step));
    }
  }
  std::vector<layers::InputSpec> specs;
  for (const Tensor& t : inputs_) {
    Shape s = t.shape();
    if (s.rank() > 0) s[0] = -1;
    layers::InputSpec spec;
    spec.shape = s;
    spec.allow_last_axis_squeeze = true;
    specs.push_back(spec);
  }
  set_input_spec(std::move(specs));
}

bool Model::contains_node(const LayerNode* node) const {
  for (const auto& [depth, nodes] : nodes_by_depth_)
    if (std::find(nodes.begin(), nodes.end(), node) != nodes.end()) return true;
  return false;
}

// ---- running -------------------------------------------------------------------------------

Outputs Model::call(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != input_keys_.size())
    throw ValueError("Model \"" + name() + "\" expects " + std::to_string(input_keys_.size()) +
                     " input(s), but it received " + std::to_string(inputs.size()) + " input tensors.");
  std::map<Key, Tensor> values;
  for (std::size_t i = 0; i < inputs.size(); ++i) values[input_keys_[i]] = inputs[i];
  for (const Step& step : steps_) {
    std::vector<Tensor> args;
    args.reserve(step.args.size());
    for (const Key& k : step.args) args.push_back(values.at(k));
    Outputs out = (*step.layer)(args, training);
    for (std::size_t j = 0; j < out.size(); ++j) values[Key{step.node, static_cast<int>(j)}] = out[j];
  }
  Outputs result;
  for (const Key& k : output_keys_) result.push_back(values.at(k));
  return result;
}

std::vector<std::shared_ptr<layers::Layer>> Model::layers() const { return operations_; }

std::shared_ptr<layers::Layer> Model::get_layer(const std::string& name) const {
  const auto all = layers();
  for (const auto& layer : all)
    if (layer->name() == name) return layer;
  std::vector<std::string> names;
  for (const auto& layer : all) names.push_back(layer->name());
  throw ValueError("No such layer: " + name + ". Existing layers are: " + python_list(names) + ".");
}

std::shared_ptr<layers::Layer> Model::get_layer(int index) const {
  const auto all = layers();
  if (index < 0 || index >= static_cast<int>(all.size()))
    throw ValueError("Was asked to retrieve layer at index " + std::to_string(index) + " but model only has " +
                     std::to_string(all.size()) + " layers.");
  return all[static_cast<std::size_t>(index)];
}

void Model::check_predict_inputs(std::vector<Tensor>& xs) const {
  if (xs.size() != inputs_.size())
    throw ValueError("Model \"" + name() + "\" expects " + std::to_string(inputs_.size()) +
                     " input(s), but it received " + std::to_string(xs.size()) + " input tensors.");
  std::vector<TensorSpec> specs;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    if (!xs[i].defined() || xs[i].is_symbolic())
      throw ValueError("predict expects concrete input arrays. Received: input " + std::to_string(i) + " is " +
                       (xs[i].defined() ? "symbolic" : "undefined"));
    if (xs[i].rank() == 0)
      throw ValueError("predict expects inputs with a batch dimension. Received: input " + std::to_string(i) +
                       " of shape ()");
    // NumPy float64 data fed to a float32 model is converted, as Keras does.
    if (xs[i].dtype() != inputs_[i].dtype()) xs[i] = ops::cast(xs[i], inputs_[i].dtype());
    specs.push_back({xs[i].shape(), xs[i].dtype()});
  }
  for (std::size_t i = 1; i < xs.size(); ++i)
    if (xs[i].shape().dims()[0] != xs[0].shape().dims()[0]) {
      std::string sizes;
      for (const auto& x : xs) sizes += (sizes.empty() ? "" : ", ") + std::to_string(x.shape().dims()[0]);
      throw ValueError("Data cardinality is ambiguous. Make sure all arrays contain the same number of samples. "
                       "'x' sizes: " + sizes);
    }
  assert_input_compatibility(specs);
}

Outputs Model::predict(const Tensor& x, int batch_size) { return predict(std::vector<Tensor>{x}, batch_size); }

Outputs Model::predict(const std::vector<Tensor>& inputs, int batch_size) {
  if (batch_size <= 0)
    throw ValueError("batch_size must be a positive integer. Received: batch_size=" + std::to_string(batch_size));
  std::vector<Tensor> xs = inputs;
  if (!has_graph() && !xs.empty() && xs.front().defined() && !built()) {
    std::vector<Shape> shapes;
    for (const auto& x : xs) shapes.push_back(x.shape());
    build_once(shapes);
  }
  check_predict_inputs(xs);
  if (!predict_function_) {
    predict_function_ = std::make_unique<Function>(
        [this](const std::vector<Tensor>& in) {
          Outputs out = (*this)(in, /*training=*/false);
          return std::vector<Tensor>(out.begin(), out.end());
        },
        PlanOptions{}, name() + "_predict");
  }
  const std::int64_t n = xs.front().shape().dims()[0];
  if (n == 0) throw ValueError("predict received no samples. Received: inputs with batch size 0");
  std::vector<std::vector<Tensor>> pieces;
  for (std::int64_t start = 0; start < n; start += batch_size) {
    std::vector<Tensor> batch;
    const std::int64_t len = std::min<std::int64_t>(batch_size, n - start);
    for (const auto& x : xs) {
      if (start == 0 && len == n) {
        batch.push_back(x);
        continue;
      }
      std::vector<std::int64_t> begin(static_cast<std::size_t>(x.rank()), 0), sizes(static_cast<std::size_t>(x.rank()), -1);
      begin[0] = start;
      sizes[0] = len;
      batch.push_back(ops::slice(x, begin, sizes));
    }
    auto out = (*predict_function_)(batch);
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (pieces.size() <= j) pieces.resize(j + 1);
      pieces[j].push_back(out[j]);
    }
  }
  Outputs result;
  for (auto& parts : pieces) result.push_back(parts.size() == 1 ? parts.front() : ops::concatenate(parts, 0));
  return result;
}

// ---- Sequential items ----------------------------------------------------------------------

SequentialItem::SequentialItem(const Tensor& input) {
  auto h = layers::keras_history(input);
  if (!h || !std::dynamic_pointer_cast<layers::InputLayer>(h->layer))
    throw ValueError("Only layers and keras::Input() tensors can be added to a Sequential model. Received: a tensor "
                     "of shape " + (input.defined() ? input.shape().to_string() : std::string("<undefined>")) +
                     " that does not come from keras::Input()");
  layer = h->layer;
}

}  // namespace keras
