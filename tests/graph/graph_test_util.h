#pragma once
// Helpers shared by the graph tests: random tensors and float32-aware comparisons.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "keras/core/tensor.h"
#include "keras/graph/plan.h"
#include "keras/ops/op_def.h"

namespace keras::testing {

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, float low = -1.0f, float high = 1.0f) {
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> values(static_cast<std::size_t>(shape.num_elements()));
  for (auto& v : values) v = dist(rng);
  return Tensor::from_vector(values, shape);
}

inline PlanOptions plan_options(bool fuse, bool in_place) {
  PlanOptions options;
  options.fuse_elementwise = fuse;
  options.in_place = in_place;
  return options;
}

inline bool has_op(const std::string& name) {
  for (const OpDef* op : op_registry())
    if (op->name == name) return true;
  return false;
}

inline bool differentiable_op(const std::string& name) { return has_op(name) && find_op(name).differentiable(); }

// Relative comparison for float32 results: |a-b| <= rtol * max(|a|, |b|, scale) where
// `scale` absorbs cancellation in sums (pass the magnitude of the summed terms).
inline ::testing::AssertionResult all_close(const Tensor& expected, const Tensor& actual, double rtol = 1e-6,
                                            double scale = 1.0) {
  if (expected.shape() != actual.shape())
    return ::testing::AssertionFailure() << "shape " << expected.shape().to_string() << " vs "
                                         << actual.shape().to_string();
  if (expected.dtype() != actual.dtype())
    return ::testing::AssertionFailure() << "dtype " << dtype_name(expected.dtype()) << " vs "
                                         << dtype_name(actual.dtype());
  const auto e = expected.to_vector<double>();
  const auto a = actual.to_vector<double>();
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (std::isnan(e[i]) && std::isnan(a[i])) continue;
    if (e[i] == a[i]) continue;  // includes equal infinities
    const double tol = rtol * std::max({std::abs(e[i]), std::abs(a[i]), scale});
    if (!(std::abs(e[i] - a[i]) <= tol))
      return ::testing::AssertionFailure() << "element " << i << " of " << expected.shape().to_string()
                                           << ": expected " << e[i] << ", got " << a[i];
  }
  return ::testing::AssertionSuccess();
}

}  // namespace keras::testing
