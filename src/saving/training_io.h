#pragma once
// Optimizer and training-config (de)serialization shared by the .keras and .h5 writers
// (internal to keras_saving).
#include <memory>

#include "keras/saving/saving.h"

namespace keras::saving::detail {

/// An optimizer from {"class_name", "config"} (Keras 3 or 2) or a name ("adam"). Unbuilt.
std::shared_ptr<optimizers::Optimizer> optimizer_from_config(const Config& serialized);
/// {"module": "keras.optimizers", "class_name", "config", "registered_name": null}.
Config serialize_optimizer(const optimizers::Optimizer& optimizer);

/// The legacy .h5 `training_config` attribute: compile_config with the optimizer as
/// `optimizer_config` = {"class_name", "config"}.
Config legacy_training_config(const TrainingState& training);
TrainingState training_from_legacy_config(const Config& training_config);

/// The compile() arguments and optimizer of a compiled model (empty state if not compiled).
TrainingState training_state_of(const Model& model);
/// Compiles `model` with the state's optimizer (keeping its variables), loss and metrics.
/// NotImplementedError for losses/metrics saved with arguments keras.cpp cannot restore.
void compile_from_state(Model& model, const TrainingState& state);

}  // namespace keras::saving::detail
