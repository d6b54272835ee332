#pragma once
// Helpers for the training tests: float vectors to tensors and closeness checks.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::training_test {

inline Tensor f32(const std::vector<float>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }
inline Tensor f32(const std::vector<float>& v) { return Tensor::from_vector(v, Shape{static_cast<std::int64_t>(v.size())}); }
inline Tensor i32(const std::vector<std::int32_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

/// |a - b| <= atol + rtol * |b| elementwise; reports the first mismatch.
inline ::testing::AssertionResult close_to(const Tensor& actual, const std::vector<double>& expected,
                                           double rtol = 1e-5, double atol = 1e-6) {
  const std::vector<double> a = actual.to_vector<double>();
  if (a.size() != expected.size())
    return ::testing::AssertionFailure() << "size " << a.size() << " != expected " << expected.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double tol = atol + rtol * std::abs(expected[i]);
    if (!(std::abs(a[i] - expected[i]) <= tol) && !(std::isnan(a[i]) && std::isnan(expected[i])))
      return ::testing::AssertionFailure() << "element " << i << ": " << a[i] << " vs expected " << expected[i];
  }
  return ::testing::AssertionSuccess();
}

inline ::testing::AssertionResult close_to(double actual, double expected, double rtol = 1e-5, double atol = 1e-6) {
  if (std::abs(actual - expected) <= atol + rtol * std::abs(expected)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << actual << " vs expected " << expected;
}

/// Expects `fn` to throw E whose message contains every fragment.
template <typename E, typename F>
void expect_throw_with(F&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "missing '" << f << "' in: " << msg;
  }
}

}  // namespace keras::training_test
