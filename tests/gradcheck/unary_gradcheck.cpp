// Finite-difference checks for every differentiable op in src/ops/elementwise_unary.cpp, on
// domains where each op is smooth.
#include <cmath>

#include "gradcheck.h"
#include "keras/ops/ops.h"

using keras::Tensor;
namespace ops = keras::ops;
using Inputs = std::vector<Tensor>;

namespace {
// Random values in [lo, hi] moved at least 0.1 away from each kink (where finite differences
// straddle a jump in the derivative).
std::function<Inputs()> away_from(keras::Shape shape, std::vector<double> kinks, double lo, double hi) {
  return [=] {
    Tensor x = keras::testing::random_f64(shape, lo, hi, 5);
    double* p = x.data<double>();
    for (std::int64_t i = 0; i < x.size(); ++i)
      for (double k : kinks)
        if (std::abs(p[i] - k) < 0.1) p[i] += p[i] < k ? -0.1 : 0.1;
    return Inputs{x};
  };
}
}  // namespace

KERAS_GRADCHECK({"negative", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::negative(in[0]); }});
KERAS_GRADCHECK({"square", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::square(in[0]); }});
KERAS_GRADCHECK({"sqrt", "positive", {{2, 3}}, [](const Inputs& in) { return ops::sqrt(in[0]); }, 0.5, 2.0});
KERAS_GRADCHECK({"rsqrt", "positive", {{2, 3}}, [](const Inputs& in) { return ops::rsqrt(in[0]); }, 0.5, 2.0});
KERAS_GRADCHECK({"exp", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::exp(in[0]); }});
KERAS_GRADCHECK({"log", "positive", {{2, 3}}, [](const Inputs& in) { return ops::log(in[0]); }, 0.5, 2.0});
KERAS_GRADCHECK({"log1p", "x > -1", {{2, 3}}, [](const Inputs& in) { return ops::log1p(in[0]); }, -0.5, 2.0});
KERAS_GRADCHECK({"abs", "away from 0", {{3, 4}}, [](const Inputs& in) { return ops::abs(in[0]); }, -2, 2,
                 away_from({3, 4}, {0}, -2, 2)});
KERAS_GRADCHECK({"reciprocal", "positive", {{2, 3}}, [](const Inputs& in) { return ops::reciprocal(in[0]); }, 0.5,
                 2.0});
KERAS_GRADCHECK({"reciprocal", "negative", {{2, 3}}, [](const Inputs& in) { return ops::reciprocal(in[0]); }, -2.0,
                 -0.5});
KERAS_GRADCHECK({"sin", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::sin(in[0]); }, -4, 4});
KERAS_GRADCHECK({"cos", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::cos(in[0]); }, -4, 4});
KERAS_GRADCHECK({"erf", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::erf(in[0]); }});
KERAS_GRADCHECK({"clip", "away from the bounds", {{3, 4}}, [](const Inputs& in) { return ops::clip(in[0], -1, 1); },
                 -2, 2, away_from({3, 4}, {-1, 1}, -2, 2)});
// float64 -> float32 -> float64: the round trip's rounding limits the finite differences, so
// small inputs keep the absolute error low.
KERAS_GRADCHECK({"cast", "f64 -> f32 -> f64", {{2, 3}},
                 [](const Inputs& in) {
                   return ops::cast(ops::cast(in[0], keras::DType::float32), keras::DType::float64);
                 },
                 1e-5, 1e-4, nullptr, 1e-4});
