// A whole training step (forward, MSE, gradients, optimizer update by assign) compiled into
// one Plan: it matches the eager loop step for step and allocates nothing per run.
#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "graph_test_util.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"

namespace keras {
namespace {

using testing::AllocationCounter;
using testing::all_close;
using testing::random_tensor;

struct Mlp {
  Variable w1, b1, w2, b2;
  std::vector<Tensor> weights() const { return {w1, b1, w2, b2}; }
};

Mlp make_mlp(unsigned seed, int in, int hidden, int out) {
  std::mt19937 rng(seed);
  return {Variable(random_tensor({in, hidden}, rng, -0.3f, 0.3f), "w1"),
          Variable(random_tensor({hidden}, rng, -0.1f, 0.1f), "b1"),
          Variable(random_tensor({hidden, out}, rng, -0.3f, 0.3f), "w2"),
          Variable(random_tensor({out}, rng, -0.1f, 0.1f), "b2")};
}

Tensor mse_loss(const Mlp& m, const Tensor& x, const Tensor& y) {
  Tensor h = ops::tanh(ops::add(ops::matmul(x, m.w1), m.b1));
  Tensor pred = ops::add(ops::matmul(h, m.w2), m.b2);
  return ops::mean(ops::square(ops::subtract(pred, y)));
}

// Optimizers read every variable before writing it (new values are tensors first, then
// assigned), which is what both eager execution and a plan's "writes last" agree on.
void sgd_update(const std::vector<Tensor>& weights, const std::vector<Tensor>& grads, float lr) {
  for (std::size_t i = 0; i < weights.size(); ++i)
    ops::assign(weights[i], ops::subtract(weights[i], ops::multiply(grads[i], lr)));
}

// Keras 3 Adam: epsilon outside the sqrt, bias correction folded into the learning rate.
struct Adam {
  float lr = 0.01f, beta_1 = 0.9f, beta_2 = 0.999f, epsilon = 1e-7f;
  Variable iterations;
  std::vector<Variable> m, v;
  explicit Adam(const std::vector<Tensor>& weights) : iterations(Tensor::scalar(0.0), "iterations", false) {
    for (const Tensor& w : weights) {
      m.emplace_back(ops::zeros(w.shape()), "m", false);
      v.emplace_back(ops::zeros(w.shape()), "v", false);
    }
  }
  void update(const std::vector<Tensor>& weights, const std::vector<Tensor>& grads) {
    Tensor t = ops::add(iterations, 1.0f);
    Tensor lr_t = ops::divide(ops::multiply(ops::sqrt(ops::subtract(1.0f, ops::power(beta_2, t))), lr),
                              ops::subtract(1.0f, ops::power(beta_1, t)));
    for (std::size_t i = 0; i < weights.size(); ++i) {
      Tensor new_m = ops::add(m[i], ops::multiply(ops::subtract(grads[i], m[i]), 1.0f - beta_1));
      Tensor new_v = ops::add(v[i], ops::multiply(ops::subtract(ops::square(grads[i]), v[i]), 1.0f - beta_2));
      Tensor step = ops::divide(ops::multiply(new_m, lr_t), ops::add(ops::sqrt(new_v), epsilon));
      ops::assign(m[i], new_m);
      ops::assign(v[i], new_v);
      ops::assign(weights[i], ops::subtract(weights[i], step));
    }
    ops::assign(iterations, t);
  }
};

struct Batch {
  Tensor x, y;
};

std::vector<Batch> make_batches(int count, int batch, int in, int out) {
  std::mt19937 rng(99);
  std::vector<Batch> batches;
  for (int i = 0; i < count; ++i) batches.push_back({random_tensor({batch, in}, rng), random_tensor({batch, out}, rng)});
  return batches;
}

// Allocations per run of each step that allocates, e.g. "matmul: 5". Empty when none do.
std::string allocating_steps(Plan& plan, const void* const* ptrs) {
  std::vector<std::int64_t> per_step(static_cast<std::size_t>(plan.num_steps()), 0);
  {
    AllocationCounter counter;
    std::int64_t before = 0;
    plan.run_observed(ptrs, [&](int step, bool after) {
      if (after) per_step[static_cast<std::size_t>(step)] += counter.count() - before;
      before = counter.count();
    });
  }
  std::string report;
  for (int i = 0; i < plan.num_steps(); ++i)
    if (per_step[static_cast<std::size_t>(i)] > 0)
      report += "  step " + std::to_string(i) + " " + plan.step_name(i) + ": " +
                std::to_string(per_step[static_cast<std::size_t>(i)]) + "\n";
  return report;
}

void expect_same_weights(const Mlp& a, const Mlp& b, double rtol) {
  const auto wa = a.weights(), wb = b.weights();
  for (std::size_t i = 0; i < wa.size(); ++i) EXPECT_TRUE(all_close(wa[i], wb[i], rtol, 1e-3)) << "weight " << i;
}

TEST(TrainStep, CounterSeesAllocations) {
  AllocationCounter counter;
  auto* p = new std::vector<int>(100);
  delete p;
  EXPECT_GE(counter.count(), 2);
  if (testing::counts_malloc()) {
    const std::int64_t before = counter.count();
    void* volatile q = std::malloc(64);
    std::free(q);
    EXPECT_GT(counter.count(), before);
  }
}

// Ops with plain loops for kernels, so that the test below measures the plan's own
// machinery (input binding, fused blocks, side effects), whatever the real kernels do.
TensorSpec infer_same(const std::vector<TensorSpec>& in, Attrs&) { return in[0]; }
void plain_add(const KernelArgs& k) {
  const auto* a = static_cast<const float*>(k.inputs[0]);
  const auto* b = static_cast<const float*>(k.inputs[1]);
  const bool scalar_b = k.input_shapes[1].num_elements() == 1;
  auto* out = static_cast<float*>(k.output);
  for (std::int64_t i = 0, n = k.output_shape->num_elements(); i < n; ++i) out[i] = a[i] + (scalar_b ? b[0] : b[i]);
}
void plain_halve(const KernelArgs& k) {
  const auto* a = static_cast<const float*>(k.inputs[0]);
  auto* out = static_cast<float*>(k.output);
  for (std::int64_t i = 0, n = k.output_shape->num_elements(); i < n; ++i) out[i] = a[i] * 0.5f;
}
TensorSpec infer_row_sum(const std::vector<TensorSpec>& in, Attrs&) { return {Shape{in[0].shape[0]}, in[0].dtype}; }
void plain_row_sum(const KernelArgs& k) {
  const auto* a = static_cast<const float*>(k.inputs[0]);
  auto* out = static_cast<float*>(k.output);
  const std::int64_t rows = k.input_shapes[0][0], cols = k.input_shapes[0][1];
  for (std::int64_t r = 0; r < rows; ++r) {
    float total = 0;
    for (std::int64_t c = 0; c < cols; ++c) total += a[r * cols + c];
    out[r] = total;
  }
}
const OpDef kPlainAdd{"test_plain_add", 2, infer_same, plain_add, nullptr, /*elementwise=*/true};
const OpDef kPlainHalve{"test_plain_halve", 1, infer_same, plain_halve, nullptr, /*elementwise=*/true};
const OpDef kPlainRowSum{"test_plain_row_sum", 1, infer_row_sum, plain_row_sum, nullptr, false};

TEST(TrainStep, PlanMachineryAllocatesNothing) {
  std::mt19937 rng(5);
  Variable w(random_tensor({40, 100}, rng), "w");  // 4000 elements: fused blocks plus a tail
  Tensor one = Tensor::scalar(1.0);
  Function step([&](const std::vector<Tensor>& in) {
    Tensor a = apply_op(kPlainAdd, {in[0], w});
    Tensor b = apply_op(kPlainHalve, {apply_op(kPlainAdd, {a, one})});
    Tensor c = apply_op(kPlainAdd, {b, in[0]});
    ops::assign(w, apply_op(kPlainHalve, {c}));
    return std::vector<Tensor>{apply_op(kPlainRowSum, {c})};
  });
  Tensor x = random_tensor({40, 100}, rng);
  Plan& plan = step.get_plan({x});
  ASSERT_GE(plan.num_fused_groups(), 1) << plan.describe();
  const void* ptrs[] = {x.raw_data()};
  plan.run(ptrs);
  std::int64_t allocations;
  {
    AllocationCounter counter;
    for (int i = 0; i < 100; ++i) plan.run(ptrs);
    allocations = counter.count();
  }
  EXPECT_EQ(allocations, 0) << plan.describe();
  // And it computed: w was halved-and-shifted 101 times, staying finite.
  const auto wv = w.to_vector<float>();
  EXPECT_TRUE(std::isfinite(wv[0]));
  EXPECT_NE(wv[0], 0.0f);
}

TEST(TrainStep, CompiledSgdMatchesEagerAndAllocatesNothing) {
  const int kBatch = 8, kIn = 5, kHidden = 16, kOut = 3, kSteps = 50;
  Mlp eager = make_mlp(1, kIn, kHidden, kOut), compiled = make_mlp(1, kIn, kHidden, kOut);
  const auto batches = make_batches(4, kBatch, kIn, kOut);

  Function step([&](const std::vector<Tensor>& in) {
    Tensor loss = mse_loss(compiled, in[0], in[1]);
    sgd_update(compiled.weights(), gradients(loss, compiled.weights()), 0.1f);
    return std::vector<Tensor>{loss};
  });
  Plan& plan = step.get_plan({batches[0].x, batches[0].y});
  std::int64_t allocations = 0;
  for (int s = 0; s < kSteps; ++s) {
    const Batch& b = batches[static_cast<std::size_t>(s) % batches.size()];
    float eager_loss;
    {
      GradientTape tape;
      Tensor loss = mse_loss(eager, b.x, b.y);
      eager_loss = static_cast<float>(loss.item());
      sgd_update(eager.weights(), tape.gradient(loss, eager.weights()), 0.1f);
    }
    const void* ptrs[] = {b.x.raw_data(), b.y.raw_data()};
    if (s == 0) {
      plan.run(ptrs);  // first run: lazy one-time setup in libraries (BLAS, thread pool)
    } else {
      AllocationCounter counter;
      plan.run(ptrs);
      allocations += counter.count();
    }
    const float compiled_loss = *static_cast<const float*>(plan.output_data(0));
    ASSERT_NEAR(eager_loss, compiled_loss, 1e-6 * std::max(1.0f, std::abs(eager_loss))) << "step " << s;
  }
  expect_same_weights(eager, compiled, 1e-5);
  EXPECT_EQ(step.num_traces(), 1);
  // Last: on failure, the attribution run updates the weights once more.
  const void* ptrs[] = {batches[0].x.raw_data(), batches[0].y.raw_data()};
  EXPECT_EQ(allocations, 0) << "heap allocations in " << kSteps - 1 << " runs of the plan; per run, by kernel:\n"
                            << allocating_steps(plan, ptrs);
}

TEST(TrainStep, CompiledAdamMatchesEagerAndAllocatesNothing) {
  const int kBatch = 16, kIn = 6, kHidden = 10, kOut = 2, kSteps = 60;
  Mlp eager = make_mlp(2, kIn, kHidden, kOut), compiled = make_mlp(2, kIn, kHidden, kOut);
  Adam eager_opt(eager.weights()), compiled_opt(compiled.weights());
  const auto batches = make_batches(3, kBatch, kIn, kOut);

  Function step([&](const std::vector<Tensor>& in) {
    Tensor loss = mse_loss(compiled, in[0], in[1]);
    compiled_opt.update(compiled.weights(), gradients(loss, compiled.weights()));
    return std::vector<Tensor>{loss};
  });
  Plan& plan = step.get_plan({batches[0].x, batches[0].y});
  std::int64_t allocations = 0;
  for (int s = 0; s < kSteps; ++s) {
    const Batch& b = batches[static_cast<std::size_t>(s) % batches.size()];
    float eager_loss;
    {
      GradientTape tape;
      Tensor loss = mse_loss(eager, b.x, b.y);
      eager_loss = static_cast<float>(loss.item());
      eager_opt.update(eager.weights(), tape.gradient(loss, eager.weights()));
    }
    const void* ptrs[] = {b.x.raw_data(), b.y.raw_data()};
    AllocationCounter counter;
    plan.run(ptrs);
    if (s > 0) allocations += counter.count();
    const float compiled_loss = *static_cast<const float*>(plan.output_data(0));
    ASSERT_NEAR(eager_loss, compiled_loss, 1e-5 * std::max(1.0f, std::abs(eager_loss))) << "step " << s;
  }
  EXPECT_EQ(compiled_opt.iterations.item(), kSteps);
  EXPECT_EQ(eager_opt.iterations.item(), kSteps);
  expect_same_weights(eager, compiled, 1e-5);
  for (std::size_t i = 0; i < eager_opt.m.size(); ++i) {
    EXPECT_TRUE(all_close(eager_opt.m[i], compiled_opt.m[i], 1e-5, 1e-3));
    EXPECT_TRUE(all_close(eager_opt.v[i], compiled_opt.v[i], 1e-5, 1e-6));
  }
  // Training did something: the loss went down.
  const void* ptrs[] = {batches[0].x.raw_data(), batches[0].y.raw_data()};
  Tensor first_loss = mse_loss(make_mlp(2, kIn, kHidden, kOut), batches[0].x, batches[0].y);
  plan.run(ptrs);
  EXPECT_LT(*static_cast<const float*>(plan.output_data(0)), first_loss.item());
  EXPECT_EQ(allocations, 0) << "heap allocations in " << kSteps - 1 << " runs of the plan; per run, by kernel:\n"
                            << allocating_steps(plan, ptrs);
}

}  // namespace
}  // namespace keras
