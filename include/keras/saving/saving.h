#pragma once
/// keras::saving — Keras's own files, both ways: `.weights.h5` (Keras 3 weights), `.keras`
/// (zip of metadata.json, config.json, model.weights.h5) and legacy `.h5`.
///
///   keras::saving::save_weights(model, "model.weights.h5");
///   keras::saving::load_weights(model, "from_python.weights.h5");   // or a .keras / .h5 file
///
/// Files are identified by their first bytes, not their names (some ".keras" files in the
/// wild are HDF5). Every file is checked before it is trusted: HDF5 external links, soft
/// links leaving the file, external storage, virtual datasets, zip members with absolute
/// paths or `..`, and sizes far beyond the bytes present are refused; truncated or corrupt
/// files give keras::IOError naming the file and the problem, never a crash. A weights file
/// that does not fit the model gives ValueError (Keras's messages) and changes nothing.
/// Saving writes a temporary file in the same folder and renames it over the target, so a
/// failed save leaves the earlier file intact.
#include <memory>
#include <string>

#include "keras/models/model.h"
#include "keras/saving/serialization.h"
#include "keras/training/optimizers.h"

namespace keras::saving {

enum class FileFormat {
  zip,   // a `.keras` archive ("PK\x03\x04")
  hdf5,  // HDF5 ("\x89HDF\r\n\x1a\n" at offset 0, 512, 1024, ...): `.weights.h5` or legacy `.h5`
};

/// The format of the file at `path`, from its first bytes. IOError when it is neither.
FileFormat detect_format(const std::string& path);

/// Keras's `model.save_weights(path)`: the Keras 3 layout. `path` must end in ".weights.h5"
/// (ValueError otherwise, as in Keras). With a built `optimizer`, its state is saved too
/// (`/optimizer/vars`), as Keras does for a compiled model.
void save_weights(const Model& model, const std::string& path, const optimizers::Optimizer* optimizer = nullptr);

struct LoadWeightsOptions {
  /// Keras's `skip_mismatch`: leave layers (legacy .h5: weights) whose saved values do not
  /// fit instead of raising ValueError.
  bool skip_mismatch = false;
  /// Receives the saved optimizer state when the file has one (built on the model's
  /// trainable weights first if needed).
  optimizers::Optimizer* optimizer = nullptr;
};

/// What a compiled model adds to its files: the optimizer (with its state) and the rest of
/// Keras's compile_config. Filled by load_model for a compiled file; given to save_model to
/// write a compiled model.
struct TrainingState {
  std::shared_ptr<optimizers::Optimizer> optimizer;
  /// The other compile() arguments as Keras serializes them: loss (a name or a serialized
  /// loss), loss_weights, metrics, weighted_metrics (null when unused).
  Config loss = nullptr, loss_weights = nullptr, metrics = nullptr, weighted_metrics = nullptr;
  bool run_eagerly = false;
  int steps_per_execution = 1;
  bool jit_compile = false;

  /// Keras's compile_config dict (config.json's "compile_config").
  Config compile_config() const;
  /// The inverse: rebuilds the optimizer (unbuilt, no state) from compile_config["optimizer"].
  /// NotImplementedError for optimizer features keras.cpp lacks (EMA, loss scaling, ...).
  static TrainingState from_compile_config(const Config& compile_config);
};

/// Keras's `model.save(path)`: ".keras" writes the zip (metadata.json, config.json,
/// model.weights.h5), ".h5"/".hdf5" the legacy HDF5 file; other extensions raise ValueError
/// as in Keras. A compiled model (Model::compile) saves its compile arguments and optimizer
/// state, so that training resumes exactly; `training` overrides what is saved.
void save_model(const Model& model, const std::string& path, const TrainingState* training = nullptr);

/// Keras's `keras.models.load_model(path)`: a `.keras` archive or a legacy `.h5` model (by
/// content). Layers come back from the config through the registry (custom classes and
/// Lambda functions as in serialization.h), then the weights are loaded. A compiled file
/// gives a compiled model (options.compile, the default) whose optimizer holds the saved
/// state; `training`, when given, receives that state too.
std::shared_ptr<Model> load_model(const std::string& path, const LoadOptions& options = {},
                                  TrainingState* training = nullptr);

/// Keras's `model.load_weights(path)`: a `.weights.h5`, the weights of a `.keras` archive,
/// or a legacy `.h5` (full model or weights only; matched by layer order, as Keras does).
/// The model must be built.
void load_weights(Model& model, const std::string& path, const LoadWeightsOptions& options = {});

}  // namespace keras::saving
