// OpDef::f32_block, the float32 loop a fused plan step calls instead of an elementwise op's
// kernel, must give the kernel's bits: every op that has one, on block lengths around the
// vector width, with whole and single-value operands (and an activation's parameter).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "keras/ops/op_def.h"

namespace keras {
namespace {

std::vector<float> values(std::int64_t n, std::mt19937& rng) {
  // Both signs (an activation's parameter applies to negative inputs); outside an op's
  // domain (log, sqrt) both sides give NaN, which compares equal below.
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = u(rng);
  return v;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0 || (std::isnan(a) && std::isnan(b)); }

TEST(F32Block, EveryFastLoopGivesItsKernelsBits) {
  std::mt19937 rng(5);
  int checked = 0;
  for (const OpDef* op : op_registry()) {
    if (!op->f32_block) continue;
    ASSERT_TRUE(op->elementwise) << op->name;
    ASSERT_TRUE(op->num_inputs == 1 || op->num_inputs == 2) << op->name;
    for (std::int64_t n : {1, 3, 15, 16, 17, 75, 512}) {
      // Per input: whole (step 1) or a single value (step 0); not both single.
      const std::vector<std::vector<std::int64_t>> step_sets =
          op->num_inputs == 1 ? std::vector<std::vector<std::int64_t>>{{1}}
                              : std::vector<std::vector<std::int64_t>>{{1, 1}, {1, 0}, {0, 1}};
      for (const auto& steps : step_sets)
        for (const std::vector<double>& params : {std::vector<double>{}, std::vector<double>{0.3}}) {
          std::vector<std::vector<float>> inputs;
          std::vector<Shape> shapes;
          for (std::int64_t s : steps) {
            inputs.push_back(values(s ? n : 1, rng));
            shapes.push_back(s ? Shape{n} : Shape{});
          }
          std::vector<const void*> in_ptrs;
          std::vector<const float*> in_floats;
          std::vector<DType> dtypes(inputs.size(), DType::float32);
          for (const auto& v : inputs) in_ptrs.push_back(v.data()), in_floats.push_back(v.data());
          Attrs attrs;
          attrs.floats = params;
          const Shape out_shape{n};
          std::vector<float> want(static_cast<std::size_t>(n)), got(static_cast<std::size_t>(n));
          KernelArgs args;
          args.inputs = in_ptrs.data();
          args.input_shapes = shapes.data();
          args.input_dtypes = dtypes.data();
          args.num_inputs = static_cast<int>(inputs.size());
          args.output = want.data();
          args.output_shape = &out_shape;
          args.output_dtype = DType::float32;
          args.attrs = &attrs;
          op->kernel(args);
          op->f32_block(in_floats.data(), steps.data(), got.data(), n,
                        params.empty() ? 0.0f : static_cast<float>(params[0]));
          for (std::int64_t i = 0; i < n; ++i)
            ASSERT_TRUE(same_bits(want[i], got[i]))
                << op->name << " n=" << n << " steps=" << steps[0] << (steps.size() > 1 ? "," + std::to_string(steps[1]) : "")
                << " params=" << params.size() << " at " << i << ": kernel " << want[i] << ", fast loop " << got[i];
          ++checked;
        }
    }
  }
  // The arithmetic, unary and activation families all have one.
  EXPECT_GE(checked, 30 * 7);
}

}  // namespace
}  // namespace keras
