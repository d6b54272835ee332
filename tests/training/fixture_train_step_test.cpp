// The training pieces end to end in one compiled step, against what Keras 3.15.1 recorded
// for the motivating model (fixtures so_*): forward -> MeanSquaredError -> keras::gradients ->
// SGD/Adam apply_gradients (and the loss tracker), traced once per batch size by
// keras::Function. The model is written with ops here, so this needs no layer code.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "keras/data/io.h"
#include "keras/data/utils.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/layers/layer.h"
#include "keras/ops/ops.h"
#include "keras/training/losses.h"
#include "keras/training/metrics.h"
#include "keras/training/optimizers.h"
#include "test_util.h"

namespace keras {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;
using namespace training_test;

// The project's copy (tests/data/keras) first, then the shared fixture folder.
std::string fixture(const std::string& case_name, const std::string& file) {
  for (const fs::path& root : {fs::path(KERAS_SOURCE_DIR) / "tests" / "data" / "keras",
                              fs::path(KERAS_SOURCE_DIR) / ".." / "shared" / "fixtures" / "keras"}) {
    const fs::path p = root / case_name / file;
    if (fs::exists(p)) return p.string();
  }
  return "";
}

#define REQUIRE_FIXTURE(var, case_name, file)                                                           \
  const std::string var = fixture(case_name, file);                                                     \
  if (var.empty())                                                                                      \
    GTEST_SKIP() << "fixture missing: " << case_name << "/" << file                                     \
                 << " (looked in tests/data/keras and ../shared/fixtures/keras)";

nlohmann::ordered_json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::ordered_json::parse(in);
}

Tensor tensor_from_nested(const json& rows) {
  std::vector<float> values;
  for (const auto& row : rows)
    for (const auto& v : row) values.push_back(v.get<float>());
  return Tensor::from_vector(values, Shape{static_cast<std::int64_t>(rows.size()),
                                           static_cast<std::int64_t>(rows[0].size())});
}

// Input 75 -> Dense 75 tanh (fc1) -> Dense 3 tanh (fc2) -> prod(x * w_vec, -1) (my_layer) ->
// Dense 1 (fc3), with the weights of weights.json.
struct SeedModel {
  std::vector<Variable> weights;  // Keras's model.weights order
  explicit SeedModel(const json& j) {
    for (const char* layer : {"fc1", "fc2", "my_layer", "fc3"})
      for (const auto& w : j[layer]) {
        std::vector<float> data = w["data"].get<std::vector<float>>();
        weights.emplace_back(Tensor::from_vector(data, Shape(w["shape"].get<std::vector<std::int64_t>>())),
                             w["path"].get<std::string>(), w["trainable"].get<bool>());
      }
  }
  Tensor operator()(const Tensor& x) const {
    Tensor h = ops::tanh(ops::add(ops::matmul(x, weights[0]), weights[1]));
    h = ops::tanh(ops::add(ops::matmul(h, weights[2]), weights[3]));
    h = ops::prod(ops::multiply(h, weights[4]), -1, /*keepdims=*/true);
    return ops::add(ops::matmul(h, weights[5]), weights[6]);
  }
  std::vector<Variable> trainable() const {
    std::vector<Variable> out;
    for (const auto& w : weights)
      if (w.trainable()) out.push_back(w);
    return out;
  }
  std::vector<Tensor> trainable_tensors() const {
    std::vector<Tensor> out;
    for (const auto& w : trainable()) out.push_back(w);
    return out;
  }
};

// train_on_batch's step: returns the pre-update loss; the Plan assigns the new weights.
Function make_train_step(SeedModel& model, optimizers::Optimizer& opt, const losses::Loss& loss,
                         metrics::Mean* tracker = nullptr) {
  return Function([&model, &opt, &loss, tracker](const std::vector<Tensor>& in) {
    Tensor value = loss(in[1], model(in[0]));
    opt.apply_gradients(gradients(value, model.trainable_tensors()), model.trainable());
    if (tracker) tracker->update_state(value, Tensor::scalar(static_cast<double>(in[0].shape()[0])));
    return std::vector<Tensor>{value};
  });
}

class FixtureTrainStep : public ::testing::TestWithParam<std::string> {};

void check_train_on_batch(const std::string& case_name, const std::string& json_file) {
  REQUIRE_FIXTURE(weights_path, case_name, "weights.json");
  REQUIRE_FIXTURE(train_path, case_name, json_file);
  REQUIRE_FIXTURE(x_path, case_name, "x.npy");
  const json train = read_json(train_path);
  SeedModel model(read_json(weights_path));
  std::unique_ptr<optimizers::Optimizer> opt;
  const json& config = train["optimizer"]["config"];
  const double lr = config["learning_rate"].get<double>();
  if (train["optimizer"]["class_name"] == "SGD") opt = std::make_unique<optimizers::SGD>(lr);
  else opt = std::make_unique<optimizers::Adam>(lr, config["beta_1"].get<double>(), config["beta_2"].get<double>(),
                                                config["epsilon"].get<double>());
  auto loss = losses::get(train["loss"].get<std::string>());
  Function step = make_train_step(model, *opt, *loss);
  Tensor x = tensor_from_nested(train["x_batch_data"][0]), y = tensor_from_nested(train["y_batch_data"]);
  const auto expected = train["losses_per_step"].get<std::vector<double>>();
  for (std::size_t s = 0; s < expected.size(); ++s) {
    const double got = step({x, y})[0].item();
    EXPECT_TRUE(close_to(got, expected[s], 1e-5, 1e-9)) << case_name << " " << json_file << " step " << s;
  }
  EXPECT_EQ(step.num_traces(), 1);
  EXPECT_EQ(opt->iterations().item(), static_cast<double>(expected.size()));
  // Predictions after the 5 updates, on the fixture's x.npy.
  Tensor after = model(data::load_npy(x_path));
  std::vector<double> want;
  for (const auto& row : train["y_pred_after_on_x_data"]) want.push_back(row[0].get<double>());
  EXPECT_TRUE(close_to(after, want, 1e-5, 1e-7)) << case_name << " " << json_file;
}

TEST_P(FixtureTrainStep, SgdStepsMatchKeras) { check_train_on_batch(GetParam(), "train_sgd.json"); }
TEST_P(FixtureTrainStep, AdamStepsMatchKeras) { check_train_on_batch(GetParam(), "train_adam.json"); }

TEST_P(FixtureTrainStep, FitEpochLossesMatchKeras) {
  const std::string case_name = GetParam();
  REQUIRE_FIXTURE(weights_path, case_name, "weights.json");
  REQUIRE_FIXTURE(fit_path, case_name, "fit.json");
  REQUIRE_FIXTURE(x_path, case_name, "x_train.npy");
  REQUIRE_FIXTURE(y_path, case_name, "y_train.npy");
  const json fit = read_json(fit_path);
  SeedModel model(read_json(weights_path));
  optimizers::SGD sgd(fit["optimizer"]["config"]["learning_rate"].get<double>());
  auto loss = losses::get(fit["loss"].get<std::string>());
  metrics::Mean tracker("loss");
  Function step = make_train_step(model, sgd, *loss, &tracker);  // the tracker updates inside the Plan
  Tensor x = data::load_npy(x_path), y = data::load_npy(y_path);
  const auto batch_size = fit["batch_size"].get<std::int64_t>();
  std::vector<double> history;
  for (int epoch = 0; epoch < fit["epochs"].get<int>(); ++epoch) {
    tracker.reset_state();
    for (auto [begin, end] : data::batch_ranges(x.shape()[0], batch_size))
      step({data::slice_rows(x, begin, end), data::slice_rows(y, begin, end)});
    history.push_back(tracker.result().item());
  }
  EXPECT_EQ(step.num_traces(), 2);  // batch sizes 4 and 2
  EXPECT_TRUE(close_to(Tensor::from_vector(history, Shape{2}), fit["history"]["loss"].get<std::vector<double>>(), 1e-5,
                       1e-9))
      << case_name;
}

TEST(FixtureConfigs, OptimizerConfigsEqualKerasCompileConfig) {
  REQUIRE_FIXTURE(sgd_path, "so_const_nontrainable", "train_sgd.json");
  REQUIRE_FIXTURE(adam_path, "so_const_nontrainable", "train_adam.json");
  clear_session();
  optimizers::SGD sgd(0.05);
  optimizers::Adam adam(0.01);
  // Same keys, order and values (learning_rate float32-rounded) as Keras 3.15.1 wrote.
  EXPECT_EQ(sgd.get_config().dump(), read_json(sgd_path)["optimizer"]["config"].dump());
  EXPECT_EQ(adam.get_config().dump(), read_json(adam_path)["optimizer"]["config"].dump());
}

INSTANTIATE_TEST_SUITE_P(SeedCases, FixtureTrainStep,
                         ::testing::Values("so_const_nontrainable", "so_const_trainable", "so_random_trainable"));

}  // namespace
}  // namespace keras
