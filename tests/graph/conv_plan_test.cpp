// A small CNN training step built from the convolution and pooling ops (conv with groups and
// strides, depthwise, conv_transpose, pad, max/average pooling, batch statistics assigned to
// moving statistics), compiled into one Plan: the same losses, weights and moving statistics
// as the eager computation step after step, and no heap allocation once the plan has run.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "alloc_counter.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/graph/plan.h"
#include "keras/ops/ops.h"

namespace keras {
namespace {

using testing::AllocationCounter;

Tensor random_tensor(const Shape& shape, std::mt19937& rng, float scale = 0.5f) {
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

struct TinyCnn {
  std::vector<Variable> weights;
  Variable moving_mean, moving_var;

  explicit TinyCnn(unsigned seed) {
    std::mt19937 rng(seed);
    for (const Shape& s : std::vector<Shape>{{3, 3, 2, 8},    // conv, 2 input channels
                                             {3, 3, 4, 8},    // grouped conv (2 groups)
                                             {3, 3, 8, 1},    // depthwise
                                             {2, 2, 4, 8},    // transposed conv: 8 -> 4 channels
                                             {4 * 6 * 6, 3}})  // dense head
      weights.emplace_back(random_tensor(s, rng), "w");
    moving_mean = Variable(ops::zeros({8}), "moving_mean", false);
    moving_var = Variable(ops::ones({8}), "moving_variance", false);
  }

  Tensor loss(const Tensor& x, const Tensor& y) {
    Tensor h = ops::relu(ops::conv(x, weights[0], {1}, "same"));                  // (n, 8, 8, 8)
    h = ops::max_pool(h, {2});                                                    // (n, 4, 4, 8)
    // Batch statistics over (n, 4, 4), assigned into the moving statistics.
    const Tensor mean = ops::mean(h, {0, 1, 2}), var = ops::var(h, {0, 1, 2});
    ops::assign(moving_mean, ops::add(ops::multiply(moving_mean, 0.9f), ops::multiply(mean, 0.1f)));
    ops::assign(moving_var, ops::add(ops::multiply(moving_var, 0.9f), ops::multiply(var, 0.1f)));
    h = ops::divide(ops::subtract(h, mean), ops::sqrt(ops::add(var, 1e-3f)));
    h = ops::tanh(ops::conv(ops::pad(h, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}), weights[1], {2}));  // (n, 2, 2, 8)
    h = ops::depthwise_conv(h, weights[2], {1}, "same");                          // (n, 2, 2, 8)
    h = ops::conv_transpose(h, weights[3], {2}, "valid");                         // (n, 4, 4, 4)
    h = ops::average_pool(ops::pad(h, {{0, 0}, {1, 1}, {1, 1}, {0, 0}}), {3}, {1}, "same");  // (n, 6, 6, 4)
    const Tensor logits = ops::matmul(ops::reshape(h, {x.shape()[0], 4 * 6 * 6}), weights[4]);
    return ops::mean(ops::square(ops::subtract(logits, y)));
  }

  void sgd(const std::vector<Tensor>& grads, float lr) {
    for (std::size_t i = 0; i < weights.size(); ++i)
      ops::assign(weights[i], ops::subtract(weights[i], ops::multiply(grads[i], lr)));
  }

  std::vector<Tensor> sources() const { return {weights.begin(), weights.end()}; }
};

// Which steps of one run allocate, for the failure message.
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

bool all_close(const Tensor& a, const Tensor& b, double rtol, double atol) {
  const auto va = a.to_vector<double>(), vb = b.to_vector<double>();
  if (va.size() != vb.size()) return false;
  for (std::size_t i = 0; i < va.size(); ++i)
    if (std::abs(va[i] - vb[i]) > atol + rtol * std::abs(vb[i])) return false;
  return true;
}

TEST(ConvPlan, CompiledTrainingStepMatchesEagerAndAllocatesNothing) {
  const int kSteps = 12;
  TinyCnn eager(3), compiled(3);
  std::mt19937 rng(9);
  std::vector<std::pair<Tensor, Tensor>> batches;
  for (int b = 0; b < 3; ++b) batches.emplace_back(random_tensor({4, 8, 8, 2}, rng, 1.0f), random_tensor({4, 3}, rng));

  Function step([&](const std::vector<Tensor>& in) {
    Tensor loss = compiled.loss(in[0], in[1]);
    compiled.sgd(gradients(loss, compiled.sources()), 0.05f);
    return std::vector<Tensor>{loss};
  });
  Plan& plan = step.get_plan({batches[0].first, batches[0].second});
  std::int64_t allocations = 0;
  for (int s = 0; s < kSteps; ++s) {
    const auto& [x, y] = batches[static_cast<std::size_t>(s) % batches.size()];
    double eager_loss;
    {
      GradientTape tape;
      Tensor loss = eager.loss(x, y);
      eager_loss = loss.item();
      eager.sgd(tape.gradient(loss, eager.sources()), 0.05f);
    }
    const void* ptrs[] = {x.raw_data(), y.raw_data()};
    if (s == 0) {
      plan.run(ptrs);  // first run: scratch buffers and library setup
    } else {
      AllocationCounter counter;
      plan.run(ptrs);
      allocations += counter.count();
    }
    const double compiled_loss = *static_cast<const float*>(plan.output_data(0));
    ASSERT_NEAR(compiled_loss, eager_loss, 1e-5 * std::max(1.0, std::abs(eager_loss))) << "step " << s;
  }
  for (std::size_t i = 0; i < eager.weights.size(); ++i)
    EXPECT_TRUE(all_close(compiled.weights[i], eager.weights[i], 1e-4, 1e-6)) << "weight " << i;
  EXPECT_TRUE(all_close(compiled.moving_mean, eager.moving_mean, 1e-5, 1e-7));
  EXPECT_TRUE(all_close(compiled.moving_var, eager.moving_var, 1e-5, 1e-7));
  const void* ptrs[] = {batches[0].first.raw_data(), batches[0].second.raw_data()};
  EXPECT_EQ(allocations, 0) << "heap allocations in " << kSteps - 1 << " runs; per run, by step:\n"
                            << allocating_steps(plan, ptrs);
}

}  // namespace
}  // namespace keras
