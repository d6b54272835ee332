// The seed model, written with ops: eager and compiled agree on predictions and on a few
// training steps, and a new batch size retraces.
//   x (B,75) -> tanh(x @ W1 + b1) -> tanh(@ W2 + b2) (B,3) -> prod(h * w, -1, keepdims)
//   with w = [0, 1, 2] constant -> @ W3 + b3 (B,1)
#include <gtest/gtest.h>

#include "graph_test_util.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"

namespace keras {
namespace {

using testing::all_close;
using testing::random_tensor;

struct SeedModel {
  Variable w1, b1, w2, b2, w3, b3;
  Tensor w_vec = Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 3});
  std::vector<Tensor> trainable() const { return {w1, b1, w2, b2, w3, b3}; }

  explicit SeedModel(unsigned seed) {
    std::mt19937 rng(seed);
    w1 = Variable(random_tensor({75, 75}, rng, -0.2f, 0.2f), "fc1/kernel");
    b1 = Variable(random_tensor({75}, rng, -0.1f, 0.1f), "fc1/bias");
    w2 = Variable(random_tensor({75, 3}, rng, -0.3f, 0.3f), "fc2/kernel");
    b2 = Variable(random_tensor({3}, rng, -0.1f, 0.1f), "fc2/bias");
    w3 = Variable(random_tensor({1, 1}, rng, -1.0f, 1.0f), "fc3/kernel");
    b3 = Variable(random_tensor({1}, rng, -0.1f, 0.1f), "fc3/bias");
  }

  Tensor call(const Tensor& x) const {
    Tensor h = ops::tanh(ops::add(ops::matmul(x, w1), b1));
    h = ops::tanh(ops::add(ops::matmul(h, w2), b2));
    Tensor p = ops::prod(ops::multiply(h, w_vec), -1, /*keepdims=*/true);
    return ops::add(ops::matmul(p, w3), b3);
  }
};

bool seed_ops_available() {
  for (const char* name : {"matmul", "tanh", "prod", "mean", "square"})
    if (!testing::differentiable_op(name)) return false;
  return true;
}

TEST(SeedModel, PredictionsMatchEagerAndRetraceOnNewBatch) {
  if (!seed_ops_available()) GTEST_SKIP() << "matmul/tanh/prod not registered yet";
  SeedModel model(11);
  Function predict([&](const std::vector<Tensor>& in) { return std::vector<Tensor>{model.call(in[0])}; });
  std::mt19937 rng(12);
  for (int batch : {32, 32, 16, 32}) {
    Tensor x = random_tensor({batch, 75}, rng);
    const Tensor expected = model.call(x);
    const Tensor got = predict({x})[0];
    ASSERT_EQ(got.shape(), Shape({batch, 1}));
    EXPECT_TRUE(all_close(expected, got, 1e-6, 1e-3)) << "batch " << batch;
  }
  EXPECT_EQ(predict.num_traces(), 2);
  // The plan computes only what the output needs and reads the weights in place.
  Plan& plan = predict.get_plan({random_tensor({32, 75}, rng)});
  EXPECT_LE(plan.num_steps(), 9) << plan.describe();
}

TEST(SeedModel, CompiledTrainingStepsMatchEager) {
  if (!seed_ops_available()) GTEST_SKIP() << "matmul/tanh/prod not registered yet";
  SeedModel eager(21), compiled(21);
  const float lr = 0.05f;
  auto loss_of = [](const SeedModel& m, const Tensor& x, const Tensor& y) {
    return ops::mean(ops::square(ops::subtract(m.call(x), y)));
  };
  auto sgd = [&](const std::vector<Tensor>& weights, const std::vector<Tensor>& grads) {
    for (std::size_t i = 0; i < weights.size(); ++i)
      ops::assign(weights[i], ops::subtract(weights[i], ops::multiply(grads[i], lr)));
  };
  Function train_step([&](const std::vector<Tensor>& in) {
    Tensor loss = loss_of(compiled, in[0], in[1]);
    sgd(compiled.trainable(), gradients(loss, compiled.trainable()));
    return std::vector<Tensor>{loss};
  });
  std::mt19937 rng(22);
  for (int step = 0; step < 12; ++step) {
    const int batch = step == 11 ? 10 : 32;  // a last partial batch retraces
    Tensor x = random_tensor({batch, 75}, rng), y = random_tensor({batch, 1}, rng, -0.5f, 0.5f);
    Tensor eager_loss;
    {
      GradientTape tape;
      eager_loss = loss_of(eager, x, y);
      sgd(eager.trainable(), tape.gradient(eager_loss, eager.trainable()));
    }
    const Tensor compiled_loss = train_step({x, y})[0];
    ASSERT_TRUE(all_close(eager_loss, compiled_loss, 1e-5)) << "step " << step;
  }
  EXPECT_EQ(train_step.num_traces(), 2);
  const auto we = eager.trainable(), wc = compiled.trainable();
  for (std::size_t i = 0; i < we.size(); ++i) EXPECT_TRUE(all_close(we[i], wc[i], 1e-5, 1e-3)) << "weight " << i;
  // The constant w_vec was never assigned.
  EXPECT_EQ(compiled.w_vec.to_vector<float>(), (std::vector<float>{0, 1, 2}));
}

}  // namespace
}  // namespace keras
