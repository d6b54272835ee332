// ops::where against a naive reference (each output index unravelled on its own) over
// broadcast combinations that exercise every path of the kernel: all full, scalar operands,
// a broadcast row or column, and rank-0.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "keras/ops/ops.h"

using namespace keras;

namespace {

std::vector<std::int64_t> strides_for(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> strides(static_cast<std::size_t>(out.rank()), 0);
  std::int64_t s = 1;
  for (int i = in.rank() - 1; i >= 0; --i) {
    strides[static_cast<std::size_t>(out.rank() - in.rank() + i)] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  return strides;
}

Tensor random_floats(const Shape& shape, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(static_cast<std::size_t>(shape.num_elements()));
  for (float& x : v) x = normal(rng);
  return Tensor::from_vector(v, shape);
}

TEST(Where, MatchesNaiveReferenceOverBroadcastCombinations) {
  const std::vector<Shape> shapes = {Shape{}, Shape{1}, Shape{4}, Shape{3, 1}, Shape{3, 4}, Shape{2, 3, 4},
                                     Shape{2, 1, 4}};
  std::mt19937 rng(17);
  int checked = 0;
  for (const Shape& sc : shapes)
    for (const Shape& sa : shapes)
      for (const Shape& sb : shapes) {
        Shape out;
        try {
          out = broadcast_shapes(broadcast_shapes(sc, sa, "test"), sb, "test");
        } catch (const ValueError&) {
          continue;
        }
        const Tensor cond = ops::greater(random_floats(sc, rng), 0.0f);
        const Tensor a = random_floats(sa, rng), b = random_floats(sb, rng);
        const Tensor result = ops::where(cond, a, b);
        ASSERT_EQ(result.shape(), out);
        const auto stc = strides_for(sc, out), sta = strides_for(sa, out), stb = strides_for(sb, out);
        const bool* pc = cond.data<bool>();
        const float* pa = a.data<float>();
        const float* pb = b.data<float>();
        const float* pr = result.data<float>();
        for (std::int64_t i = 0; i < out.num_elements(); ++i) {
          std::int64_t rem = i, oc = 0, oa = 0, ob = 0;
          for (int d = out.rank() - 1; d >= 0; --d) {
            const std::int64_t c = rem % out[d];
            rem /= out[d];
            oc += c * stc[static_cast<std::size_t>(d)];
            oa += c * sta[static_cast<std::size_t>(d)];
            ob += c * stb[static_cast<std::size_t>(d)];
          }
          ASSERT_EQ(pr[i], pc[oc] ? pa[oa] : pb[ob])
              << "cond " << sc.to_string() << " a " << sa.to_string() << " b " << sb.to_string() << " at " << i;
        }
        ++checked;
      }
  EXPECT_GT(checked, 100);
}

}  // namespace
