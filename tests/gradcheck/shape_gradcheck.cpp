// Finite-difference checks for the shape ops and their internal gradient ops.
#include "gradcheck.h"
#include "keras/ops/ops.h"

using keras::Shape;
using keras::Tensor;
using In = std::vector<Tensor>;
namespace ops = keras::ops;

KERAS_GRADCHECK({"reshape", "(2,3,4)->(4,-1)", {{2, 3, 4}}, [](const In& in) { return ops::reshape(in[0], {4, -1}); }});
KERAS_GRADCHECK({"reshape_like", "(6,)->(2,3)", {{6}, {2, 3}}, [](const In& in) { return ops::reshape_like(in[0], in[1]); }});
KERAS_GRADCHECK({"transpose", "(2,3,4) perm (2,0,1)", {{2, 3, 4}}, [](const In& in) { return ops::transpose(in[0], {2, 0, 1}); }});
KERAS_GRADCHECK({"transpose", "(3,5) reversed", {{3, 5}}, [](const In& in) { return ops::transpose(in[0]); }});
KERAS_GRADCHECK({"expand_dims", "(2,3) axis -1", {{2, 3}}, [](const In& in) { return ops::expand_dims(in[0], -1); }});
KERAS_GRADCHECK({"squeeze", "(2,1,3,1) all", {{2, 1, 3, 1}}, [](const In& in) { return ops::squeeze(in[0]); }});
KERAS_GRADCHECK({"concatenate", "three inputs axis 1", {{2, 1}, {2, 3}, {2, 2}},
                 [](const In& in) { return ops::concatenate({in[0], in[1], in[2]}, 1); }});
KERAS_GRADCHECK({"concatenate", "same input twice axis 0", {{2, 3}},
                 [](const In& in) { return ops::concatenate({in[0], ops::multiply(in[0], in[0])}, 0); }});
KERAS_GRADCHECK({"concatenate", "stack of two, axis 1", {{2, 3}, {2, 3}},
                 [](const In& in) { return ops::stack({in[0], in[1]}, 1); }});
KERAS_GRADCHECK({"slice", "(3,4) [1:3, 1:]", {{3, 4}}, [](const In& in) { return ops::slice(in[0], {1, 1}, {2, -1}); }});
KERAS_GRADCHECK({"slice", "split pieces recombined", {{5, 2}}, [](const In& in) {
                   auto parts = ops::split(in[0], std::vector<std::int64_t>{2, 3}, 0);
                   return ops::concatenate({ops::multiply(parts[2], parts[2]), parts[0]}, 0); }});
KERAS_GRADCHECK({"slice_grad", "(2,2) into (3,4) at (1,2)", {{2, 2}, {3, 4}},
                 [](const In& in) { return ops::slice_grad(in[0], in[1], {1, 2}, {2, -1}); }});
KERAS_GRADCHECK({"broadcast_to", "(2,1)->(3,2,4)", {{2, 1}}, [](const In& in) { return ops::broadcast_to(in[0], {3, 2, 4}); }});
KERAS_GRADCHECK({"tile", "(2,3) by (2,1,2)", {{2, 3}}, [](const In& in) { return ops::tile(in[0], {2, 1, 2}); }});
KERAS_GRADCHECK({"tile", "(2,1,3) by (3,)", {{2, 1, 3}}, [](const In& in) { return ops::tile(in[0], {3}); }});
