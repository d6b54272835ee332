// Keras 3's weights layout (see weights_io.h), written and read by walking the same object
// tree Keras's saving_lib walks.
#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "keras/layers/attention.h"
#include "keras/layers/core.h"
#include "keras/ops/ops.h"
#include "saving/weights_io.h"

namespace keras::saving::detail {

std::vector<Variable> own_variables(const layers::Layer& layer) {
  std::unordered_set<const Node*> below;
  for (const auto& sub : layer.sublayers())
    for (const auto& v : sub->weights()) below.insert(v.node().get());
  std::vector<Variable> out;
  for (const auto& v : layer.weights())
    if (!below.count(v.node().get())) out.push_back(v);
  return out;
}

namespace {

// Keras 3.3+ reaches the projections through the public properties key_dense, output_dense,
// query_dense and value_dense first (dir() order, public names before private ones); of the
// private attributes only _dropout_layer, _gate_dense and _softmax are left, the first and
// last without variables (keras.cpp has no such sublayers: empty stand-ins keep the groups).
std::vector<SaveableChild> attention_children(const layers::MultiHeadAttention& mha) {
  const auto empty = [](const char* name) { return layers::make<layers::Identity>(layers::LayerOptions{.name = name}); };
  std::vector<SaveableChild> out = {{"key_dense", {}, mha.key_dense()},
                                    {"output_dense", {}, mha.output_dense()},
                                    {"query_dense", {}, mha.query_dense()},
                                    {"value_dense", {}, mha.value_dense()},
                                    {"_dropout_layer", {}, empty("dropout")}};
  for (const auto& sub : mha.sublayers())
    if (sub->name() == "gate") out.push_back({"_gate_dense", {}, sub});
  out.push_back({"_softmax", {}, empty("softmax")});
  return out;
}

}  // namespace

std::vector<SaveableChild> saveable_children(const layers::Layer& layer) {
  if (const auto* model = dynamic_cast<const Model*>(&layer)) return {SaveableChild{"layers", model->layers(), nullptr}};
  auto subs = layer.sublayers();
  if (subs.empty()) return {};
  // Keras finds children by attribute name (sorted, as dir() lists them). The built-in
  // wrappers' attribute names are known; a C++ layer has no attribute names, so its
  // sublayers are filed under their own names.
  static const std::set<std::string> rnn_classes = {"RNN", "LSTM", "GRU", "SimpleRNN",
                                                    "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"};
  const std::string cls = layer.class_name();
  if (rnn_classes.count(cls) && subs.size() == 1) return {SaveableChild{"cell", {}, subs[0]}};
  if (cls == "Bidirectional" && subs.size() == 2)
    return {SaveableChild{"backward_layer", {}, subs[1]}, SaveableChild{"forward_layer", {}, subs[0]}};
  if (cls == "TimeDistributed" && subs.size() == 1) return {SaveableChild{"layer", {}, subs[0]}};
  if (const auto* mha = dynamic_cast<const layers::MultiHeadAttention*>(&layer)) return attention_children(*mha);
  std::vector<SaveableChild> out;
  for (const auto& s : subs) out.push_back(SaveableChild{s->name(), {}, s});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.attr < b.attr; });
  return out;
}

namespace {

std::string join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

// Keras's _save_container_state names: the class in snake_case, then _1, _2 for repeats.
std::vector<std::string> container_names(const std::vector<std::shared_ptr<layers::Layer>>& items) {
  std::map<std::string, int> used;
  std::vector<std::string> names;
  for (const auto& item : items) {
    std::string name = layers::to_snake_case(item->class_name());
    auto it = used.find(name);
    if (it != used.end()) {
      name += '_';
      name += std::to_string(++it->second);
    } else {
      used[name] = 0;
    }
    names.push_back(name);
  }
  return names;
}

template <class Visit>
void walk_children(const layers::Layer& obj, const std::string& path, Visit&& visit) {
  for (const auto& child : saveable_children(obj)) {
    const std::string cpath = join(path, child.attr);
    if (child.layer) {
      visit(*child.layer, cpath);
    } else {
      auto names = container_names(child.container);
      for (std::size_t i = 0; i < child.container.size(); ++i) visit(*child.container[i], cpath + "/" + names[i]);
    }
  }
}

void write_vars(h5::Group vars_group, const std::string& name, const std::vector<Variable>& vars) {
  vars_group.write_string_attr("name", name);
  for (std::size_t i = 0; i < vars.size(); ++i) vars_group.write_dataset(std::to_string(i), vars[i].value());
}

struct Writer {
  h5::Group root;
  std::unordered_set<const layers::Layer*> visited;

  void save(const layers::Layer& obj, const std::string& path) {
    if (!visited.insert(&obj).second) return;  // a layer reachable twice is saved once
    write_vars(root.create_group(join(path, "vars")), obj.name(), own_variables(obj));
    walk_children(obj, path, [&](const layers::Layer& child, const std::string& cpath) { save(child, cpath); });
  }
};

std::string python_names(const std::vector<Variable>& vars) {
  std::string s = "[";
  for (std::size_t i = 0; i < vars.size(); ++i) s += (i ? ", '" : "'") + vars[i].name() + "'";
  return s + "]";
}

struct Assignment {
  Variable variable;
  Tensor value;
};

// Validates saved values against `vars` and queues them; throws ValueError on any mismatch.
void queue_values(const std::optional<h5::Group>& group, const std::vector<Variable>& vars, const std::string& owner,
                  bool built, std::vector<Assignment>& out) {
  std::size_t saved = group ? group->member_names().size() : 0;
  if (saved != vars.size()) {
    if (vars.empty() && !built)
      throw ValueError(owner + " was never built and thus it doesn't have any variables. However the weights file lists " +
                       std::to_string(saved) + " variables for this layer.");
    throw ValueError(owner + " expected " + std::to_string(vars.size()) + " variables, but received " +
                     std::to_string(saved) + " variables during loading. Expected: " + python_names(vars));
  }
  for (std::size_t i = 0; i < vars.size(); ++i) {
    const std::string key = std::to_string(i);
    if (!group->has_dataset(key))
      throw ValueError(owner + " expected its variables saved as datasets '0'..'" + std::to_string(vars.size() - 1) +
                       "' in '" + group->path() + "' of '" + group->file_name() + "'. Received: no dataset '" + key + "'");
    Tensor value = group->read_dataset(key);
    const Variable& v = vars[i];
    if (value.shape() != v.shape())
      throw ValueError(owner + ": the saved value of variable '" + v.name() + "' ('" + group->path() + "/" + key +
                       "' in '" + group->file_name() + "') does not match the variable's shape. Expected: " +
                       v.shape().to_string() + ". Received: value.shape=" + value.shape().to_string());
    if (value.dtype() != v.dtype()) value = ops::cast(value, v.dtype());
    out.push_back({v, value});
  }
}

struct Reader {
  const h5::Group& root;
  bool skip_mismatch;
  std::vector<Assignment> assignments;
  std::unordered_set<const layers::Layer*> visited;

  std::optional<h5::Group> vars_group(const std::string& path) const {
    const std::string p = join(path, "vars");
    if (root.has_group(p)) return root.open_group(p);
    // Keras 3.0-3.2 reached some sublayers through private attributes only (MultiHeadAttention's
    // _query_dense, ...): the same name with a leading underscore.
    if (const auto slash = path.rfind('/'); slash != std::string::npos && path[slash + 1] != '_') {
      std::string private_path = path;
      private_path.insert(slash + 1, 1, '_');
      private_path += "/vars";
      if (root.has_group(private_path)) return root.open_group(private_path);
    }
    // Keras 2.13-2.15 (keras_core era) wrote "_layer_checkpoint_dependencies" for "layers".
    std::string old = p;
    if (old.rfind("layers", 0) == 0) {
      old.replace(0, 6, "_layer_checkpoint_dependencies");
      if (root.has_group(old)) return root.open_group(old);
    }
    return std::nullopt;
  }

  void load(layers::Layer& obj, const std::string& path) {
    if (!visited.insert(&obj).second) return;
    std::vector<Assignment> mine;
    try {
      queue_values(vars_group(path), own_variables(obj), "Layer '" + obj.name() + "'", obj.built(), mine);
    } catch (const ValueError& e) {
      if (!skip_mismatch) throw;
      // Keras's skip_mismatch: this layer keeps its values, with a warning.
      std::clog << "WARNING: skipping variable loading for layer '" << obj.name() << "': " << e.what() << "\n";
      mine.clear();
    }
    assignments.insert(assignments.end(), mine.begin(), mine.end());
    walk_children(obj, path, [&](layers::Layer& child, const std::string& cpath) { load(child, cpath); });
  }
};

}  // namespace

void write_keras_weights(const Model& model, const optimizers::Optimizer* optimizer, h5::Group root) {
  Writer writer{root, {}};
  writer.save(model, "");
  if (optimizer && optimizer->built())
    write_vars(root.create_group("optimizer/vars"), optimizer->name(), optimizer->variables());
}

void read_keras_weights(Model& model, optimizers::Optimizer* optimizer, const h5::Group& root, bool skip_mismatch) {
  Reader reader{root, skip_mismatch, {}, {}};
  reader.load(model, "");
  if (optimizer && root.has_group("optimizer/vars")) {
    if (!optimizer->built()) optimizer->build(model.trainable_weights());
    queue_values(root.open_group("optimizer/vars"), optimizer->variables(), "Optimizer '" + optimizer->name() + "'",
                 true, reader.assignments);
  }
  // Everything matched: only now does the model change.
  for (auto& a : reader.assignments) a.variable.assign(a.value);
}

}  // namespace keras::saving::detail
