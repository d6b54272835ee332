// The legacy HDF5 weights layout (see weights_io.h), as Keras 3's legacy_h5_format writes
// it and as Keras 2 and 3 files are read.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "keras/ops/ops.h"
#include "saving/weights_io.h"

namespace keras::saving::detail {

namespace {

// Keras's `_legacy_weights`: trainable first, then non-trainable (a frozen layer's weights
// are all non-trainable).
std::vector<Variable> legacy_weights(const layers::Layer& layer) {
  auto out = layer.trainable_weights();
  for (const auto& v : layer.non_trainable_weights()) out.push_back(v);
  return out;
}

bool owns(const layers::Layer& layer, const Variable& v) {
  for (const auto& w : layer.weights())
    if (w.node() == v.node()) return true;
  return false;
}

// Keras 3's `variable.path`: the name scopes it was created in, then its name. A
// Sequential builds its layers inside its own scope; a Functional model's layers are
// built outside any; a sublayer (an RNN's cell) nests under its parent.
std::string variable_path(const layers::Layer& layer, const Variable& v) {
  for (const auto& sub : layer.sublayers())
    if (owns(*sub, v)) return layer.name() + "/" + variable_path(*sub, v);
  return layer.name() + "/" + v.name();
}

// Keras's load_attributes_from_hdf5_group: one attribute, or name0, name1, ... when the
// list was split to fit HDF5's 64 KB object-header limit.
std::vector<std::string> chunked_list_attr(const h5::Group& group, const std::string& name) {
  if (group.has_attr(name)) return group.read_string_list_attr(name);
  std::vector<std::string> out;
  for (int chunk = 0; group.has_attr(name + std::to_string(chunk)); ++chunk) {
    auto part = group.read_string_list_attr(name + std::to_string(chunk));
    out.insert(out.end(), part.begin(), part.end());
  }
  if (out.empty() && !group.has_attr(name + "0"))
    throw IOError("HDF5 file '" + group.file_name() + "': expected an attribute '" + name + "' on '" + group.path() +
                  "', but there is none (is this a Keras weights file?)");
  return out;
}

std::string unique_in(std::set<std::string>& used, const std::string& base) {
  std::string name = base;
  for (int k = 1; used.count(name); ++k) name = base + "_" + std::to_string(k);
  used.insert(name);
  return name;
}

void write_subset(h5::Group g, const std::vector<Variable>& weights, const std::vector<std::string>& names) {
  g.write_string_list_attr("weight_names", names);
  for (std::size_t i = 0; i < weights.size(); ++i) g.write_dataset(names[i], weights[i].value());
}

std::vector<Tensor> read_subset(const h5::Group& g) {
  std::vector<Tensor> out;
  for (const auto& name : chunked_list_attr(g, "weight_names")) {
    if (!g.has_dataset(name))
      throw IOError("HDF5 file '" + g.file_name() + "': '" + g.path() + "' lists the weight '" + name +
                    "' in its weight_names, but has no such dataset");
    out.push_back(g.read_dataset(name));
  }
  return out;
}

}  // namespace

void write_legacy_weights(const Model& model, h5::Group group) {
  const auto model_layers = model.layers();
  std::vector<std::string> layer_names;
  for (const auto& l : model_layers) layer_names.push_back(l->name());
  group.write_string_list_attr("layer_names", layer_names);
  group.write_string_attr("backend", "tensorflow", h5::Cset::ascii);
  group.write_string_attr("keras_version", kKerasFormatVersion, h5::Cset::ascii);

  const bool sequential = dynamic_cast<const Sequential*>(&model) != nullptr;
  auto sorted = model_layers;  // Keras writes the groups sorted by layer name
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a->name() < b->name(); });
  for (const auto& layer : sorted) {
    auto weights = legacy_weights(*layer);
    std::vector<std::string> names;
    std::set<std::string> used;
    for (const auto& v : weights) {
      std::string name = (sequential ? model.name() + "/" : "") + variable_path(*layer, v);
      // Two weights with one path would collide in the file; the reader goes by position.
      name = unique_in(used, name);
      names.push_back(name);
    }
    write_subset(group.create_group(layer->name()), weights, names);
  }
  write_subset(group.create_group("top_level_model_weights"), {}, {});
}

void read_legacy_weights(Model& model, const h5::Group& group, bool skip_mismatch) {
  std::vector<std::shared_ptr<layers::Layer>> filtered;
  for (const auto& l : model.layers())
    if (!legacy_weights(*l).empty()) filtered.push_back(l);

  std::vector<std::string> saved_names;
  for (const auto& name : chunked_list_attr(group, "layer_names")) {
    if (!group.has_group(name))
      throw IOError("HDF5 file '" + group.file_name() + "': layer_names lists '" + name + "', but '" +
                    group.path() + "' has no such group");
    if (!chunked_list_attr(group.open_group(name), "weight_names").empty()) saved_names.push_back(name);
  }
  if (saved_names.size() != filtered.size())
    throw ValueError("Layer count mismatch when loading weights from file. Model expected " +
                     std::to_string(filtered.size()) + " layers, found " + std::to_string(saved_names.size()) +
                     " saved layers.");

  std::vector<std::pair<Variable, Tensor>> assignments;
  for (std::size_t k = 0; k < saved_names.size(); ++k) {
    const auto& layer = filtered[k];
    auto symbolic = legacy_weights(*layer);
    auto values = read_subset(group.open_group(saved_names[k]));
    if (values.size() != symbolic.size())
      throw ValueError("Weight count mismatch for layer #" + std::to_string(k) + " (named " + layer->name() +
                       " in the current model, " + saved_names[k] + " in the save file). Layer expects " +
                       std::to_string(symbolic.size()) + " weight(s). Received " + std::to_string(values.size()) +
                       " saved weight(s)");
    for (std::size_t i = 0; i < values.size(); ++i) {
      const Variable& v = symbolic[i];
      if (values[i].shape() != v.shape()) {
        if (skip_mismatch) continue;
        throw ValueError("Shape mismatch in layer #" + std::to_string(k) + " (named " + layer->name() +
                         ") for weight " + variable_path(*layer, v) + ". Weight expects shape " +
                         v.shape().to_string() + ". Received saved weight with shape " + values[i].shape().to_string());
      }
      Tensor value = values[i].dtype() == v.dtype() ? values[i] : ops::cast(values[i], v.dtype());
      assignments.emplace_back(v, value);
    }
  }
  for (auto& [v, value] : assignments) v.assign(value);
}

void write_legacy_optimizer_weights(const optimizers::Optimizer& optimizer, h5::Group root) {
  auto vars = optimizer.variables();
  std::vector<std::string> names;
  std::set<std::string> used;
  for (const auto& v : vars) {
    names.push_back(unique_in(used, optimizer.name() + "/" + v.name()));
  }
  write_subset(root.create_group("optimizer_weights"), vars, names);
}

std::vector<Tensor> read_legacy_optimizer_weights(const h5::Group& root) {
  return read_subset(root.open_group("optimizer_weights"));
}

}  // namespace keras::saving::detail
