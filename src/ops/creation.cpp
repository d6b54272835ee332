// Creation ops: zeros/ones/full(_like), arange, eye.
#include <algorithm>
#include <cmath>
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

namespace {
void require_defined_shape(const Shape& shape, const char* op) {
  for (auto d : shape)
    if (d < 0)
      throw ValueError(std::string("Op '") + op + "' expects a fully defined shape with non-negative dimensions "
                       "(use " + op + "_like for a tensor with an unknown batch size). Received: shape=" +
                       shape.to_string());
}

Tensor filled(const Shape& shape, double value, DType dtype, const char* op) {
  require_defined_shape(shape, op);
  Tensor t = Tensor::empty(shape, dtype);
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < t.size(); ++i) p[i] = static_cast<T>(value);
  });
  return t;
}
}  // namespace

Tensor full(const Shape& shape, double value, DType dtype) { return filled(shape, value, dtype, "full"); }
Tensor zeros(const Shape& shape, DType dtype) { return filled(shape, 0.0, dtype, "zeros"); }
Tensor ones(const Shape& shape, DType dtype) { return filled(shape, 1.0, dtype, "ones"); }

// numpy.arange: ceil((stop - start) / step) values start + i * step (none when the range
// is empty in the step's direction).
Tensor arange(double start, double stop, double step, DType dtype) {
  if (step == 0 || !std::isfinite(step) || !std::isfinite(start) || !std::isfinite(stop))
    throw ValueError("Op 'arange' expects finite start, stop and a non-zero step. Received: start=" +
                     std::to_string(start) + ", stop=" + std::to_string(stop) + ", step=" + std::to_string(step));
  const double count = std::ceil((stop - start) / step);
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  Tensor t = Tensor::empty(Shape{n}, dtype);
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + static_cast<double>(i) * step);
  });
  return t;
}

// m = -1 means square (Keras's M=None).
Tensor eye(std::int64_t n, std::int64_t m, DType dtype) {
  if (m == -1) m = n;
  if (n < 0 || m < 0)
    throw ValueError("Op 'eye' expects non-negative sizes. Received: N=" + std::to_string(n) +
                     ", M=" + std::to_string(m));
  Tensor t = filled(Shape{n, m}, 0.0, dtype, "eye");
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = T(1);
  });
  return t;
}

namespace detail {
void register_creation_ops(OpList& ops) { ops.push_back(&fill_like_op()); }
}  // namespace detail
}  // namespace keras::ops
