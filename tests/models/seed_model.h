#pragma once
// The seed's model in C++ for the tests: Input(75) -> Dense(75, tanh, "fc1") ->
// Dense(3, tanh, "fc2") -> MyLayer("my_layer") -> Dense(1, "fc3"), and helpers to read the
// fixtures copied from ../shared/fixtures/keras into tests/data/keras.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/keras.h"

namespace seed_test {

/// out = prod(x * w_vec, axis=-1, keepdims=true); w_vec (1, input_dim) is Constant(w_init)
/// or RandomNormal(stddev=1, seed=7), trainable as asked — the fixtures' MyLayer.
class MyLayer : public keras::layers::Layer {
 public:
  MyLayer(std::optional<std::vector<double>> w_init, bool trainable_w, keras::layers::LayerOptions options = {})
      : Layer(std::move(options)), w_init_(std::move(w_init)), trainable_w_(trainable_w) {}

  void build(const keras::Shape& input_shape) override {
    keras::initializers::InitializerArg init =
        w_init_ ? keras::initializers::InitializerArg(keras::initializers::Constant(*w_init_))
                : keras::initializers::InitializerArg(keras::initializers::RandomNormal(0.0, 1.0, 7));
    w_vec_ = add_weight("w_vec", {1, input_shape[-1]}, init, trainable_w_);
  }
  keras::Tensor call(const keras::Tensor& x) override { return keras::ops::prod(x * w_vec_, -1, true); }
  keras::layers::Config get_config() const override {
    auto c = Layer::get_config();
    c["w_init"] = w_init_ ? keras::layers::Config(*w_init_) : keras::layers::Config(nullptr);
    c["trainable_w"] = trainable_w_;
    return c;
  }
  const keras::Variable& w_vec() const { return w_vec_; }

 private:
  std::optional<std::vector<double>> w_init_;
  bool trainable_w_;
  keras::Variable w_vec_;
};

inline std::filesystem::path fixture_path(const std::string& name, const std::string& file) {
  return std::filesystem::path(KERAS_SOURCE_DIR) / "tests" / "data" / "keras" / name / file;
}

inline nlohmann::json load_json(const std::string& name, const std::string& file) {
  const auto path = fixture_path(name, file);
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("Fixture file missing: " + path.string() +
                             " (copy it unchanged from ../shared/fixtures/keras/" + name + "/)");
  return nlohmann::json::parse(in);
}

inline std::string load_text(const std::string& name, const std::string& file) {
  const auto path = fixture_path(name, file);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("Fixture file missing: " + path.string());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Flattens nested JSON lists of numbers.
inline void flatten_into(const nlohmann::json& j, std::vector<float>& out) {
  if (j.is_array()) {
    for (const auto& e : j) flatten_into(e, out);
  } else {
    out.push_back(j.get<float>());
  }
}

inline keras::Tensor tensor_from_json(const nlohmann::json& data, const nlohmann::json& shape) {
  std::vector<float> values;
  flatten_into(data, values);
  return keras::Tensor::from_vector(values, keras::Shape(shape.get<std::vector<std::int64_t>>()));
}

struct SeedModel {
  std::shared_ptr<keras::Model> model;
  std::shared_ptr<MyLayer> core;
};

/// The fixture case's model ("functional" after clear_session, as in the fixtures).
inline SeedModel build_seed_model(const std::string& fixture_case, const std::string& model_name = "") {
  using keras::layers::Dense;
  using keras::layers::LayerOptions;
  using keras::layers::make;
  std::optional<std::vector<double>> w_init;
  if (fixture_case != "so_random_trainable") w_init = std::vector<double>{0, 1, 2};
  const bool trainable_w = fixture_case != "so_const_nontrainable";
  auto inp = keras::Input({75});
  keras::Tensor x = (*make<Dense>(75, "tanh", LayerOptions{.name = "fc1"}))(inp);
  x = (*make<Dense>(3, "tanh", LayerOptions{.name = "fc2"}))(x);
  auto core = make<MyLayer>(w_init, trainable_w, LayerOptions{.name = "my_layer"});
  x = (*core)(x);
  x = (*make<Dense>(1, keras::activations::ActivationArg{}, LayerOptions{.name = "fc3"}))(x);
  return {std::make_shared<keras::Model>(inp, x, model_name), core};
}

/// The fixture's weights (weights.json) in the order of io.json's weight listing.
inline std::vector<keras::Tensor> fixture_weights(const std::string& fixture_case) {
  const auto weights = load_json(fixture_case, "weights.json");
  const auto io = load_json(fixture_case, "io.json");
  std::vector<keras::Tensor> out;
  for (const auto& entry : io["weights"]) {
    const std::string path = entry["path"];
    const std::string layer = path.substr(0, path.find('/'));
    bool found = false;
    for (const auto& w : weights.at(layer))
      if (w["path"] == path) {
        out.push_back(tensor_from_json(w["data"], w["shape"]));
        found = true;
      }
    if (!found) throw std::runtime_error("weights.json has no entry " + path);
  }
  return out;
}

}  // namespace seed_test
