// The `embedding_lstm` fixture against what a real Keras 3.15.1 wrote
// (tests/data/keras/embedding_lstm): Sequential([Input((7,), int32), Embedding(30, 6), LSTM(5),
// Dense(1, sigmoid)]). Weight listing, predictions with the fixture's weights (1e-5 relative),
// layer configs, summaries byte for byte, and the 5-step SGD / Adam trajectories and the
// 2-epoch fit through the fused LSTM op's backward pass (1e-4 relative on the losses).
#include <cmath>

#include "keras/data/io.h"
#include "keras/data/utils.h"
#include "keras/layers/embedding.h"
#include "keras/layers/recurrent.h"
#include "models/seed_model.h"
#include "saving/zip_archive.h"

namespace {

using keras::Tensor;
using seed_test::load_json;
using seed_test::load_text;
using seed_test::tensor_from_json;

const std::string kCase = "embedding_lstm";

std::shared_ptr<keras::Sequential> build_model() {
  keras::clear_session();
  using namespace keras::layers;
  return std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({7}, keras::DType::int32),
      make<Embedding>(30, 6),
      make<LSTM>(5),
      make<Dense>(1, "sigmoid"),
  });
}

// The path Keras lists for each weight: model/layer[/cell]/weight.
std::vector<std::string> weight_paths(const keras::Sequential& model) {
  std::vector<std::string> paths;
  for (const auto& layer : model.layers()) {
    std::string prefix = model.name() + "/" + layer->name() + "/";
    if (auto rnn = std::dynamic_pointer_cast<keras::layers::RNN>(layer)) prefix += rnn->cell()->name() + "/";
    for (const auto& w : layer->weights()) paths.push_back(prefix + w.name());
  }
  return paths;
}

// weights.json's arrays in io.json's listing order.
std::vector<Tensor> fixture_weights() {
  const auto weights = load_json(kCase, "weights.json");
  const auto io = load_json(kCase, "io.json");
  std::vector<Tensor> out;
  for (const auto& entry : io["weights"]) {
    const std::string path = entry["path"];
    const auto first = path.find('/'), second = path.find('/', first + 1);
    const std::string layer = path.substr(first + 1, second - first - 1);
    for (const auto& w : weights.at(layer))
      if (w["path"] == path) out.push_back(tensor_from_json(w["data"], w["shape"]));
  }
  if (out.size() != io["weights"].size()) throw std::runtime_error("weights.json misses entries of io.json");
  return out;
}

Tensor int_tensor(const nlohmann::json& data, const nlohmann::json& shape) {
  return keras::ops::cast(tensor_from_json(data, shape), keras::DType::int32);
}

void expect_close_relative(const Tensor& got, const Tensor& want, double rel) {
  ASSERT_EQ(got.shape(), want.shape());
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i)
    EXPECT_LE(std::abs(g[i] - w[i]), rel * std::abs(w[i]) + 1e-12) << "element " << i << ": got " << g[i]
                                                                     << ", Keras " << w[i];
}

TEST(EmbeddingLstmFixture, WeightsListingMatchesKeras) {
  auto model = build_model();
  const auto io = load_json(kCase, "io.json");
  const auto weights = model->weights();
  const auto paths = weight_paths(*model);
  ASSERT_EQ(weights.size(), io["weights"].size());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto& entry = io["weights"][i];
    EXPECT_EQ(paths[i], entry["path"].get<std::string>());
    EXPECT_EQ(weights[i].shape(), keras::Shape(entry["shape"].get<std::vector<std::int64_t>>()));
    EXPECT_EQ(weights[i].trainable(), entry["trainable"].get<bool>()) << paths[i];
  }
  EXPECT_EQ(model->count_params(), 426);
}

TEST(EmbeddingLstmFixture, InitialWeightsFollowKerasInitializers) {
  auto model = build_model();
  const auto lstm = std::dynamic_pointer_cast<keras::layers::LSTM>(model->layers()[1]);
  ASSERT_TRUE(lstm);
  const auto& cell = static_cast<const keras::layers::LSTMCell&>(*lstm->cell());
  // unit_forget_bias: zeros, ones for the forget gate, zeros.
  const auto bias = cell.bias().value().to_vector<float>();
  for (int j = 0; j < 20; ++j) EXPECT_EQ(bias[j], (j >= 5 && j < 10) ? 1.0f : 0.0f) << j;
  // Orthogonal recurrent kernel (5, 20): its rows are orthonormal.
  const Tensor u = cell.recurrent_kernel().value();
  const auto gram = keras::ops::matmul(u, keras::ops::transpose(u)).to_vector<float>();
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) EXPECT_NEAR(gram[i * 5 + j], i == j ? 1.0f : 0.0f, 1e-5);
  // Embedding's "uniform": within (-0.05, 0.05).
  for (float v : model->layers()[0]->weights()[0].value().to_vector<float>()) EXPECT_LT(std::abs(v), 0.05f);
}

TEST(EmbeddingLstmFixture, PredictMatchesKerasWithFixtureWeights) {
  auto model = build_model();
  model->set_weights(fixture_weights());
  const auto io = load_json(kCase, "io.json");
  const Tensor x = int_tensor(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const Tensor want = tensor_from_json(io["y_pred"]["data"], io["y_pred"]["shape"]);
  expect_close_relative(model->predict(x), want, 1e-5);
  expect_close_relative(model->predict(x, /*batch_size=*/3), want, 1e-5);  // plans for batches 3 and 1
  expect_close_relative((*model)(x), want, 1e-5);                          // eager
  // The .npy input (int32) gives the same.
  expect_close_relative(model->predict(keras::data::load_npy(seed_test::fixture_path(kCase, "x.npy").string())), want,
                        1e-5);
}

TEST(EmbeddingLstmFixture, LayerConfigsMatchTheKerasFile) {
  auto model = build_model();
  const auto archive = keras::saving::zip::Reader::open(seed_test::fixture_path(kCase, "model.keras").string());
  const auto bytes = archive.read("config.json");
  const auto config = nlohmann::ordered_json::parse(bytes.begin(), bytes.end());
  const auto& layers = config["config"]["layers"];
  const auto ours = model->layers();
  ASSERT_EQ(layers.size(), ours.size() + 1);
  for (std::size_t i = 0; i < ours.size(); ++i) {
    auto want = layers[i + 1]["config"];
    want["dtype"].erase("shared_object_id");
    // Python object ids, not part of the layer's config.
    for (auto& [key, value] : want.items())
      if (value.is_object()) value.erase("shared_object_id");
    EXPECT_EQ(ours[i]->class_name(), layers[i + 1]["class_name"].get<std::string>());
    EXPECT_EQ(ours[i]->get_config().dump(), want.dump()) << ours[i]->name();
  }
}

TEST(EmbeddingLstmFixture, SummariesAreByteExact) {
  auto model = build_model();
  keras::models::SummaryOptions wide;
  wide.terminal_columns = 200;
  EXPECT_EQ(model->summary_string(wide), load_text(kCase, "summary.txt"));
  keras::models::SummaryOptions console80;
  console80.terminal_columns = 80;
  EXPECT_EQ(model->summary_string(console80), load_text(kCase, "summary_80col.txt"));
  keras::models::SummaryOptions trainable = wide;
  trainable.show_trainable = true;
  EXPECT_EQ(model->summary_string(trainable), load_text(kCase, "summary_trainable.txt"));
}

// One compiled train_on_batch step: forward, binary cross-entropy, gradients through the fused
// LSTM's backward op, optimizer update. Returns the pre-update loss.
keras::Function make_train_step(keras::Sequential& model, keras::optimizers::Optimizer& opt, const keras::losses::Loss& loss,
                                keras::metrics::Mean* tracker = nullptr) {
  return keras::Function([&model, &opt, &loss, tracker](const std::vector<Tensor>& in) {
    const Tensor value = loss(in[1], model(in[0], true));
    const auto vars = model.trainable_weights();
    std::vector<Tensor> sources(vars.begin(), vars.end());
    opt.apply_gradients(keras::gradients(value, sources), vars);
    if (tracker) tracker->update_state(value, Tensor::scalar(static_cast<double>(in[0].shape()[0])));
    return std::vector<Tensor>{value};
  });
}

std::unique_ptr<keras::optimizers::Optimizer> optimizer_from(const nlohmann::json& train) {
  const auto& c = train["optimizer"]["config"];
  const double lr = c["learning_rate"].get<double>();
  if (train["optimizer"]["class_name"] == "SGD") return std::make_unique<keras::optimizers::SGD>(lr);
  return std::make_unique<keras::optimizers::Adam>(lr, c["beta_1"].get<double>(), c["beta_2"].get<double>(),
                                                   c["epsilon"].get<double>());
}

class EmbeddingLstmTraining : public ::testing::TestWithParam<std::string> {};

TEST_P(EmbeddingLstmTraining, FiveStepsMatchKeras) {
  const auto train = load_json(kCase, GetParam());
  auto model = build_model();
  model->set_weights(fixture_weights());
  auto opt = optimizer_from(train);
  auto loss = keras::losses::get(train["loss"].get<std::string>());
  keras::Function step = make_train_step(*model, *opt, *loss);
  const Tensor x = keras::ops::cast(tensor_from_json(train["x_batch_data"][0], nlohmann::json::array({4, 7})),
                                    keras::DType::int32);
  const Tensor y = tensor_from_json(train["y_batch_data"], nlohmann::json::array({4, 1}));
  const auto expected = train["losses_per_step"].get<std::vector<double>>();
  for (std::size_t s = 0; s < expected.size(); ++s) {
    const double got = step({x, y})[0].item();
    EXPECT_LE(std::abs(got - expected[s]), 1e-4 * std::abs(expected[s])) << GetParam() << " step " << s << ": " << got
                                                                          << " vs Keras " << expected[s];
  }
  EXPECT_EQ(step.num_traces(), 1);
  // Predictions with the updated weights on x.npy.
  const auto io = load_json(kCase, "io.json");
  const Tensor x_eval = int_tensor(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const Tensor want = tensor_from_json(train["y_pred_after_on_x_data"], nlohmann::json::array({4, 1}));
  expect_close_relative(model->predict(x_eval), want, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Keras, EmbeddingLstmTraining, ::testing::Values("train_sgd.json", "train_adam.json"));

TEST(EmbeddingLstmTraining, FitEpochLossesMatchKeras) {
  const auto fit = load_json(kCase, "fit.json");
  auto model = build_model();
  model->set_weights(fixture_weights());
  keras::optimizers::SGD sgd(fit["optimizer"]["config"]["learning_rate"].get<double>());
  auto loss = keras::losses::get(fit["loss"].get<std::string>());
  keras::metrics::Mean tracker("loss");
  keras::Function step = make_train_step(*model, sgd, *loss, &tracker);
  const Tensor x = keras::data::load_npy(seed_test::fixture_path(kCase, "x_train.npy").string(), keras::DType::int32);
  const Tensor y = keras::data::load_npy(seed_test::fixture_path(kCase, "y_train.npy").string(), keras::DType::float32);
  const auto batch_size = fit["batch_size"].get<std::int64_t>();
  std::vector<double> history;
  for (int epoch = 0; epoch < fit["epochs"].get<int>(); ++epoch) {
    tracker.reset_state();
    for (auto [begin, end] : keras::data::batch_ranges(x.shape()[0], batch_size))
      step({keras::data::slice_rows(x, begin, end), keras::data::slice_rows(y, begin, end)});
    history.push_back(tracker.result().item());
  }
  const auto want = fit["history"]["loss"].get<std::vector<double>>();
  ASSERT_EQ(history.size(), want.size());
  for (std::size_t e = 0; e < want.size(); ++e)
    EXPECT_LE(std::abs(history[e] - want[e]), 1e-4 * std::abs(want[e])) << "epoch " << e;
}

}  // namespace
