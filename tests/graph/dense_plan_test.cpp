// A compiled plan of the Dense layer's fused op (src/ops/dense.cpp), forward and backward,
// allocates nothing once warm: through the per-row epilogue (units >= 16), the kernels'
// epilogue (short rows) and float64.
#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "keras/graph/autodiff.h"
#include "keras/graph/function.h"
#include "keras/ops/ops.h"
#include "ops/dense_op.h"

namespace keras {
namespace {

using ops::detail::DenseActivation;

TEST(DensePlan, WarmRunsAllocateNothing) {
  for (DType dtype : {DType::float32, DType::float64}) {
    auto weights = [&](Shape shape, std::uint64_t seed) {
      return Variable(ops::cast(random::uniform(shape, -0.5, 0.5, DType::float32, seed), dtype), "w");
    };
    // 8 -> 20 (row loop) -> 3 (short rows: the kernels) -> 1.
    Variable w1 = weights({8, 20}, 1), b1 = weights({20}, 2), w2 = weights({20, 3}, 3), b2 = weights({3}, 4);
    Variable w3 = weights({3, 1}, 5), b3 = weights({1}, 6);
    const std::vector<Tensor> trained{w1, b1, w2, b2, w3, b3};
    Function step([&](const std::vector<Tensor>& in) {
      Tensor h = ops::detail::dense(in[0], w1, b1, DenseActivation::tanh);
      h = ops::detail::dense(h, w2, b2, DenseActivation::sigmoid);
      h = ops::detail::dense(h, w3, b3, DenseActivation::linear);
      std::vector<Tensor> out = gradients(ops::sum(ops::square(h)), trained);
      out.push_back(h);
      return out;
    });
    for (std::int64_t batch : {1, 32}) {
      const Tensor x = ops::cast(random::uniform({batch, 8}, -1.0, 1.0, DType::float32, 7), dtype);
      Plan& plan = step.get_plan({x});
      const void* ptrs[] = {x.raw_data()};
      plan.run(ptrs);
      plan.run(ptrs);
      testing::AllocationCounter counter;
      plan.run(ptrs);
      EXPECT_EQ(counter.count(), 0) << dtype_name(dtype) << " batch " << batch << "\n" << plan.describe();
    }
  }
}

}  // namespace
}  // namespace keras
