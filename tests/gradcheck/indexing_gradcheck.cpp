// Finite-difference checks for take and its adjoint take_grad (indices are fixed, with
// repeats and negative entries, so that accumulation and wrapping are exercised).
#include "gradcheck.h"
#include "keras/ops/ops.h"

using keras::Tensor;
using In = std::vector<Tensor>;
namespace ops = keras::ops;

namespace {
Tensor row_indices() { return Tensor::from_vector(std::vector<std::int32_t>{2, 0, -1, 2}, {2, 2}); }
Tensor col_indices() { return Tensor::from_vector(std::vector<std::int64_t>{1, 1, -3}, {3}); }
}  // namespace

KERAS_GRADCHECK({"take", "rows of (3,2), (2,2) indices with repeats", {{3, 2}},
                 [](const In& in) { return ops::take(in[0], row_indices(), 0); }});
KERAS_GRADCHECK({"take", "axis -1 of (2,3)", {{2, 3}}, [](const In& in) { return ops::take(in[0], col_indices(), -1); }});
KERAS_GRADCHECK({"take_grad", "(2,3) into (2,3) along axis 1", {{2, 3}, {2, 3}},
                 [](const In& in) { return ops::take_grad(in[0], col_indices(), in[1], 1); }});
