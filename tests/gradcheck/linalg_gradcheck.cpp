// Finite-difference checks for matmul: plain, 1-D promotion on either side, batched and
// broadcast batches (the engine sums the broadcast batch gradient back).
#include "gradcheck.h"
#include "keras/graph/autodiff.h"
#include "keras/ops/ops.h"
#include "ops/dense_op.h"

using keras::Tensor;
namespace ops = keras::ops;
using In = std::vector<Tensor>;

namespace {
Tensor mm(const In& in) { return ops::matmul(in[0], in[1]); }
}  // namespace

KERAS_GRADCHECK({"matmul", "(2,3)@(3,4)", {{2, 3}, {3, 4}}, mm});
KERAS_GRADCHECK({"matmul", "1x1", {{1, 1}, {1, 1}}, mm});
KERAS_GRADCHECK({"matmul", "vector @ vector", {{3}, {3}}, mm});
KERAS_GRADCHECK({"matmul", "vector @ matrix", {{3}, {3, 2}}, mm});
KERAS_GRADCHECK({"matmul", "matrix @ vector", {{2, 3}, {3}}, mm});
KERAS_GRADCHECK({"matmul", "vector @ batch", {{3}, {2, 3, 2}}, mm});
KERAS_GRADCHECK({"matmul", "batch @ vector", {{2, 2, 3}, {3}}, mm});
KERAS_GRADCHECK({"matmul", "batched (2,3,4)@(2,4,2)", {{2, 3, 4}, {2, 4, 2}}, mm});
KERAS_GRADCHECK({"matmul", "shared kernel (2,3,4)@(4,2)", {{2, 3, 4}, {4, 2}}, mm});
KERAS_GRADCHECK({"matmul", "broadcast (2,1,2,3)@(3,3,2)", {{2, 1, 2, 3}, {3, 3, 2}}, mm});
KERAS_GRADCHECK({"matmul", "big enough for BLAS (9,10)@(10,11)", {{9, 10}, {10, 11}}, mm});
// Second order: the gradient rule itself is made of matmuls with transpose flags.
KERAS_GRADCHECK({"matmul", "gradient of a gradient", {{2, 3}, {3, 4}}, [](const In& in) {
                   keras::GradientTape tape;
                   return keras::gradients(ops::sum(ops::multiply(ops::matmul(in[0], in[1]), ops::matmul(in[0], in[1]))), {in[0]})[0];
                 }});

// ---- dense (the Dense layer's fused activation(x @ kernel + bias)) ----
namespace {
using keras::ops::detail::DenseActivation;
Tensor dense_with(const In& in, DenseActivation a) { return keras::ops::detail::dense(in[0], in[1], in[2], a); }
}  // namespace
KERAS_GRADCHECK({"dense", "linear, one row", {{1, 5}, {5, 3}, {3}},
                 [](const In& in) { return dense_with(in, DenseActivation::linear); }});
KERAS_GRADCHECK({"dense", "tanh, rows of 17 units (the row loops)", {{3, 4}, {4, 17}, {17}},
                 [](const In& in) { return dense_with(in, DenseActivation::tanh); }});
KERAS_GRADCHECK({"dense", "sigmoid, short rows (the kernels)", {{4, 3}, {3, 2}, {2}},
                 [](const In& in) { return dense_with(in, DenseActivation::sigmoid); }});
KERAS_GRADCHECK({"dense", "relu on a sequence (2,3,4)", {{2, 3, 4}, {4, 5}, {5}},
                 [](const In& in) { return dense_with(in, DenseActivation::relu); }});
