// Finite-difference checks for every activation op in src/ops/activations.cpp, with inputs
// kept away from kinks (relu at 0, relu6 at 0 and 6, hard_sigmoid at +-3, ...).
#include <cmath>

#include "gradcheck.h"
#include "keras/ops/ops.h"

using keras::Tensor;
namespace ops = keras::ops;
using Inputs = std::vector<Tensor>;

namespace {
std::function<Inputs()> away_from(keras::Shape shape, std::vector<double> kinks, double lo, double hi) {
  return [=] {
    Tensor x = keras::testing::random_f64(shape, lo, hi, 7);
    double* p = x.data<double>();
    for (std::int64_t i = 0; i < x.size(); ++i)
      for (double k : kinks)
        if (std::abs(p[i] - k) < 0.1) p[i] += p[i] < k ? -0.1 : 0.1;
    return Inputs{x};
  };
}
}  // namespace

KERAS_GRADCHECK({"relu", "away from 0", {{3, 4}}, [](const Inputs& in) { return ops::relu(in[0]); }, -2, 2,
                 away_from({3, 4}, {0}, -2, 2)});
KERAS_GRADCHECK({"relu6", "away from 0 and 6", {{3, 4}}, [](const Inputs& in) { return ops::relu6(in[0]); }, -2, 8,
                 away_from({3, 4}, {0, 6}, -2, 8)});
KERAS_GRADCHECK({"tanh", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::tanh(in[0]); }, -3, 3});
KERAS_GRADCHECK({"sigmoid", "(2,3)", {{2, 3}}, [](const Inputs& in) { return ops::sigmoid(in[0]); }, -4, 4});
KERAS_GRADCHECK({"softmax", "last axis", {{3, 4}}, [](const Inputs& in) { return ops::softmax(in[0]); }});
KERAS_GRADCHECK({"softmax", "axis 0", {{3, 4}}, [](const Inputs& in) { return ops::softmax(in[0], 0); }});
KERAS_GRADCHECK({"softmax", "middle axis of (2,3,4)", {{2, 3, 4}},
                 [](const Inputs& in) { return ops::softmax(in[0], 1); }});
KERAS_GRADCHECK({"log_softmax", "last axis", {{3, 4}}, [](const Inputs& in) { return ops::log_softmax(in[0]); }});
KERAS_GRADCHECK({"log_softmax", "middle axis of (2,3,4)", {{2, 3, 4}},
                 [](const Inputs& in) { return ops::log_softmax(in[0], -2); }});
KERAS_GRADCHECK({"elu", "alpha 1", {{3, 4}}, [](const Inputs& in) { return ops::elu(in[0]); }, -3, 2,
                 away_from({3, 4}, {0}, -3, 2)});
KERAS_GRADCHECK({"elu", "alpha 0.5", {{3, 4}}, [](const Inputs& in) { return ops::elu(in[0], 0.5); }, -3, 2,
                 away_from({3, 4}, {0}, -3, 2)});
KERAS_GRADCHECK({"selu", "away from 0", {{3, 4}}, [](const Inputs& in) { return ops::selu(in[0]); }, -3, 2,
                 away_from({3, 4}, {0}, -3, 2)});
KERAS_GRADCHECK({"gelu", "tanh approximation", {{3, 4}}, [](const Inputs& in) { return ops::gelu(in[0]); }, -4, 4});
KERAS_GRADCHECK({"gelu", "erf", {{3, 4}}, [](const Inputs& in) { return ops::gelu(in[0], false); }, -4, 4});
KERAS_GRADCHECK({"silu", "(3,4)", {{3, 4}}, [](const Inputs& in) { return ops::silu(in[0]); }, -5, 5});
KERAS_GRADCHECK({"softplus", "(3,4)", {{3, 4}}, [](const Inputs& in) { return ops::softplus(in[0]); }, -5, 5});
KERAS_GRADCHECK({"softsign", "away from 0", {{3, 4}}, [](const Inputs& in) { return ops::softsign(in[0]); }, -3, 3,
                 away_from({3, 4}, {0}, -3, 3)});
KERAS_GRADCHECK({"leaky_relu", "default slope", {{3, 4}}, [](const Inputs& in) { return ops::leaky_relu(in[0]); }, -2,
                 2, away_from({3, 4}, {0}, -2, 2)});
KERAS_GRADCHECK({"leaky_relu", "slope 0.01", {{3, 4}}, [](const Inputs& in) { return ops::leaky_relu(in[0], 0.01); },
                 -2, 2, away_from({3, 4}, {0}, -2, 2)});
KERAS_GRADCHECK({"hard_sigmoid", "away from +-3", {{3, 4}}, [](const Inputs& in) { return ops::hard_sigmoid(in[0]); },
                 -5, 5, away_from({3, 4}, {-3, 3}, -5, 5)});
