// One compiled training step of the motivating model, at batch 1, 32 and 4096:
//
//   x (B,75) -> tanh(x @ W1 + b1) (75) -> tanh(@ W2 + b2) (3)
//            -> prod(h * w, axis=-1, keepdims) with the constant w = [[0, 1, 2]] -> @ W3 + b3 (1)
//   MSE loss, keras::optimizers::Adam (Keras 3's defaults, lr 1e-3)
//
// The step (forward, loss, gradients, optimizer update) is traced once by keras::Function
// into one Plan and run through the plan's zero-allocation entry point on one fixed batch,
// the same work bench/pytorch_seed.py times in PyTorch. items/s = samples/s.
// Thread count: KERAS_NUM_THREADS (bench/run_seed.sh sets it, and OpenBLAS's, to 1 and 2).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"
#include "keras/training/optimizers.h"

namespace {

using keras::Tensor;
using keras::Variable;
namespace ops = keras::ops;

Tensor uniform(std::vector<std::int64_t> dims, float limit, std::mt19937& rng) {
  keras::Shape shape(dims);
  std::uniform_real_distribution<float> u(-limit, limit);
  std::vector<float> values(static_cast<std::size_t>(shape.num_elements()));
  for (float& v : values) v = u(rng);
  return Tensor::from_vector(values, shape);
}

Variable dense_kernel(int fan_in, int fan_out, std::mt19937& rng, const std::string& name) {
  return Variable(uniform({fan_in, fan_out}, std::sqrt(6.0f / static_cast<float>(fan_in + fan_out)), rng), name);
}

struct SeedModel {
  explicit SeedModel(std::mt19937& rng)
      : W1(dense_kernel(75, 75, rng, "fc1/kernel")),
        b1(ops::zeros({75}), "fc1/bias"),
        W2(dense_kernel(75, 3, rng, "fc2/kernel")),
        b2(ops::zeros({3}), "fc2/bias"),
        w(Tensor::from_vector(std::vector<float>{0, 1, 2}, {1, 3}), "my_layer/w_vec", /*trainable=*/false),
        W3(dense_kernel(1, 1, rng, "fc3/kernel")),
        b3(ops::zeros({1}), "fc3/bias") {}

  Tensor operator()(const Tensor& x) const {
    Tensor h1 = ops::tanh(ops::matmul(x, W1) + b1);
    Tensor h2 = ops::tanh(ops::matmul(h1, W2) + b2);
    return ops::matmul(ops::prod(h2 * w, -1, /*keepdims=*/true), W3) + b3;
  }

  std::vector<Variable> trainable_weights() const { return {W1, b1, W2, b2, W3, b3}; }

  Variable W1, b1, W2, b2, w, W3, b3;
};

void BM_SeedTrainStep(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  std::mt19937 rng(1234);
  SeedModel model(rng);
  keras::optimizers::Adam adam(1e-3);
  adam.build(model.trainable_weights());
  keras::Function step([&](const std::vector<Tensor>& xy) {
    Tensor loss = ops::mean(ops::square(model(xy[0]) - xy[1]));
    const std::vector<Variable> weights = model.trainable_weights();
    adam.apply(keras::gradients(loss, std::vector<Tensor>(weights.begin(), weights.end())));
    return std::vector<Tensor>{loss};
  });
  const Tensor x = uniform({batch, 75}, 1.0f, rng);
  const Tensor y = uniform({batch, 1}, 1.0f, rng);
  keras::Plan& plan = step.get_plan({x, y});
  const void* inputs[] = {x.raw_data(), y.raw_data()};
  for (int i = 0; i < 3; ++i) plan.run(inputs);  // first touch of the arena and the BLAS buffers
  if (std::getenv("KERAS_BENCH_DESCRIBE")) std::fprintf(stderr, "%s", plan.describe().c_str());

  for (auto _ : state) {
    plan.run(inputs);
    benchmark::DoNotOptimize(plan.output_data(0));
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = keras::backend::num_threads();
  state.counters["plan_steps"] = plan.num_steps();
  state.counters["arena_KiB"] = static_cast<double>(plan.arena_bytes()) / 1024.0;
}
// Wall-clock time: with 2 threads the CPU time of the main thread alone would flatter us, and
// PyTorch is timed by the wall clock too.
BENCHMARK(BM_SeedTrainStep)->Arg(1)->Arg(32)->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
