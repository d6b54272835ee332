#pragma once
// Finite-difference gradient checks. Each differentiable op registers at least one case
// (KERAS_GRADCHECK); gradcheck_coverage_test.cpp fails if a registered differentiable op
// has none. Cases run in float64 on random inputs, including broadcast shapes.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::testing {

struct GradcheckCase {
  std::string op;    // the registry name of the op under test
  std::string name;  // a short description, e.g. "broadcast (2,3)*(3,)"
  std::vector<Shape> input_shapes;
  // Builds the output from float64 inputs; the checked scalar is sum(output * random weights).
  std::function<Tensor(const std::vector<Tensor>&)> fn;
  // Input values are drawn uniformly from [low, high] (choose a domain where the op is smooth).
  double low = -2.0, high = 2.0;
  // Optional: replaces the random inputs (e.g. to place zeros for prod).
  std::function<std::vector<Tensor>()> make_inputs = nullptr;
  double tolerance = 1e-6;
};

std::vector<GradcheckCase>& gradcheck_cases();

struct GradcheckRegistrar {
  explicit GradcheckRegistrar(GradcheckCase c) { gradcheck_cases().push_back(std::move(c)); }
};

/// Compares the autodiff gradient of sum(fn(inputs) * w) with central differences.
/// Returns an empty string on success, else a description of the worst mismatch.
std::string run_gradcheck(const GradcheckCase& c, unsigned seed);

/// float64 tensor with values drawn from [low, high].
Tensor random_f64(const Shape& shape, double low, double high, unsigned seed);

}  // namespace keras::testing

#define KERAS_GRADCHECK_CONCAT2(a, b) a##b
#define KERAS_GRADCHECK_CONCAT(a, b) KERAS_GRADCHECK_CONCAT2(a, b)
/// KERAS_GRADCHECK({"multiply", "broadcast", {{2,3},{3}}, [](auto& in){ return in[0]*in[1]; }});
#define KERAS_GRADCHECK(...) \
  static ::keras::testing::GradcheckRegistrar KERAS_GRADCHECK_CONCAT(keras_gradcheck_, __LINE__)(::keras::testing::GradcheckCase __VA_ARGS__)
