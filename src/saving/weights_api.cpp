// save_weights / load_weights / detect_format (keras/saving/saving.h).
#include <cstring>

#include "keras/saving/saving.h"
#include "saving/atomic_file.h"
#include "saving/h5_file.h"
#include "saving/weights_io.h"
#include "saving/zip_archive.h"

namespace keras::saving {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr char kHdf5Signature[] = "\x89HDF\r\n\x1a\n";

}  // namespace

FileFormat detail::detect_format_of(const std::vector<char>& bytes, const std::string& path) {
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x03\x04", 4) == 0) return FileFormat::zip;
  // HDF5 looks for its signature at 0 and after a user block of 512, 1024, 2048, ... bytes.
  for (std::size_t offset = 0; offset + 8 <= bytes.size(); offset = offset == 0 ? 512 : offset * 2)
    if (std::memcmp(bytes.data() + offset, kHdf5Signature, 8) == 0) return FileFormat::hdf5;
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "PK\x05\x06", 4) == 0)
    throw IOError("File '" + path + "' is an empty zip archive, not a Keras model");
  throw IOError("File '" + path +
                "' is neither a .keras archive (zip) nor an HDF5 file (.h5 / .weights.h5): unrecognized first bytes");
}

namespace {

void check_model_built(const Model& model, const std::string& what) {
  if (!model.built())
    throw ValueError("Cannot " + what + " of model '" + model.name() +
                     "': it has not been built yet, so it has no weights. Build it first (call it on an "
                     "input, or give it an Input).");
}

}  // namespace

FileFormat detect_format(const std::string& path) { return detail::detect_format_of(read_file(path), path); }

void save_weights(const Model& model, const std::string& path, const optimizers::Optimizer* optimizer) {
  if (!ends_with(path, ".weights.h5"))
    throw ValueError("The filename must end in `.weights.h5`. Received: filepath=" + path);
  check_model_built(model, "save the weights");
  auto file = h5::File::create(path);
  detail::write_keras_weights(model, optimizer, file.root());
  write_file_atomically(path, file.image());
}

void load_weights(Model& model, const std::string& path, const LoadWeightsOptions& options) {
  check_model_built(model, "load weights into");
  std::vector<char> bytes = read_file(path);
  if (detail::detect_format_of(bytes, path) == FileFormat::zip) {
    auto archive = zip::Reader::from_bytes(std::move(bytes), path);
    const std::string member = "model.weights.h5";
    if (!archive.has(member))
      throw IOError("Zip archive '" + path + "': expected a member '" + member + "' (is this a .keras file?)");
    auto file = h5::File::open_image(archive.read(member), path + "/" + member);
    detail::read_keras_weights(model, options.optimizer, file.root(), options.skip_mismatch);
    return;
  }
  auto file = h5::File::open_image(bytes, path);
  auto root = file.root();
  if (root.has_attr("layer_names")) {  // legacy weights-only file
    detail::read_legacy_weights(model, root, options.skip_mismatch);
  } else if (root.has_group("model_weights")) {  // legacy full-model file
    detail::read_legacy_weights(model, root.open_group("model_weights"), options.skip_mismatch);
    if (options.optimizer && root.has_group("optimizer_weights")) {
      auto values = detail::read_legacy_optimizer_weights(root);
      if (!options.optimizer->built()) options.optimizer->build(model.trainable_weights());
      options.optimizer->set_weights(values);
    }
  } else {
    detail::read_keras_weights(model, options.optimizer, root, options.skip_mismatch);
  }
}

}  // namespace keras::saving
