#include "gradcheck.h"

#include <cmath>
#include <random>
#include <sstream>

#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"

namespace keras::testing {

std::vector<GradcheckCase>& gradcheck_cases() {
  static std::vector<GradcheckCase> cases;
  return cases;
}

Tensor random_f64(const Shape& shape, double low, double high, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> dist(low, high);
  std::vector<double> v(static_cast<std::size_t>(shape.num_elements()));
  for (auto& x : v) x = dist(rng);
  return Tensor::from_vector(v, shape);
}

namespace {
double weighted_sum(const Tensor& out, const std::vector<double>& w) {
  auto v = out.to_vector<double>();
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * w[i];
  return s;
}
}  // namespace

std::string run_gradcheck(const GradcheckCase& c, unsigned seed) {
  std::vector<Tensor> inputs;
  if (c.make_inputs) {
    inputs = c.make_inputs();
  } else {
    for (std::size_t i = 0; i < c.input_shapes.size(); ++i)
      inputs.push_back(random_f64(c.input_shapes[i], c.low, c.high, seed + 17 * static_cast<unsigned>(i)));
  }
  // Random output weights make the check sensitive to every output element.
  Tensor probe = c.fn(inputs);
  const Tensor weights = random_f64(probe.shape(), 0.5, 1.5, seed + 1000);
  const std::vector<double> w = weights.to_vector<double>();

  std::vector<Tensor> analytic;
  {
    std::vector<Tensor> sources;
    for (auto& t : inputs) sources.push_back(Variable(t, "x"));
    GradientTape tape;
    Tensor out = c.fn(sources);
    Tensor target = ops::sum(ops::multiply(out, weights));
    analytic = tape.gradient(target, sources);
  }

  std::ostringstream report;
  const double h = 1e-6;
  double worst = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!is_floating(inputs[i].dtype())) continue;
    if (analytic[i].shape() != inputs[i].shape()) {
      report << "input " << i << ": gradient shape " << analytic[i].shape().to_string() << " != input shape "
             << inputs[i].shape().to_string();
      return report.str();
    }
    const auto g = analytic[i].to_vector<double>();
    for (std::int64_t j = 0; j < inputs[i].size(); ++j) {
      std::vector<Tensor> plus = inputs, minus = inputs;
      plus[i] = inputs[i].copy();
      minus[i] = inputs[i].copy();
      plus[i].data<double>()[j] += h;
      minus[i].data<double>()[j] -= h;
      const double numeric = (weighted_sum(c.fn(plus), w) - weighted_sum(c.fn(minus), w)) / (2 * h);
      const double err = std::abs(numeric - g[static_cast<std::size_t>(j)]) / std::max(1.0, std::abs(numeric));
      if (err > worst) worst = err;
      if (err > c.tolerance) {
        report << "input " << i << " element " << j << ": autodiff " << g[static_cast<std::size_t>(j)]
               << " vs finite difference " << numeric << " (relative error " << err << ")";
        return report.str();
      }
    }
  }
  return "";
}

}  // namespace keras::testing
