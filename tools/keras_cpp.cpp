// keras-cpp: the command line for people who just have a model file.
//
//   keras-cpp summary FILE [--classic] [--show-trainable] [--line-length N] [--config CONFIG.json]
//   keras-cpp predict FILE IN.npy [IN2.npy ...] -o OUT.npy [-o OUT2.npy ...] [--batch-size N]
//                     [--config CONFIG.json]
//   keras-cpp convert IN OUT [--config CONFIG.json]
//
// FILE is a `.keras` archive or a legacy `.h5` model (recognized by content), or a
// `.weights.h5` file together with --config (the JSON of model.to_json()). Inputs are .npy
// arrays (float32/float64/int32/...), one per model input in the model's input order; the
// outputs are written as float32 .npy. `convert` goes between .keras, .h5 and .weights.h5
// (+ a JSON config written next to it, or where --config says).
//
// Errors go to stderr with exit status 1 (2 for a usage error); nothing is ever left
// half-written.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keras/data/io.h"
#include "keras/keras.h"
#include "keras/ops/ops.h"
#include "keras/saving/saving.h"
#include "keras/saving/serialization.h"

namespace {

namespace saving = keras::saving;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kUsage =
    "usage:\n"
    "  keras-cpp summary FILE [--classic] [--show-trainable] [--line-length N] [--config CONFIG.json]\n"
    "  keras-cpp predict FILE IN.npy [IN2.npy ...] -o OUT.npy [-o OUT2.npy ...] [--batch-size N]\n"
    "                    [--config CONFIG.json]\n"
    "  keras-cpp convert IN OUT [--config CONFIG.json]\n"
    "FILE: a .keras or legacy .h5 model, or a .weights.h5 file with --config (a model.to_json() file).\n";

struct Args {
  std::string command;
  std::vector<std::string> positional;
  std::vector<std::string> outputs;
  std::optional<std::string> config;
  bool classic = false, show_trainable = false;
  int line_length = -1, batch_size = 32;
};

int to_int(const std::string& flag, const std::string& value) {
  try {
    std::size_t used = 0;
    int v = std::stoi(value, &used);
    if (used != value.size() || v <= 0) throw std::invalid_argument(value);
    return v;
  } catch (const std::exception&) {
    throw UsageError(flag + " expects a positive integer. Received: " + value);
  }
}

Args parse(int argc, char** argv) {
  if (argc < 2) throw UsageError("missing command");
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "-o" || arg == "--output") a.outputs.push_back(value());
    else if (arg == "--config") a.config = value();
    else if (arg == "--classic") a.classic = true;
    else if (arg == "--show-trainable") a.show_trainable = true;
    else if (arg == "--line-length") a.line_length = to_int(arg, value());
    else if (arg == "--batch-size") a.batch_size = to_int(arg, value());
    else if (arg.size() > 1 && arg[0] == '-') throw UsageError("unknown option " + arg);
    else a.positional.push_back(arg);
  }
  return a;
}

std::string read_text(const std::string& path) {
  std::vector<char> bytes;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw keras::IOError("Cannot open '" + path + "'");
  char buf[1 << 16];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return std::string(bytes.begin(), bytes.end());
}

// The model in FILE (with its training state, for convert), or from --config + weights.
std::shared_ptr<keras::Model> open_model(const std::string& path, const std::optional<std::string>& config,
                                         saving::TrainingState* training = nullptr) {
  if (config) {
    auto model = saving::model_from_json(read_text(*config));
    saving::LoadWeightsOptions o;
    saving::load_weights(*model, path, o);
    return model;
  }
  try {
    try {
      return saving::load_model(path, {}, training);
    } catch (const keras::NotImplementedError& e) {
      // The model is fine; only its training configuration cannot be restored here.
      std::cerr << "keras-cpp: warning: loading without the training configuration: " << e.what() << "\n";
      saving::LoadOptions no_compile;
      no_compile.compile = false;
      return saving::load_model(path, no_compile, training);
    }
  } catch (const keras::ValueError& e) {
    if (std::string(e.what()).find("holds only weights") == std::string::npos) throw;
    throw keras::ValueError("'" + path + "' holds only weights. Give the model's JSON config with --config CONFIG.json.");
  }
}

void write_text(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0)
    throw keras::IOError("Cannot write '" + path + "'");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int summary(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("summary takes one FILE");
  auto model = open_model(a.positional[0], a.config);
  keras::models::SummaryOptions o;
  o.classic = a.classic;
  o.show_trainable = a.show_trainable;
  o.line_length = a.line_length;
  std::cout << model->summary_string(o);
  return 0;
}

int predict(const Args& a) {
  if (a.positional.size() < 2) throw UsageError("predict takes FILE and at least one IN.npy");
  if (a.outputs.empty()) throw UsageError("predict needs -o OUT.npy");
  auto model = open_model(a.positional[0], a.config);
  const auto& model_inputs = model->inputs();
  std::vector<keras::Tensor> xs;
  for (std::size_t i = 1; i < a.positional.size(); ++i) xs.push_back(keras::data::load_npy(a.positional[i]));
  if (xs.size() != model_inputs.size())
    throw keras::ValueError("Model '" + model->name() + "' expects " + std::to_string(model_inputs.size()) +
                            " input(s), in this order. Received: " + std::to_string(xs.size()) + " .npy file(s)");
  for (std::size_t i = 0; i < xs.size(); ++i)
    if (xs[i].dtype() != model_inputs[i].dtype()) xs[i] = keras::ops::cast(xs[i], model_inputs[i].dtype());
  auto outs = model->predict(xs, a.batch_size);
  std::vector<std::string> paths = a.outputs;
  if (paths.size() == 1 && outs.size() > 1) {  // out.npy -> out_0.npy, out_1.npy, ...
    std::string stem = ends_with(paths[0], ".npy") ? paths[0].substr(0, paths[0].size() - 4) : paths[0];
    paths.clear();
    for (std::size_t i = 0; i < outs.size(); ++i) paths.push_back(stem + "_" + std::to_string(i) + ".npy");
  }
  if (paths.size() != outs.size())
    throw UsageError("the model has " + std::to_string(outs.size()) + " outputs; give one -o, or one per output");
  for (std::size_t i = 0; i < outs.size(); ++i) {
    keras::Tensor y = outs[i].dtype() == keras::DType::float32 ? outs[i] : keras::ops::cast(outs[i], keras::DType::float32);
    keras::data::save_npy(paths[i], y);
  }
  return 0;
}

int convert(const Args& a) {
  if (a.positional.size() != 2) throw UsageError("convert takes IN and OUT");
  const std::string& in = a.positional[0];
  const std::string& out = a.positional[1];
  saving::TrainingState training;
  auto model = open_model(in, ends_with(out, ".weights.h5") ? std::nullopt : a.config, &training);
  const saving::TrainingState* state = training.optimizer ? &training : nullptr;
  if (ends_with(out, ".weights.h5")) {
    saving::save_weights(*model, out, state ? state->optimizer.get() : nullptr);
    std::string config = a.config ? *a.config : out.substr(0, out.size() - std::string(".weights.h5").size()) + ".json";
    write_text(config, saving::to_json(*model));
    std::cerr << "keras-cpp: wrote " << out << " and its config " << config << "\n";
  } else {
    saving::save_model(*model, out, state);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    if (a.command == "summary") return summary(a);
    if (a.command == "predict") return predict(a);
    if (a.command == "convert") return convert(a);
    if (a.command == "-h" || a.command == "--help" || a.command == "help") {
      std::cout << kUsage;
      return 0;
    }
    throw UsageError("unknown command '" + a.command + "'");
  } catch (const UsageError& e) {
    std::cerr << "keras-cpp: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "keras-cpp: error: " << e.what() << "\n";
    return 1;
  } catch (...) {
    std::cerr << "keras-cpp: error: unknown failure\n";
    return 1;
  }
}
