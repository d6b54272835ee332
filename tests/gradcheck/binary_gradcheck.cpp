#include "gradcheck.h"
#include "keras/ops/ops.h"

using keras::Tensor;
namespace ops = keras::ops;

KERAS_GRADCHECK({"add", "broadcast (2,3)+(3,)", {{2, 3}, {3}}, [](const std::vector<Tensor>& in) { return ops::add(in[0], in[1]); }});
KERAS_GRADCHECK({"subtract", "broadcast (2,1)-(1,3)", {{2, 1}, {1, 3}}, [](const std::vector<Tensor>& in) { return ops::subtract(in[0], in[1]); }});
KERAS_GRADCHECK({"multiply", "broadcast (4,3)*(1,3)", {{4, 3}, {1, 3}}, [](const std::vector<Tensor>& in) { return ops::multiply(in[0], in[1]); }});
KERAS_GRADCHECK({"divide", "broadcast (2,3)/(3,)", {{2, 3}, {3}}, [](const std::vector<Tensor>& in) { return ops::divide(in[0], in[1]); }, 0.5, 2.0});
KERAS_GRADCHECK({"power", "positive base", {{2, 3}, {2, 3}}, [](const std::vector<Tensor>& in) { return ops::power(in[0], in[1]); }, 0.5, 2.0});
KERAS_GRADCHECK({"maximum", "broadcast", {{2, 3}, {3}}, [](const std::vector<Tensor>& in) { return ops::maximum(in[0], in[1]); }});
KERAS_GRADCHECK({"minimum", "broadcast", {{2, 3}, {3}}, [](const std::vector<Tensor>& in) { return ops::minimum(in[0], in[1]); }});
KERAS_GRADCHECK({"where", "broadcast", {{2, 3}, {3}}, [](const std::vector<Tensor>& in) {
                   return ops::where(ops::greater(in[0], ops::zeros_like(in[0])), in[0], in[1]); }});
