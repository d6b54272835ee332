// model.fit on the seed models against what Keras 3.15.1 recorded (fixtures so_*/fit.json and
// fit.weights.h5): fit(x_train, y_train, epochs=2, batch_size=4, shuffle=False) with
// SGD(0.05) and mse. The epoch losses (batch-size-weighted means of the pre-update batch
// losses, the last batch of 2 weighing 2/10) and the final weights must match.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/data/io.h"
#include "keras/saving/saving.h"
#include "keras/training/trainer.h"
#include "models/seed_model.h"

namespace keras {
namespace {

class FitFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(FitFixture, EpochLossesAndFinalWeightsMatchKeras) {
  const std::string name = GetParam();
  clear_session();
  auto seed = seed_test::build_seed_model(name);
  seed.model->set_weights(seed_test::fixture_weights(name));
  const auto fit = seed_test::load_json(name, "fit.json");
  ASSERT_EQ(fit["optimizer"]["class_name"], "SGD");
  const double lr = fit["optimizer"]["config"]["learning_rate"].get<double>();
  seed.model->compile({.optimizer = std::make_shared<optimizers::SGD>(lr), .loss = fit["loss"].get<std::string>()});

  const Tensor x = data::load_npy(seed_test::fixture_path(name, "x_train.npy").string());
  const Tensor y = data::load_npy(seed_test::fixture_path(name, "y_train.npy").string());
  const callbacks::History history =
      seed.model->fit(x, y, {.batch_size = fit["batch_size"].get<std::int64_t>(), .epochs = fit["epochs"].get<int>(),
                             .verbose = 0, .shuffle = fit["shuffle"].get<bool>()});

  const auto want = fit["history"]["loss"].get<std::vector<double>>();
  ASSERT_EQ(history["loss"].size(), want.size());
  for (std::size_t e = 0; e < want.size(); ++e)
    EXPECT_NEAR(history["loss"][e], want[e], 1e-5 * std::abs(want[e])) << name << " epoch " << e;
  EXPECT_EQ(history.epoch, (std::vector<int>{0, 1}));
  EXPECT_EQ(history.history.size(), 1u);  // only "loss": no metrics, no validation
  // One plan for the batches of 4 and one for the last batch of 2.
  EXPECT_EQ(seed.model->trainer()->num_train_traces(), 2);
  EXPECT_EQ(seed.model->trainer()->optimizer()->iterations().item(), 6.0);

  // Keras's weights after fit, read from its own file into a second copy of the model.
  auto reference = seed_test::build_seed_model(name);
  saving::load_weights(*reference.model, seed_test::fixture_path(name, "fit.weights.h5").string());
  const auto got = seed.model->get_weights(), expected = reference.model->get_weights();
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    const auto a = got[i].to_vector<double>(), b = expected[i].to_vector<double>();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t j = 0; j < a.size(); ++j)
      ASSERT_NEAR(a[j], b[j], 1e-5) << name << " weight " << i << " element " << j;
  }
  if (name == "so_const_nontrainable") {
    EXPECT_EQ(seed.core->w_vec().value().to_vector<float>(), (std::vector<float>{0, 1, 2}));
  }
}

// The compiled Adam model's summary gains Keras's "Optimizer params" line once the optimizer
// is built by training (fixture summary_after_adam.txt).
TEST_P(FitFixture, SummaryAfterTrainingShowsOptimizerParams) {
  const std::string name = GetParam();
  clear_session();
  auto seed = seed_test::build_seed_model(name);
  seed.model->compile({.optimizer = std::make_shared<optimizers::Adam>(0.01), .loss = "mse"});
  models::SummaryOptions wide;
  wide.terminal_columns = 200;
  EXPECT_EQ(seed.model->summary_string(wide), seed_test::load_text(name, "summary.txt"));  // not built yet
  const Tensor x = data::load_npy(seed_test::fixture_path(name, "x.npy").string());
  seed.model->train_on_batch(x, ops::zeros({x.shape()[0], 1}));
  EXPECT_EQ(seed.model->summary_string(wide), seed_test::load_text(name, "summary_after_adam.txt"));
}

INSTANTIATE_TEST_SUITE_P(SeedCases, FitFixture,
                         ::testing::Values("so_const_nontrainable", "so_const_trainable", "so_random_trainable"));

}  // namespace
}  // namespace keras
