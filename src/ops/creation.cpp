// Creation ops: zeros/ones/full(_like), arange, eye.
#include <cstring>

#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

// fill_like(x): a tensor shaped like x filled with attrs.floats[0]. An op (not a constant)
// so that it works on symbolic tensors whose batch size is unknown until run time.
void fill_kernel(const KernelArgs& k) {
  const double value = k.attrs->floats.at(0);
  const std::int64_t n = k.output_shape->num_elements();
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    T* out = static_cast<T*>(k.output);
    const T v = static_cast<T>(value);
    for (std::int64_t i = 0; i < n; ++i) out[i] = v;
  });
}

const OpDef& fill_like_op() {
  static const OpDef def{"fill_like", 1, detail::same_as_input, fill_kernel, nullptr, false};
  return def;
}

}  // namespace

Tensor full_like(const Tensor& x, double value) {
  Attrs attrs;
  attrs.floats = {value};
  return apply_op(fill_like_op(), {x}, attrs);
}
Tensor zeros_like(const Tensor& x) { return full_like(x, 0.0); }
Tensor ones_like(const Tensor& x) { return full_like(x, 1.0); }

Tensor full(const Shape& shape, double value, DType dtype) {
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.size(); ++i) p[i] = static_cast<T>(value);
  });
  return t;
}
Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0.0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1.0, dtype); }

namespace detail {
void register_creation_ops(OpList& ops) { ops.push_back(&fill_like_op()); }
}  // namespace detail
}  // namespace keras::ops
