// Elementwise unary math ops (negative, square, sqrt, exp, log, ...), cast and clip.
#include <cmath>

#include "../backend/cpu/elementwise.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

template <typename F>
void unary_kernel(const KernelArgs& k, F f) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    backend::cpu::unary_map(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output),
                            k.output_shape->num_elements(), [&](T x) { return static_cast<T>(f(x)); });
  });
}

std::vector<Tensor> grad_negative(const GradContext& c) { return {negative(c.grad)}; }

const OpDef& negative_op() {
  static const OpDef def{"negative", 1, detail::same_as_input,
                         [](const KernelArgs& k) { unary_kernel(k, [](auto x) { return -x; }); }, grad_negative, true};
  return def;
}

}  // namespace

Tensor negative(const Tensor& x) { return apply_op(negative_op(), {x}); }

namespace detail {
void register_elementwise_unary_ops(OpList& ops) { ops.push_back(&negative_op()); }
}  // namespace detail
}  // namespace keras::ops
