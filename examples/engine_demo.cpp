// The motivating model of keras.cpp, trained with the engine alone — Variables, ops,
// gradients, a hand-written Adam, the step compiled by keras::Function — no layers, no fit():
//
//   x (B,75) -> tanh(x @ W1 + b1) (75) -> tanh(@ W2 + b2) (3)
//            -> prod(h * w, axis=-1, keepdims) with the constant w = [[0, 1, 2]] -> @ W3 + b3 (1)
//
// Because w[0] is 0, prod(h * w) is 0 for every input, so no gradient reaches W1, W2 or W3:
// only the output bias b3 learns. It converges to mean(y), and the loss falls to var(y) and
// stays there — what the Keras user who first posted this model saw. The demo prints that,
// and exits non-zero if the engine does anything else (ctest runs it as a smoke test).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"

namespace {

using keras::Shape;
using keras::Tensor;
using keras::Variable;
namespace ops = keras::ops;

constexpr int kFeatures = 75;
constexpr int kSamples = 1024;
constexpr int kBatch = 32;
constexpr int kEpochs = 30;

// Keras's Dense defaults: glorot_uniform kernel, zero bias.
Variable glorot_kernel(int fan_in, int fan_out, std::mt19937& rng, const char* name) {
  const float limit = std::sqrt(6.0f / static_cast<float>(fan_in + fan_out));
  std::uniform_real_distribution<float> u(-limit, limit);
  std::vector<float> values(static_cast<std::size_t>(fan_in) * fan_out);
  for (float& v : values) v = u(rng);
  return Variable(Tensor::from_vector(values, {fan_in, fan_out}), name);
}

Variable zero_bias(int units, const char* name) { return Variable(ops::zeros({units}), name); }

struct SeedModel {
  explicit SeedModel(std::mt19937& rng)
      : W1(glorot_kernel(kFeatures, 75, rng, "fc1/kernel")),
        b1(zero_bias(75, "fc1/bias")),
        W2(glorot_kernel(75, 3, rng, "fc2/kernel")),
        b2(zero_bias(3, "fc2/bias")),
        w(Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 3}), "my_layer/w_vec", /*trainable=*/false),
        W3(glorot_kernel(1, 1, rng, "fc3/kernel")),
        b3(zero_bias(1, "fc3/bias")) {}

  Tensor operator()(const Tensor& x) const {
    Tensor h1 = ops::tanh(ops::matmul(x, W1) + b1);
    Tensor h2 = ops::tanh(ops::matmul(h1, W2) + b2);
    Tensor p = ops::prod(h2 * w, -1, /*keepdims=*/true);
    return ops::matmul(p, W3) + b3;
  }

  std::vector<Variable> trainable_weights() const { return {W1, b1, W2, b2, W3, b3}; }

  Variable W1, b1, W2, b2, w, W3, b3;
};

// Keras 3's Adam, written with ops so that the same code runs eagerly or inside a traced
// step. Each update is computed from the old values and then assigned: inside a trace an
// assignment takes effect only after all reads, so reading a variable back after assigning
// it would see the old value.
class Adam {
 public:
  Adam(std::vector<Variable> params, float learning_rate) : params_(std::move(params)), lr_(learning_rate) {
    for (const Variable& p : params_) {
      m_.emplace_back(ops::zeros(p.shape()), p.name() + "/m");
      v_.emplace_back(ops::zeros(p.shape()), p.name() + "/v");
    }
  }

  void apply(const std::vector<Tensor>& grads) {
    Tensor t = iterations_ + 1.0f;
    Tensor alpha = lr_ * ops::sqrt(1.0f - ops::power(Tensor(beta_2_), t)) / (1.0f - ops::power(Tensor(beta_1_), t));
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor& g = grads[i];
      Tensor m = m_[i] + (g - m_[i]) * (1.0f - beta_1_);
      Tensor v = v_[i] + (ops::square(g) - v_[i]) * (1.0f - beta_2_);
      m_[i].assign(m);
      v_[i].assign(v);
      params_[i].assign(params_[i] - alpha * m / (ops::sqrt(v) + epsilon_));
    }
    iterations_.assign(t);
  }

 private:
  std::vector<Variable> params_, m_, v_;
  Variable iterations_{Tensor(0.0f), "adam/iterations", /*trainable=*/false};
  float lr_, beta_1_ = 0.9f, beta_2_ = 0.999f, epsilon_ = 1e-7f;
};

Tensor mse(const Tensor& y_true, const Tensor& y_pred) { return ops::mean(ops::square(y_pred - y_true)); }

// The training step as one function of (x, y): forward, loss, gradients and the Adam update.
// keras::Function traces it once per input shape and compiles it into a single Plan, so
// every later call is a flat loop of kernel calls. Returns the loss before the update, as
// Keras's train_on_batch does (inside a trace, all reads see the pre-step values).
keras::Function make_train_step(SeedModel& model, Adam& adam) {
  return keras::Function([&model, &adam](const std::vector<Tensor>& xy) {
    std::vector<Tensor> params;
    for (const Variable& p : model.trainable_weights()) params.push_back(p);
    Tensor loss = mse(xy[1], model(xy[0]));
    adam.apply(keras::gradients(loss, params));
    return std::vector<Tensor>{loss};
  });
}

// A regression target with a clearly non-zero mean, so that learning b3 visibly helps.
void make_dataset(std::mt19937& rng, std::vector<float>& x, std::vector<float>& y) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  x.resize(static_cast<std::size_t>(kSamples) * kFeatures);
  y.resize(kSamples);
  for (float& v : x) v = u(rng);
  for (int i = 0; i < kSamples; ++i) {
    const float* row = &x[static_cast<std::size_t>(i) * kFeatures];
    y[static_cast<std::size_t>(i)] = 1.5f + 0.5f * std::sin(row[0] + row[1] * row[2]);
  }
}

Tensor rows(const std::vector<float>& data, int first, int count, int width) {
  const auto begin = data.begin() + static_cast<std::ptrdiff_t>(first) * width;
  return Tensor::from_vector(std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(count) * width),
                             {count, width});
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::abs(a[i] - b[i]));
  return d;
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  std::vector<float> x, y;
  make_dataset(rng, x, y);
  double y_mean = 0, y_var = 0;
  for (float v : y) y_mean += v;
  y_mean /= kSamples;
  for (float v : y) y_var += (v - y_mean) * (v - y_mean);
  y_var /= kSamples;

  SeedModel model(rng);
  Adam adam(model.trainable_weights(), /*learning_rate=*/0.01f);
  const std::vector<float> w_before = model.w.to_vector<float>();
  const std::vector<float> W1_before = model.W1.to_vector<float>();

  keras::Function train_step = make_train_step(model, adam);

  std::printf("keras.cpp engine demo: %d samples of 75 features, batch %d, Adam(lr=0.01), MSE\n", kSamples, kBatch);
  std::printf("var(y) = %.5f  (the best loss a model whose output ignores x can reach)\n", y_var);
  double first_epoch_loss = 0, last_epoch_loss = 0;
  for (int epoch = 1; epoch <= kEpochs; ++epoch) {
    double total = 0;
    int steps = 0;
    for (int first = 0; first < kSamples; first += kBatch, ++steps)
      total += train_step({rows(x, first, kBatch, kFeatures), rows(y, first, kBatch, 1)})[0].item();
    const double epoch_loss = total / steps;
    if (epoch == 1) first_epoch_loss = epoch_loss;
    last_epoch_loss = epoch_loss;
    if (epoch == 1 || epoch % 5 == 0) std::printf("epoch %2d  loss %.5f\n", epoch, epoch_loss);
  }

  const keras::Plan& plan = train_step.get_plan({rows(x, 0, kBatch, kFeatures), rows(y, 0, kBatch, 1)});
  std::printf("the step was traced %d time(s) into a plan of %d kernel steps (%d ops fused), arena %zu bytes\n",
              train_step.num_traces(), plan.num_steps(), plan.num_fused_ops(), plan.arena_bytes());
  const std::vector<float> w_after = model.w.to_vector<float>();
  std::printf("w  = %s  (constant, unchanged)\n", model.w.to_string().c_str());
  std::printf("b3 = %.5f, mean(y) = %.5f\n", model.b3.item(), y_mean);
  std::printf("largest change in fc1's kernel: %g  (w[0] = 0 makes prod(h * w) = 0, so no gradient reaches it)\n",
              max_abs_diff(W1_before, model.W1.to_vector<float>()));

  bool ok = true;
  if (w_after != w_before) {
    std::printf("ERROR: the non-trainable w changed\n");
    ok = false;
  }
  if (!(last_epoch_loss < 0.5 * first_epoch_loss)) {
    std::printf("ERROR: the loss did not decrease (%.5f -> %.5f)\n", first_epoch_loss, last_epoch_loss);
    ok = false;
  }
  if (!(last_epoch_loss < 1.1 * y_var + 1e-3)) {
    std::printf("ERROR: the loss did not approach var(y) (%.5f vs %.5f)\n", last_epoch_loss, y_var);
    ok = false;
  }
  return ok ? 0 : 1;
}
