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
#include <string>

#include "keras/models/model.h"
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
  /// Legacy .h5 only: leave weights whose saved shape differs instead of raising (Keras's
  /// `skip_mismatch`).
  bool skip_mismatch = false;
  /// Receives the saved optimizer state when the file has one (built on the model's
  /// trainable weights first if needed).
  optimizers::Optimizer* optimizer = nullptr;
};

/// Keras's `model.load_weights(path)`: a `.weights.h5`, the weights of a `.keras` archive,
/// or a legacy `.h5` (full model or weights only; matched by layer order, as Keras does).
/// The model must be built.
void load_weights(Model& model, const std::string& path, const LoadWeightsOptions& options = {});

}  // namespace keras::saving
