// Gradients through the seed's layers: five optimizer steps from the fixture weights on the
// fixture batch reproduce Keras's per-step losses (train_sgd.json / train_adam.json).
// Written with GradientTape and keras::optimizers directly, so it checks the layers and
// models (weights order, trainable flags, gradients through prod with a zero in w_vec)
// independently of compile/fit.
#include <cmath>
#include <memory>

#include "keras/training/optimizers.h"
#include "seed_model.h"

namespace {

struct TrainCase {
  std::string fixture;
  std::string file;  // train_sgd.json or train_adam.json
};

class SoTrain : public ::testing::TestWithParam<TrainCase> {};

TEST_P(SoTrain, FiveStepsReproduceKerasLosses) {
  const auto& param = GetParam();
  keras::clear_session();
  auto seed = seed_test::build_seed_model(param.fixture);
  seed.model->set_weights(seed_test::fixture_weights(param.fixture));
  const auto train = seed_test::load_json(param.fixture, param.file);
  const auto& xb = train["x_batch_data"];
  const auto& yb = train["y_batch_data"];
  // x_batch_data is a list of inputs (one here).
  std::vector<float> xv, yv;
  seed_test::flatten_into(xb, xv);
  seed_test::flatten_into(yb, yv);
  const keras::Tensor x = keras::Tensor::from_vector(xv, {4, 75});
  const keras::Tensor y = keras::Tensor::from_vector(yv, {4, 1});

  std::unique_ptr<keras::optimizers::Optimizer> opt;
  if (param.file == "train_sgd.json") opt = std::make_unique<keras::optimizers::SGD>(0.05);
  else opt = std::make_unique<keras::optimizers::Adam>(0.01);

  const auto vars = seed.model->trainable_weights();
  const std::vector<keras::Tensor> sources(vars.begin(), vars.end());
  const auto want = train["losses_per_step"].get<std::vector<double>>();
  for (std::size_t step = 0; step < want.size(); ++step) {
    keras::GradientTape tape;
    const keras::Tensor pred = (*seed.model)(x, /*training=*/true);
    const keras::Tensor loss = keras::ops::mean(keras::ops::square(pred - y));
    EXPECT_NEAR(loss.item(), want[step], 1e-5 * want[step]) << param.fixture << " " << param.file << " step " << step;
    opt->apply_gradients(tape.gradient(loss, sources), vars);
  }
  if (param.fixture == "so_const_nontrainable")
    EXPECT_EQ(seed.core->w_vec().value().to_vector<float>(), (std::vector<float>{0, 1, 2}));
  else
    EXPECT_NE(seed.core->w_vec().value().to_vector<float>(),
              seed_test::fixture_weights(param.fixture)[4].to_vector<float>());
}

INSTANTIATE_TEST_SUITE_P(Keras, SoTrain,
                         ::testing::Values(TrainCase{"so_const_nontrainable", "train_sgd.json"},
                                           TrainCase{"so_const_nontrainable", "train_adam.json"},
                                           TrainCase{"so_const_trainable", "train_sgd.json"},
                                           TrainCase{"so_const_trainable", "train_adam.json"},
                                           TrainCase{"so_random_trainable", "train_sgd.json"},
                                           TrainCase{"so_random_trainable", "train_adam.json"}));

}  // namespace
