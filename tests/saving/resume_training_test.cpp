// Training resumes exactly across a save: Keras's own Adam run on the cnn fixture (5
// train_on_batch steps on one batch, train_adam.json / train_adam.keras) is replayed in C++
// with a save_model + load_model after step 2. The loaded optimizer continues where it
// stopped: the losses of steps 3-5 and the final weights match Keras's, and equal (bitwise)
// an uninterrupted C++ run.
#include <gtest/gtest.h>

#include <cmath>

#include "keras/data/io.h"
#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"
#include "keras/saving/saving.h"
#include "keras/training/losses.h"
#include "saving/saving_test_util.h"

namespace keras::saving {
namespace {

using test::fixture;

struct Batch {
  Tensor x, y;
};

Batch first_batch() {
  Tensor x = data::load_npy(fixture("cnn", "x_train.npy"));
  Tensor y = data::load_npy(fixture("cnn", "y_train.npy"), DType::float32);
  auto rows = [](const Tensor& t) {
    std::vector<std::int64_t> start(static_cast<std::size_t>(t.rank()), 0), sizes = t.shape().dims();
    sizes[0] = 4;
    return ops::slice(t, start, sizes);
  };
  return {rows(x), rows(y)};
}

// Keras's train_on_batch: the loss before the update, then one optimizer step.
double train_step(Model& model, optimizers::Optimizer& opt, const Batch& batch) {
  auto loss_fn = losses::get("categorical_crossentropy");
  GradientTape tape;
  Tensor y_pred = model(batch.x, /*training=*/true);
  Tensor loss = (*loss_fn)(batch.y, y_pred);
  auto vars = model.trainable_weights();
  std::vector<Tensor> sources(vars.begin(), vars.end());
  auto grads = tape.gradient(loss, sources);
  opt.apply_gradients(grads, vars);
  return loss.item();
}

TEST(ResumeTraining, AdamContinuesExactlyAfterSaveAndLoad) {
  for (const char* f : {"model.keras", "train_adam.keras", "train_adam.json", "x_train.npy", "y_train.npy"})
    KERAS_REQUIRE_FIXTURE(fixture("cnn", f));
  auto record = nlohmann::json::parse(test::slurp(fixture("cnn", "train_adam.json")));
  const auto keras_losses = record["losses_per_step"].get<std::vector<double>>();
  ASSERT_EQ(keras_losses.size(), 5u);
  const Batch batch = first_batch();

  // Uninterrupted: 5 steps from the initial weights with Keras's optimizer config.
  auto straight = load_model(fixture("cnn", "model.keras"));
  auto straight_opt = TrainingState::from_compile_config(Config{{"optimizer", record["optimizer"]}}).optimizer;
  std::vector<double> straight_losses;
  for (int i = 0; i < 5; ++i) straight_losses.push_back(train_step(*straight, *straight_opt, batch));

  // Interrupted: 2 steps, save (model + optimizer state), load, 3 more steps.
  test::ScratchDir dir;
  for (const std::string file : {"mid.keras", "mid.h5"}) {
    SCOPED_TRACE(file);
    auto model = load_model(fixture("cnn", "model.keras"));
    TrainingState state = TrainingState::from_compile_config(Config{{"optimizer", record["optimizer"]}});
    state.loss = "categorical_crossentropy";
    std::vector<double> losses;
    for (int i = 0; i < 2; ++i) losses.push_back(train_step(*model, *state.optimizer, batch));
    save_model(*model, dir.file(file), &state);

    TrainingState resumed;
    auto back = load_model(dir.file(file), {}, &resumed);
    ASSERT_TRUE(resumed.optimizer);
    EXPECT_EQ(resumed.optimizer->iterations().value().item(), 2);
    for (int i = 0; i < 3; ++i) losses.push_back(train_step(*back, *resumed.optimizer, batch));

    EXPECT_EQ(losses, straight_losses);  // bitwise: the state came back exactly
    auto w_resumed = back->get_weights(), w_straight = straight->get_weights();
    ASSERT_EQ(w_resumed.size(), w_straight.size());
    for (std::size_t i = 0; i < w_resumed.size(); ++i)
      EXPECT_EQ(w_resumed[i].to_vector<float>(), w_straight[i].to_vector<float>()) << "weight " << i;

    for (std::size_t i = 0; i < 5; ++i)
      EXPECT_NEAR(losses[i], keras_losses[i], 1e-5 * std::max(1.0, std::fabs(keras_losses[i]))) << "step " << i + 1;
  }

  // Against Keras's weights and optimizer state after its 5 steps.
  TrainingState keras_state;
  auto keras_model = load_model(fixture("cnn", "train_adam.keras"), {}, &keras_state);
  auto ours = straight->get_weights(), theirs = keras_model->get_weights();
  ASSERT_EQ(ours.size(), theirs.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    auto a = ours[i].to_vector<float>(), b = theirs[i].to_vector<float>();
    for (std::size_t k = 0; k < a.size(); ++k) EXPECT_NEAR(a[k], b[k], 2e-5 * std::max(1.0f, std::fabs(b[k]))) << i;
  }
  auto ov = straight_opt->variables(), kv = keras_state.optimizer->variables();
  ASSERT_EQ(ov.size(), kv.size());
  EXPECT_EQ(ov[0].value().item(), kv[0].value().item());  // iterations
}

}  // namespace
}  // namespace keras::saving
