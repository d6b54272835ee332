// The `cnn` and `mlp_bn_dropout` fixtures against what a real Keras 3.15.1 wrote
// (tests/data/keras/<case>): weight listing, predictions with the fixture's weights (within
// 1e-5 relative) through predict and an eager call, layer configs, and summaries byte for byte.
#include <cmath>

#include "keras/layers/convolutional.h"
#include "keras/layers/normalization.h"
#include "keras/layers/pooling.h"
#include "models/seed_model.h"
#include "saving/zip_archive.h"

namespace {

using keras::layers::Ints;
using keras::layers::make;
using seed_test::load_json;
using seed_test::load_text;
using seed_test::tensor_from_json;

// Sequential([Input((10,10,2)), Conv2D(4,(3,3),relu), MaxPooling2D((2,2)),
//             Conv2D(3,(2,2),padding="same"), Flatten(), Dense(5,softmax)])
std::shared_ptr<keras::Sequential> build_cnn() {
  using namespace keras::layers;
  return std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({10, 10, 2}),
      make<Conv2D>(4, Ints{3, 3}, ConvOptions{.activation = "relu"}),
      make<MaxPooling2D>(Ints{2, 2}),
      make<Conv2D>(3, Ints{2, 2}, ConvOptions{.padding = "same"}),
      make<Flatten>(),
      make<Dense>(5, "softmax"),
  });
}

// Sequential([Input((20,)), Dense(32, relu), BatchNormalization(), Dropout(0.3),
//             Dense(16, relu), Dense(3, softmax)])
std::shared_ptr<keras::Sequential> build_mlp_bn_dropout() {
  using namespace keras::layers;
  return std::make_shared<keras::Sequential>(std::vector<keras::SequentialItem>{
      keras::Input({20}),
      make<Dense>(32, "relu"),
      make<BatchNormalization>(),
      make<Dropout>(0.3),
      make<Dense>(16, "relu"),
      make<Dense>(3, "softmax"),
  });
}

std::shared_ptr<keras::Sequential> build(const std::string& fixture) {
  keras::clear_session();
  return fixture == "cnn" ? build_cnn() : build_mlp_bn_dropout();
}

// weights.json's arrays in io.json's listing order ("sequential/<layer>/<weight>").
std::vector<keras::Tensor> fixture_weights(const std::string& fixture) {
  const auto weights = load_json(fixture, "weights.json");
  const auto io = load_json(fixture, "io.json");
  std::vector<keras::Tensor> out;
  for (const auto& entry : io["weights"]) {
    const std::string path = entry["path"];
    const auto first = path.find('/'), second = path.find('/', first + 1);
    const std::string layer = path.substr(first + 1, second - first - 1);
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

void expect_close_relative(const keras::Tensor& got, const keras::Tensor& want, double rel) {
  ASSERT_EQ(got.shape(), want.shape());
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i)
    EXPECT_LE(std::abs(g[i] - w[i]), rel * std::abs(w[i]) + 1e-12) << "element " << i << ": got " << g[i]
                                                                     << ", Keras " << w[i];
}

class ConvFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvFixture, WeightsListingMatchesKeras) {
  auto model = build(GetParam());
  const auto io = load_json(GetParam(), "io.json");
  const auto weights = model->weights();
  ASSERT_EQ(weights.size(), io["weights"].size());
  std::vector<std::string> paths;
  for (const auto& layer : model->layers())
    for (const auto& w : layer->weights()) paths.push_back(model->name() + "/" + layer->name() + "/" + w.name());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto& entry = io["weights"][i];
    EXPECT_EQ(paths[i], entry["path"].get<std::string>());
    EXPECT_EQ(weights[i].shape(), keras::Shape(entry["shape"].get<std::vector<std::int64_t>>()));
    EXPECT_EQ(weights[i].trainable(), entry["trainable"].get<bool>()) << paths[i];
  }
}

TEST_P(ConvFixture, PredictMatchesKerasWithFixtureWeights) {
  auto model = build(GetParam());
  model->set_weights(fixture_weights(GetParam()));
  const auto io = load_json(GetParam(), "io.json");
  const keras::Tensor x = tensor_from_json(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const keras::Tensor want = tensor_from_json(io["y_pred"]["data"], io["y_pred"]["shape"]);
  expect_close_relative(model->predict(x), want, 1e-5);
  expect_close_relative(model->predict(x, /*batch_size=*/3), want, 1e-5);  // plans for batches 3 and 1
  expect_close_relative((*model)(x), want, 1e-5);                          // eager, inference mode
}

TEST_P(ConvFixture, LayerConfigsMatchTheKerasFile) {
  auto model = build(GetParam());
  const auto archive = keras::saving::zip::Reader::open(seed_test::fixture_path(GetParam(), "model.keras").string());
  const auto bytes = archive.read("config.json");
  const auto config = nlohmann::ordered_json::parse(bytes.begin(), bytes.end());  // key order matters too
  const auto& layers = config["config"]["layers"];
  const auto ours = model->layers();
  ASSERT_EQ(layers.size(), ours.size() + 1);  // the file lists the InputLayer first
  for (std::size_t i = 0; i < ours.size(); ++i) {
    auto want = layers[i + 1]["config"];
    want["dtype"].erase("shared_object_id");  // a Python object id
    EXPECT_EQ(ours[i]->class_name(), layers[i + 1]["class_name"].get<std::string>());
    EXPECT_EQ(ours[i]->get_config().dump(), want.dump()) << ours[i]->name();
  }
}

TEST_P(ConvFixture, SummariesAreByteExact) {
  auto model = build(GetParam());
  keras::models::SummaryOptions wide;
  wide.terminal_columns = 200;
  EXPECT_EQ(model->summary_string(wide), load_text(GetParam(), "summary.txt"));
  keras::models::SummaryOptions console80;
  console80.terminal_columns = 80;
  EXPECT_EQ(model->summary_string(console80), load_text(GetParam(), "summary_80col.txt"));
  keras::models::SummaryOptions trainable = wide;
  trainable.show_trainable = true;
  EXPECT_EQ(model->summary_string(trainable), load_text(GetParam(), "summary_trainable.txt"));
}

INSTANTIATE_TEST_SUITE_P(Keras, ConvFixture, ::testing::Values("cnn", "mlp_bn_dropout"));

}  // namespace
