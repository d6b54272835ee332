// save_model / load_model (saving.h): the `.keras` zip and the legacy `.h5` model file.
#include <ctime>
#include <optional>

#include "keras/saving/saving.h"
#include "saving/atomic_file.h"
#include "saving/config_utils.h"
#include "saving/h5_file.h"
#include "saving/training_io.h"
#include "saving/weights_io.h"
#include "saving/zip_archive.h"

namespace keras::saving {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Python's json.dumps layout (", " and ": " separators, ASCII escapes), which Keras uses for
// metadata.json, config.json and the legacy attributes.
void python_json(const Config& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += Config(it.key()).dump(-1, ' ', true);
      out += ": ";
      python_json(it.value(), out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      python_json(v[i], out);
    }
    out += ']';
  } else {
    out += v.dump(-1, ' ', true);
  }
}

std::string python_json(const Config& v) {
  std::string out;
  python_json(v, out);
  return out;
}

std::vector<char> bytes_of(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

std::string date_saved() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d@%H:%M:%S", &tm);
  return buf;
}

void check_built(const Model& model) {
  if (!model.built())
    throw ValueError("Cannot save model '" + model.name() + "': it has not been built yet. Build it first (give it an "
                     "Input, or call it on data).");
}

const optimizers::Optimizer* built_optimizer(const TrainingState* training) {
  return training && training->optimizer && training->optimizer->built() ? training->optimizer.get() : nullptr;
}

// Keras's legacy model_config: layer entries are {class_name, config[, name, inbound_nodes]}
// with a custom class's registered name as its class_name, and no module / build_config.
Config legacy_model_config(const Config& full) {
  Config out;
  out["class_name"] = full.at("class_name");
  Config inner = full.at("config");
  if (inner.contains("layers")) {
    Config layer_list = Config::array();
    for (const auto& entry : inner["layers"]) {
      Config e;
      bool custom = entry.contains("module") && entry["module"].is_null() && entry.contains("registered_name") &&
                    entry["registered_name"].is_string();
      bool is_model = entry.contains("config") && entry["config"].is_object() && entry["config"].contains("layers");
      if (is_model) e = legacy_model_config(entry);
      else {
        e["class_name"] = custom ? entry["registered_name"] : entry["class_name"];
        e["config"] = entry["config"];
      }
      if (entry.contains("name")) e["name"] = entry["name"];
      if (entry.contains("inbound_nodes")) e["inbound_nodes"] = entry["inbound_nodes"];
      layer_list.push_back(e);
    }
    inner["layers"] = layer_list;
  }
  out["config"] = inner;
  return out;
}

// Compiles the loaded model (options.compile) and hands the training state to the caller.
void finish_load(Model& model, const std::optional<TrainingState>& state, const LoadOptions& options,
                 TrainingState* training) {
  if (!state) return;
  if (options.compile) detail::compile_from_state(model, *state);
  if (training) *training = *state;
}

// ---- .keras ----

void save_keras(const Model& model, const std::string& path, const TrainingState* training) {
  Config meta;
  meta["keras_version"] = detail::kKerasFormatVersion;
  meta["date_saved"] = date_saved();
  Config config = model_to_config(model);
  config["compile_config"] = training ? training->compile_config() : Config::object();
  auto weights = h5::File::create(path + "/model.weights.h5");
  detail::write_keras_weights(model, built_optimizer(training), weights.root());
  std::vector<zip::Member> members;
  members.push_back({"metadata.json", bytes_of(python_json(meta))});
  members.push_back({"config.json", bytes_of(python_json(config))});
  members.push_back({"model.weights.h5", weights.image(), std::time(nullptr)});
  write_file_atomically(path, zip::write_archive(members));
}

std::shared_ptr<Model> load_keras(std::vector<char> bytes, const std::string& path, const LoadOptions& options,
                                  TrainingState* training) {
  auto archive = zip::Reader::from_bytes(std::move(bytes), path);
  for (const char* member : {"config.json", "model.weights.h5"})
    if (!archive.has(member))
      throw IOError("Zip archive '" + path + "': expected a member '" + member + "' (is this a .keras file?)");
  auto text = archive.read("config.json");
  Config config;
  try {
    config = Config::parse(std::string(text.begin(), text.end()));
  } catch (const nlohmann::json::parse_error& e) {
    throw ValueError("File '" + path + "': config.json is not valid JSON (" + e.what() + ")");
  }
  auto model = model_from_config(config, options);
  const Config compile = config.value("compile_config", Config());
  std::optional<TrainingState> state;
  if ((training || options.compile) && compile.is_object() && !compile.empty())
    state = TrainingState::from_compile_config(compile);
  auto weights = h5::File::open_image(archive.read("model.weights.h5"), path + "/model.weights.h5");
  detail::read_keras_weights(*model, state ? state->optimizer.get() : nullptr, weights.root());
  finish_load(*model, state, options, training);
  return model;
}

// ---- legacy .h5 ----

void save_h5(const Model& model, const std::string& path, const TrainingState* training) {
  auto file = h5::File::create(path);
  auto root = file.root();
  root.write_string_attr("backend", "tensorflow");
  root.write_string_attr("keras_version", detail::kKerasFormatVersion);
  root.write_string_attr("model_config", python_json(legacy_model_config(model_to_config(model))), h5::Cset::ascii);
  if (training) root.write_string_attr("training_config", python_json(detail::legacy_training_config(*training)), h5::Cset::ascii);
  detail::write_legacy_weights(model, root.create_group("model_weights"));
  if (const auto* opt = built_optimizer(training)) detail::write_legacy_optimizer_weights(*opt, root);
  write_file_atomically(path, file.image());
}

std::shared_ptr<Model> load_h5(const std::vector<char>& bytes, const std::string& path, const LoadOptions& options,
                               TrainingState* training) {
  auto file = h5::File::open_image(bytes, path);
  auto root = file.root();
  if (!root.has_attr("model_config")) {
    if (root.has_group("layers") || root.has_group("vars") || root.has_attr("layer_names"))
      throw ValueError("File '" + path + "' holds only weights, not a model. Build the model in C++ and call "
                       "keras::saving::load_weights(model, \"" + path + "\").");
    throw ValueError("No model config found in the file at " + path + ".");
  }
  Config config;
  try {
    config = Config::parse(root.read_string_attr("model_config"));
  } catch (const nlohmann::json::parse_error& e) {
    throw ValueError("File '" + path + "': the model_config attribute is not valid JSON (" + e.what() + ")");
  }
  auto model = model_from_config(config, options);
  if (!root.has_group("model_weights"))
    throw IOError("HDF5 file '" + path + "': expected a group '/model_weights', but there is none");
  detail::read_legacy_weights(*model, root.open_group("model_weights"));
  std::optional<TrainingState> state;
  if ((training || options.compile) && root.has_attr("training_config")) {
    Config tc;
    try {
      tc = Config::parse(root.read_string_attr("training_config"));
    } catch (const nlohmann::json::parse_error& e) {
      throw ValueError("File '" + path + "': the training_config attribute is not valid JSON (" + e.what() + ")");
    }
    state = detail::training_from_legacy_config(tc);
    if (state->optimizer && root.has_group("optimizer_weights")) {
      auto values = detail::read_legacy_optimizer_weights(root);
      state->optimizer->build(model->trainable_weights());
      state->optimizer->set_weights(values);
    }
  }
  finish_load(*model, state, options, training);
  return model;
}

}  // namespace

void save_model(const Model& model, const std::string& path, const TrainingState* training) {
  check_built(model);
  TrainingState own;
  if (!training && model.compiled()) {  // a model compiled in C++ saves its own state
    own = detail::training_state_of(model);
    training = &own;
  }
  if (ends_with(path, ".keras")) return save_keras(model, path, training);
  if (ends_with(path, ".h5") || ends_with(path, ".hdf5")) return save_h5(model, path, training);
  throw ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
                   "Keras format (recommended) or a `.h5` extension. Received: filepath=" + path);
}

std::shared_ptr<Model> load_model(const std::string& path, const LoadOptions& options, TrainingState* training) {
  std::vector<char> bytes = read_file(path);
  if (detail::detect_format_of(bytes, path) == FileFormat::zip) return load_keras(std::move(bytes), path, options, training);
  return load_h5(bytes, path, options, training);
}

}  // namespace keras::saving
