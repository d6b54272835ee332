// Finite-difference checks for the reductions and their gradient helper ops. prod and
// prod_grad are multilinear in x, so central differences stay exact at zeros: the cases
// place zeros on purpose (one per slice, several per slice).
#include "gradcheck.h"
#include "keras/ops/op_def.h"
#include "keras/ops/ops.h"

using keras::Attrs;
using keras::Shape;
using keras::Tensor;
namespace ops = keras::ops;
using In = std::vector<Tensor>;

namespace {

// (3, 4): row 0 has no zero, row 1 one zero, row 2 two zeros.
Tensor zeros_by_row() {
  return Tensor::from_vector(std::vector<double>{1.5, -0.5, 2.0, 0.7, 0.9, 0.0, -1.2, 1.1, 0.0, 1.3, 0.0, -0.8},
                             {3, 4});
}

// (2, 3, 2) with zeros in several slices of axes (0, 2).
Tensor zeros_3d() {
  return Tensor::from_vector(std::vector<double>{0.0, 1.2, -0.7, 0.0, 1.1, 0.6, 0.8, -1.4, 0.0, 0.0, 1.9, 0.5},
                             {2, 3, 2});
}

Tensor prod_grad(const Tensor& x, const Tensor& g, std::vector<std::int64_t> axes) {
  Attrs a;
  a.ints = std::move(axes);
  return keras::apply_op(keras::find_op("prod_grad"), {x, g}, a);
}

}  // namespace

KERAS_GRADCHECK({"sum", "axis 1", {{3, 4}}, [](const In& in) { return ops::sum(in[0], 1); }});
KERAS_GRADCHECK({"sum", "all, keepdims", {{2, 3}}, [](const In& in) { return ops::sum(in[0], ops::Axes{}, true); }});
KERAS_GRADCHECK({"sum", "axes (0, 2)", {{2, 3, 4}}, [](const In& in) { return ops::sum(in[0], ops::Axes{0, 2}); }});
KERAS_GRADCHECK({"mean", "axis 0", {{3, 4}}, [](const In& in) { return ops::mean(in[0], 0); }});
KERAS_GRADCHECK({"mean", "axes (1, 2) keepdims", {{2, 3, 4}}, [](const In& in) { return ops::mean(in[0], ops::Axes{1, 2}, true); }});
KERAS_GRADCHECK({"max", "axis -1", {{3, 5}}, [](const In& in) { return ops::max(in[0], -1); }});
KERAS_GRADCHECK({"max", "axes (0, 2)", {{3, 2, 4}}, [](const In& in) { return ops::max(in[0], ops::Axes{0, 2}); }});
KERAS_GRADCHECK({"min", "axis 0 keepdims", {{4, 3}}, [](const In& in) { return ops::min(in[0], 0, true); }});
KERAS_GRADCHECK({"prod", "random, axis 1", {{3, 4}}, [](const In& in) { return ops::prod(in[0], 1); }});
KERAS_GRADCHECK({"prod", "zeros: none / one / two per row", {{3, 4}}, [](const In& in) { return ops::prod(in[0], 1); },
                 -2.0, 2.0, [] { return In{zeros_by_row()}; }});
KERAS_GRADCHECK({"prod", "zeros, axes (0, 2)", {{2, 3, 2}}, [](const In& in) { return ops::prod(in[0], ops::Axes{0, 2}); },
                 -2.0, 2.0, [] { return In{zeros_3d()}; }});
KERAS_GRADCHECK({"prod", "one zero, all axes", {{4}}, [](const In& in) { return ops::prod(in[0]); }, -2.0, 2.0,
                 [] { return In{Tensor::from_vector(std::vector<double>{1.5, 0.0, -0.6, 1.2}, {4})}; }});
KERAS_GRADCHECK({"var", "axis 1", {{3, 5}}, [](const In& in) { return ops::var(in[0], 1); }});
KERAS_GRADCHECK({"var", "all", {{2, 3}}, [](const In& in) { return ops::var(in[0]); }});
KERAS_GRADCHECK({"std", "axis 0 keepdims", {{4, 3}}, [](const In& in) { return ops::std(in[0], 0, true); }});
KERAS_GRADCHECK({"logsumexp", "axis 1", {{3, 4}}, [](const In& in) { return ops::logsumexp(in[0], 1); }});
KERAS_GRADCHECK({"logsumexp", "axes (0, 2)", {{2, 3, 2}}, [](const In& in) { return ops::logsumexp(in[0], ops::Axes{0, 2}); }});
KERAS_GRADCHECK({"broadcast_like", "(3, 1) like (2, 3, 4)", {{3, 1}, {2, 3, 4}},
                 [](const In& in) { return ops::broadcast_like(in[0], in[1]); }});
// prod_grad's own gradient is prod's second derivative: both inputs, with zeros.
KERAS_GRADCHECK({"prod_grad", "random", {{3, 4}, {3, 1}}, [](const In& in) { return prod_grad(in[0], in[1], {1}); }});
KERAS_GRADCHECK({"prod_grad", "zeros: none / one / two per row", {{3, 4}, {3, 1}},
                 [](const In& in) { return prod_grad(in[0], in[1], {1}); }, -2.0, 2.0,
                 [] { return In{zeros_by_row(), Tensor::from_vector(std::vector<double>{0.7, -1.3, 1.1}, {3, 1})}; }});
KERAS_GRADCHECK({"prod_grad", "zeros, axes (0, 2)", {{2, 3, 2}, {1, 3, 1}},
                 [](const In& in) { return prod_grad(in[0], in[1], {0, 2}); }, -2.0, 2.0,
                 [] { return In{zeros_3d(), Tensor::from_vector(std::vector<double>{0.4, 1.2, -0.9}, {1, 3, 1})}; }});
// Three zeros in a slice: everything vanishes, including the second derivative.
KERAS_GRADCHECK({"prod_grad", "three zeros", {{4}, {1}}, [](const In& in) { return prod_grad(in[0], in[1], {0}); }, -2.0,
                 2.0, [] {
                   return In{Tensor::from_vector(std::vector<double>{0.0, 0.0, 1.5, 0.0}, {4}),
                             Tensor::from_vector(std::vector<double>{0.8}, {1})};
                 }});
