// The fused Adam update (ops::adam_update) against its reference twin, Keras's Adam written
// as separate ops: the same bits, eagerly and in a compiled plan, with and without weight
// decay, in float32 and float64; and its errors.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "keras/graph/function.h"
#include "keras/ops/ops.h"

using namespace keras;

namespace {

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-7;

Tensor random_tensor(const Shape& shape, std::mt19937& rng, DType dtype, double scale = 1.0) {
  std::normal_distribution<double> normal(0.0, scale);
  std::vector<double> values(static_cast<std::size_t>(shape.num_elements()));
  for (double& v : values) v = normal(rng);
  return ops::cast(Tensor::from_vector(values, shape), dtype);
}

Tensor scalar(double v, DType dtype) { return Tensor::scalar(v, dtype); }

// Keras's Adam step (torch backend's _parallel_update_step) with one op per term.
void reference_update(const Variable& var, const Variable& m, const Variable& v, const Tensor& g, const Tensor& alpha,
                      const Tensor& decay) {
  const DType t = var.dtype();
  Tensor value = decay.defined() ? ops::multiply(var, decay) : Tensor(var);
  Tensor m_new = ops::add(ops::multiply(m, scalar(kBeta1, t)), ops::multiply(g, scalar(1.0 - kBeta1, t)));
  Tensor v_new = ops::add(ops::multiply(v, scalar(kBeta2, t)), ops::multiply(ops::multiply(g, g), scalar(1.0 - kBeta2, t)));
  Tensor update = ops::divide(ops::multiply(m_new, alpha), ops::add(ops::sqrt(v_new), scalar(kEpsilon, t)));
  ops::assign(m, m_new);
  ops::assign(v, v_new);
  ops::assign(var, ops::subtract(value, update));
}

::testing::AssertionResult same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype())
    return ::testing::AssertionFailure() << a.shape().to_string() << " vs " << b.shape().to_string();
  if (std::memcmp(a.raw_data(), b.raw_data(), static_cast<std::size_t>(a.size()) * dtype_size(a.dtype())) == 0)
    return ::testing::AssertionSuccess();
  const Tensor a64 = ops::cast(a, DType::float64), b64 = ops::cast(b, DType::float64);
  const auto* pa = static_cast<const double*>(a64.raw_data());
  const auto* pb = static_cast<const double*>(b64.raw_data());
  std::int64_t i = 0;
  while (i < a.size() && pa[i] == pb[i]) ++i;
  return ::testing::AssertionFailure() << "first difference at element " << i << ": " << pa[i] << " vs " << pb[i];
}

struct State {
  Variable var, m, v;
};

State make_state(const Shape& shape, DType dtype, unsigned seed) {
  std::mt19937 rng(seed);
  Tensor v0 = ops::abs(random_tensor(shape, rng, dtype, 0.01));  // a velocity is never negative
  return {Variable(random_tensor(shape, rng, dtype), "w"), Variable(random_tensor(shape, rng, dtype, 0.1), "m"),
          Variable(v0, "v")};
}

class AdamUpdate : public ::testing::TestWithParam<std::tuple<DType, bool, std::int64_t>> {};

TEST_P(AdamUpdate, EagerFusedEqualsReferenceBitwise) {
  const auto [dtype, decays, n] = GetParam();
  const Shape shape{n, 3};
  State fused = make_state(shape, dtype, 7), reference = make_state(shape, dtype, 7);
  std::mt19937 rng(11);
  for (int step = 1; step <= 4; ++step) {
    Tensor g = random_tensor(shape, rng, dtype, 0.5);
    Tensor alpha = scalar(1e-3 * step, dtype);
    Tensor decay = decays ? scalar(1.0 - 0.004 * 1e-3, dtype) : Tensor();
    ops::adam_update(fused.var, fused.m, fused.v, g, alpha, kBeta1, kBeta2, kEpsilon, decay);
    reference_update(reference.var, reference.m, reference.v, g, alpha, decay);
    ASSERT_TRUE(same_bits(fused.var, reference.var)) << "variable, step " << step;
    ASSERT_TRUE(same_bits(fused.m, reference.m)) << "momentum, step " << step;
    ASSERT_TRUE(same_bits(fused.v, reference.v)) << "velocity, step " << step;
  }
}

TEST_P(AdamUpdate, CompiledFusedEqualsReferenceBitwise) {
  const auto [dtype, decays, n] = GetParam();
  const Shape shape{n, 3};
  State fused = make_state(shape, dtype, 3), reference = make_state(shape, dtype, 3);
  Variable alpha_var(scalar(2e-3, dtype), "alpha");
  Function fused_step([&](const std::vector<Tensor>& in) {
    Tensor decay = decays ? ops::subtract(scalar(1.0, dtype), ops::multiply(alpha_var, scalar(0.01, dtype))) : Tensor();
    ops::adam_update(fused.var, fused.m, fused.v, in[0], alpha_var, kBeta1, kBeta2, kEpsilon, decay);
    return std::vector<Tensor>{ops::sum(in[0])};
  });
  Function reference_step([&](const std::vector<Tensor>& in) {
    Tensor decay = decays ? ops::subtract(scalar(1.0, dtype), ops::multiply(alpha_var, scalar(0.01, dtype))) : Tensor();
    reference_update(reference.var, reference.m, reference.v, in[0], alpha_var, decay);
    return std::vector<Tensor>{ops::sum(in[0])};
  });
  std::mt19937 rng(5);
  for (int step = 0; step < 3; ++step) {
    Tensor g = random_tensor(shape, rng, dtype, 0.5);
    fused_step({g});
    reference_step({g});
    ASSERT_TRUE(same_bits(fused.var, reference.var)) << "variable, step " << step;
    ASSERT_TRUE(same_bits(fused.m, reference.m)) << "momentum, step " << step;
    ASSERT_TRUE(same_bits(fused.v, reference.v)) << "velocity, step " << step;
  }
  // One step per variable, no copies: the update writes the three variables where they are.
  EXPECT_LT(fused_step.get_plan({random_tensor(shape, rng, dtype)}).num_steps(),
            reference_step.get_plan({random_tensor(shape, rng, dtype)}).num_steps());
}

// Sizes below and above the parallel grain (32768 elements).
INSTANTIATE_TEST_SUITE_P(DtypesDecaySizes, AdamUpdate,
                         ::testing::Combine(::testing::Values(DType::float32, DType::float64), ::testing::Bool(),
                                            ::testing::Values(std::int64_t{1}, std::int64_t{25}, std::int64_t{40000})));

// A variable read after the fused update in the same compiled step is read before it runs
// (side effects run last): the plan returns the old value, as with assign.
TEST(AdamUpdateOp, ReadsInTheSameStepSeeTheOldValue) {
  State s = make_state({4}, DType::float32, 1);
  const Tensor before = ops::multiply(s.var, scalar(1.0, DType::float32));
  Function step([&](const std::vector<Tensor>& in) {
    Tensor read = ops::multiply(s.var, scalar(1.0, DType::float32));
    ops::adam_update(s.var, s.m, s.v, in[0], scalar(0.1, DType::float32), kBeta1, kBeta2, kEpsilon);
    return std::vector<Tensor>{read};
  });
  std::vector<Tensor> out = step({ops::ones({4})});
  EXPECT_TRUE(same_bits(out[0], before));
  EXPECT_FALSE(same_bits(s.var, before));
}

TEST(AdamUpdateOp, MismatchedShapesAndDtypesAreValueErrors) {
  State s = make_state({4, 3}, DType::float32, 1);
  try {
    ops::adam_update(s.var, s.m, s.v, ops::ones({3, 4}), scalar(0.1, DType::float32), kBeta1, kBeta2, kEpsilon);
    FAIL() << "no exception";
  } catch (const ValueError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("(4, 3)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("Received: shape (3, 4)"), std::string::npos) << msg;
  }
  EXPECT_THROW(ops::adam_update(s.var, s.m, s.v, ops::ones({4, 3}, DType::float64), scalar(0.1, DType::float32),
                                kBeta1, kBeta2, kEpsilon),
               ValueError);
  EXPECT_THROW(ops::adam_update(s.var, s.m, s.v, ops::ones({4, 3}), ops::ones({2}), kBeta1, kBeta2, kEpsilon),
               ValueError);
}

}  // namespace
