#pragma once
// The fixture cases' models built in C++ (shared/fixtures/keras/README.md), for loading the
// weights Keras wrote into them.
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "keras/keras.h"
#include "keras/layers/convolutional.h"
#include "keras/layers/embedding.h"
#include "keras/layers/recurrent.h"
#include "keras/layers/normalization.h"
#include "keras/layers/pooling.h"
#include "models/seed_model.h"
#include "saving/saving_test_util.h"

namespace keras::saving::test {

inline std::shared_ptr<Model> build_fixture_model(const std::string& name) {
  using namespace keras::layers;
  clear_session();
  if (name.rfind("so_", 0) == 0) return seed_test::build_seed_model(name).model;
  if (name == "mlp_bn_dropout") {
    return std::make_shared<Sequential>(std::vector<SequentialItem>{
        Input({20}), make<Dense>(32, "relu"), make<BatchNormalization>(), make<Dropout>(0.3), make<Dense>(16, "relu"),
        make<Dense>(3, "softmax")});
  }
  if (name == "cnn") {
    return std::make_shared<Sequential>(std::vector<SequentialItem>{
        Input({10, 10, 2}), make<Conv2D>(4, Ints{3, 3}, ConvOptions{.activation = "relu"}), make<MaxPooling2D>(Ints{2, 2}),
        make<Conv2D>(3, Ints{2, 2}, ConvOptions{.padding = "same"}), make<Flatten>(), make<Dense>(5, "softmax")});
  }
  if (name == "embedding_lstm") {
    return std::make_shared<Sequential>(std::vector<SequentialItem>{
        Input({7}, DType::int32), make<Embedding>(30, 6), make<LSTM>(5), make<Dense>(1, "sigmoid")});
  }
  if (name == "lambda_model") {
    auto lambda = make<Lambda>([](const Tensor& t) { return t * 2.0f + 1.0f; }, LayerOptions{.name = "scale_shift"});
    lambda->function_name = "scale_shift";
    return std::make_shared<Sequential>(std::vector<SequentialItem>{
        Input({4}), make<Dense>(3, activations::ActivationArg{}, LayerOptions{.name = "d1"}), lambda,
        make<Dense>(1, activations::ActivationArg{}, LayerOptions{.name = "d2"})});
  }
  return nullptr;  // a case whose layers keras.cpp does not have yet
}

/// The cases whose models can be built in C++ today.
inline std::vector<std::string> buildable_cases() {
  std::vector<std::string> out;
  for (const auto& c : fixture_cases())
    if (build_fixture_model(c)) out.push_back(c);
  return out;
}

}  // namespace keras::saving::test
