// The `cnn` fixture's 5 train_on_batch steps (SGD lr 0.05 and Adam lr 0.01, categorical
// cross-entropy, the first 4 training samples every step) through the C++ layers in one
// compiled step: per-step losses and the predictions after training within 1e-4 relative of
// what Keras 3.15.1 recorded. This checks the Conv2D / MaxPooling2D gradients against Keras.
#include <cmath>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/layers/convolutional.h"
#include "keras/layers/pooling.h"
#include "keras/training/losses.h"
#include "keras/training/optimizers.h"
#include "models/seed_model.h"

namespace {

using keras::Tensor;
using keras::layers::Ints;
using seed_test::load_json;
using seed_test::tensor_from_json;

std::shared_ptr<keras::Sequential> build_cnn_with_fixture_weights() {
  using namespace keras::layers;
  keras::clear_session();
  auto model = std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({10, 10, 2}),
      make<Conv2D>(4, Ints{3, 3}, ConvOptions{.activation = "relu"}),
      make<MaxPooling2D>(Ints{2, 2}),
      make<Conv2D>(3, Ints{2, 2}, ConvOptions{.padding = "same"}),
      make<Flatten>(),
      make<Dense>(5, "softmax"),
  });
  const auto weights = load_json("cnn", "weights.json");
  std::vector<Tensor> values;
  for (const char* layer : {"conv2d", "conv2d_1", "dense"})
    for (const auto& w : weights.at(layer)) values.push_back(tensor_from_json(w["data"], w["shape"]));
  model->set_weights(values);
  return model;
}

Tensor nested_to_tensor(const nlohmann::json& data) {
  // Shape from the nesting depth and first elements.
  std::vector<std::int64_t> shape;
  for (const nlohmann::json* j = &data; j->is_array(); j = &(*j)[0]) shape.push_back(static_cast<std::int64_t>(j->size()));
  return tensor_from_json(data, nlohmann::json(shape));
}

void check_steps(const std::string& file) {
  const auto train = load_json("cnn", file);
  auto model = build_cnn_with_fixture_weights();
  const auto& config = train["optimizer"]["config"];
  const double lr = config["learning_rate"].get<double>();
  std::unique_ptr<keras::optimizers::Optimizer> opt;
  if (train["optimizer"]["class_name"] == "SGD") opt = std::make_unique<keras::optimizers::SGD>(lr);
  else opt = std::make_unique<keras::optimizers::Adam>(lr, config["beta_1"].get<double>(), config["beta_2"].get<double>(),
                                                       config["epsilon"].get<double>());
  auto loss = keras::losses::get(train["loss"].get<std::string>());
  std::vector<keras::Variable> vars = model->trainable_weights();
  std::vector<Tensor> sources(vars.begin(), vars.end());
  keras::Function step([&](const std::vector<Tensor>& in) {
    Tensor value = (*loss)(in[1], (*model)(in[0], /*training=*/true));
    opt->apply_gradients(keras::gradients(value, sources), vars);
    return std::vector<Tensor>{value};
  });
  const Tensor x = nested_to_tensor(train["x_batch_data"][0]);
  const Tensor y = nested_to_tensor(train["y_batch_data"]);
  const auto expected = train["losses_per_step"].get<std::vector<double>>();
  for (std::size_t s = 0; s < expected.size(); ++s) {
    const double got = step({x, y})[0].item();
    EXPECT_LE(std::abs(got - expected[s]), 1e-4 * std::abs(expected[s])) << file << " step " << s << ": " << got
                                                                           << " vs Keras " << expected[s];
  }
  EXPECT_EQ(step.num_traces(), 1);
  const auto io = load_json("cnn", "io.json");
  const Tensor x_fixture = tensor_from_json(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const auto after = model->predict(x_fixture).front().to_vector<double>();
  std::vector<double> want;
  for (const auto& row : train["y_pred_after_on_x_data"])
    for (const auto& v : row) want.push_back(v.get<double>());
  ASSERT_EQ(after.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i)
    EXPECT_LE(std::abs(after[i] - want[i]), 1e-4 * std::abs(want[i]) + 1e-7) << file << " prediction " << i;
}

TEST(CnnFixtureTraining, SgdStepsMatchKeras) { check_steps("train_sgd.json"); }
TEST(CnnFixtureTraining, AdamStepsMatchKeras) { check_steps("train_adam.json"); }

}  // namespace
