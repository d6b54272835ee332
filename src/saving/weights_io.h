#pragma once
// The two HDF5 layouts in which Keras stores a model's state (internal to keras_saving).
//
// Keras 3 (`.weights.h5`, and `model.weights.h5` inside a `.keras` zip) mirrors the object
// tree (keras/src/saving/saving_lib.py):
//   /vars                      the model's own variables; attribute `name` = model name
//   /layers/<class_snake>[_k]  one group per entry of model.layers, named after the *class*
//        /vars/0, 1, ...       the layer's own variables (trainable first, then the others,
//                              each in creation order); attribute `name` = layer name
//        /<attr>/vars/...      sublayers by attribute name, e.g. /layers/lstm/cell/vars
//   /optimizer/vars/0..N       optimizer.variables() when compiled; `name` = optimizer name
// Every object gets a `vars` group, even without variables.
//
// Legacy `.h5` (keras/src/legacy/saving/legacy_h5_format.py): a weights group (`/model_weights`
// in a full model file, the root in a weights-only file) with the attribute `layer_names`;
// one group per layer with the attribute `weight_names`, whose entries are dataset paths
// relative to that group ("fc1/kernel", "dense/kernel:0", "sequential/dense/kernel", ...);
// weights are matched by position among the layers that have weights, never by name.
//
// Loading validates everything first and assigns nothing unless every variable matches, so
// a failed load leaves the model as it was.
#include <memory>
#include <string>
#include <vector>

#include "keras/models/model.h"
#include "keras/saving/saving.h"
#include "keras/training/optimizers.h"
#include "saving/h5_file.h"

namespace keras::saving::detail {

/// Keras's own variables of a layer: its weights minus those of its sublayers.
std::vector<Variable> own_variables(const layers::Layer& layer);

/// The children Keras's saving walks below a layer, by attribute name: a model's layers
/// are the container "layers"; an RNN's cell is "cell".
struct SaveableChild {
  std::string attr;  // path component: "layers", "cell", ...
  std::vector<std::shared_ptr<layers::Layer>> container;  // the container's items, or
  std::shared_ptr<layers::Layer> layer;                   // a single child
};
std::vector<SaveableChild> saveable_children(const layers::Layer& layer);

/// Writes the Keras 3 layout under `root`. `optimizer` may be null (not compiled or not built).
void write_keras_weights(const Model& model, const optimizers::Optimizer* optimizer, h5::Group root);
/// Reads the Keras 3 layout into `model` (and `optimizer` when given and the file has one;
/// an unbuilt optimizer is built on the model's trainable weights first). With
/// `skip_mismatch`, a layer whose saved variables do not fit keeps its values (a warning on
/// std::clog), as Keras's skip_mismatch does.
void read_keras_weights(Model& model, optimizers::Optimizer* optimizer, const h5::Group& root,
                        bool skip_mismatch = false);

/// Writes the legacy weights layout into `group` (/model_weights, or the root for weights only).
void write_legacy_weights(const Model& model, h5::Group group);
/// Reads the legacy layout from `group`. With `skip_mismatch`, weights of the wrong shape are
/// left as they are instead of raising ValueError.
void read_legacy_weights(Model& model, const h5::Group& group, bool skip_mismatch = false);
/// `/optimizer_weights` of a legacy file (weight_names + datasets), in file order.
void write_legacy_optimizer_weights(const optimizers::Optimizer& optimizer, h5::Group root);
std::vector<Tensor> read_legacy_optimizer_weights(const h5::Group& root);

/// The format of these file contents (`path` names the file in errors): see detect_format.
FileFormat detect_format_of(const std::vector<char>& bytes, const std::string& path);

/// The Keras version whose formats keras.cpp writes (metadata.json, `keras_version` attributes).
inline constexpr const char* kKerasFormatVersion = "3.15.1";

}  // namespace keras::saving::detail
