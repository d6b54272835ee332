// The seed's three models against what a real Keras 3.15.1 wrote (tests/data/keras/so_*):
// the weights listing, predictions on the fixture batch and the summaries.
#include <cmath>
#include <sstream>

#include "seed_model.h"

namespace {

using seed_test::build_seed_model;
using seed_test::fixture_weights;
using seed_test::load_json;
using seed_test::load_text;

class SoFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { keras::clear_session(); }
};

TEST_P(SoFixture, WeightsListingMatchesKerasOrderShapesAndTrainable) {
  auto seed = build_seed_model(GetParam());
  const auto io = load_json(GetParam(), "io.json");
  const auto weights = seed.model->weights();
  ASSERT_EQ(weights.size(), io["weights"].size());
  // Each weight must sit in a layer whose weights, in order, match the listing: layer/name.
  std::vector<std::string> paths;
  for (const auto& layer : seed.model->layers())
    for (const auto& w : layer->weights()) paths.push_back(layer->name() + "/" + w.name());
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const auto& entry = io["weights"][i];
    EXPECT_EQ(paths[i], entry["path"].get<std::string>());
    EXPECT_EQ(weights[i].shape(), keras::Shape(entry["shape"].get<std::vector<std::int64_t>>()));
    EXPECT_EQ(weights[i].trainable(), entry["trainable"].get<bool>()) << paths[i];
  }
  EXPECT_EQ(seed.model->count_params(), 5933);
}

TEST_P(SoFixture, PredictMatchesKerasWithFixtureWeights) {
  auto seed = build_seed_model(GetParam());
  seed.model->set_weights(fixture_weights(GetParam()));
  const auto io = load_json(GetParam(), "io.json");
  const auto& input = io["inputs"][0];
  const keras::Tensor x = seed_test::tensor_from_json(input["data"], input["shape"]);
  const keras::Tensor y = seed.model->predict(x);
  const keras::Tensor expected = seed_test::tensor_from_json(io["y_pred"]["data"], io["y_pred"]["shape"]);
  ASSERT_EQ(y.shape(), expected.shape());
  const auto got = y.to_vector<double>();
  const auto want = expected.to_vector<double>();
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_LE(std::abs(got[i] - want[i]), 1e-5 * std::abs(want[i]) + 1e-12)
        << "sample " << i << ": got " << got[i] << ", Keras " << want[i];

  // Small batches run other compiled plans (batch 3, then the last batch of 1): same values.
  const keras::Tensor y_small = seed.model->predict(x, /*batch_size=*/3);
  const auto got_small = y_small.to_vector<double>();
  ASSERT_EQ(got_small.size(), got.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got_small[i], got[i], 1e-6 * std::abs(got[i]) + 1e-12);
}

TEST_P(SoFixture, EagerCallMatchesPredict) {
  auto seed = build_seed_model(GetParam());
  seed.model->set_weights(fixture_weights(GetParam()));
  const auto io = load_json(GetParam(), "io.json");
  const keras::Tensor x = seed_test::tensor_from_json(io["inputs"][0]["data"], io["inputs"][0]["shape"]);
  const auto eager = (*seed.model)(x).to_vector<double>();
  const auto planned = seed.model->predict(x)[0].to_vector<double>();
  ASSERT_EQ(eager.size(), planned.size());
  for (std::size_t i = 0; i < eager.size(); ++i) EXPECT_NEAR(eager[i], planned[i], 1e-6 * std::abs(eager[i]) + 1e-12);
}

TEST_P(SoFixture, SummariesAreByteExact) {
  auto seed = build_seed_model(GetParam());
  keras::models::SummaryOptions wide;
  wide.terminal_columns = 200;
  EXPECT_EQ(seed.model->summary_string(wide), load_text(GetParam(), "summary.txt"));
  keras::models::SummaryOptions console80;
  console80.terminal_columns = 80;
  EXPECT_EQ(seed.model->summary_string(console80), load_text(GetParam(), "summary_80col.txt"));
  keras::models::SummaryOptions trainable = wide;
  trainable.show_trainable = true;
  EXPECT_EQ(seed.model->summary_string(trainable), load_text(GetParam(), "summary_trainable.txt"));
}

TEST_P(SoFixture, InitialWeightsOfTheCustomLayer) {
  auto seed = build_seed_model(GetParam());
  const auto w = seed.core->w_vec().value().to_vector<float>();
  ASSERT_EQ(w.size(), 3u);
  if (GetParam() == "so_random_trainable") {
    // RandomNormal(stddev=1, seed=7): the draw differs from torch's, but is seeded and fixed.
    auto again = build_seed_model(GetParam());
    EXPECT_EQ(again.core->w_vec().value().to_vector<float>(), w);
  } else {
    EXPECT_EQ(w, (std::vector<float>{0, 1, 2}));
    EXPECT_EQ(seed.core->w_vec().to_string(), "[[0. 1. 2.]]");
  }
  EXPECT_EQ(seed.core->w_vec().trainable(), GetParam() != "so_const_nontrainable");
}

INSTANTIATE_TEST_SUITE_P(Keras, SoFixture,
                         ::testing::Values("so_const_nontrainable", "so_const_trainable", "so_random_trainable"));

// Issue 3's classic (Keras 2) summary of the seed's case a.
TEST(SeedClassicSummary, CaseAPrintsTheSeedTable) {
  keras::clear_session();
  using keras::layers::Dense;
  using keras::layers::LayerOptions;
  using keras::layers::make;
  auto inp = keras::Input({75});
  keras::Tensor x = (*make<Dense>(75, "tanh", LayerOptions{.name = "fc1"}))(inp);
  x = (*make<Dense>(3, "tanh", LayerOptions{.name = "fc2"}))(x);
  x = (*make<seed_test::MyLayer>(std::vector<double>{0, 1, 2}, false, LayerOptions{.name = "core"}))(x);
  x = (*make<Dense>(1, "linear", LayerOptions{.name = "fc3"}))(x);
  keras::Model model(inp, x, "assignInit-nontrainable");
  keras::models::SummaryOptions classic;
  classic.classic = true;
  std::string text = model.summary_string(classic);
  // Trailing spaces aside.
  std::string trimmed, line;
  std::istringstream lines(text);
  while (std::getline(lines, line)) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
    trimmed += line + "\n";
  }
  const std::string expected =
      "Model: \"assignInit-nontrainable\"\n"
      "_________________________________________________________________\n"
      "Layer (type)                 Output Shape              Param #\n"
      "=================================================================\n"
      "input_layer (InputLayer)     (None, 75)                0\n"
      "_________________________________________________________________\n"
      "fc1 (Dense)                  (None, 75)                5700\n"
      "_________________________________________________________________\n"
      "fc2 (Dense)                  (None, 3)                 228\n"
      "_________________________________________________________________\n"
      "core (MyLayer)               (None, 1)                 3\n"
      "_________________________________________________________________\n"
      "fc3 (Dense)                  (None, 1)                 2\n"
      "=================================================================\n"
      "Total params: 5,933\n"
      "Trainable params: 5,930\n"
      "Non-trainable params: 3\n"
      "_________________________________________________________________\n";
  EXPECT_EQ(trimmed, expected);
}

TEST(SeedClassicSummary, TrainableCasesCountEverythingTrainable) {
  for (const char* c : {"so_const_trainable", "so_random_trainable"}) {
    keras::clear_session();
    auto seed = build_seed_model(c);
    const auto data = seed.model->summary_data();
    EXPECT_EQ(data.total_params, 5933) << c;
    EXPECT_EQ(data.trainable_params, 5933) << c;
    EXPECT_EQ(data.non_trainable_params, 0) << c;
    EXPECT_EQ(data.total_bytes, 5933 * 4) << c;
  }
}

}  // namespace
