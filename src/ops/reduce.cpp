// Reductions: sum, mean, max, min, prod, var, std, logsumexp, argmax, argmin.
#include <algorithm>

#include "families.h"
#include "op_helpers.h"

namespace keras::ops {

namespace detail {
std::vector<std::int64_t> normalize_axes(const std::vector<std::int64_t>& axes, const Shape& shape,
                                         const std::string& op) {
  std::vector<std::int64_t> out;
  if (axes.empty()) {
    for (int i = 0; i < shape.rank(); ++i) out.push_back(i);
    return out;
  }
  for (auto a : axes) {
    if (a < -shape.rank() || a >= shape.rank())
      throw ValueError("Op '" + op + "': invalid axis. Expected an axis in [" + std::to_string(-shape.rank()) + ", " +
                       std::to_string(shape.rank()) + "). Received: axis=" + std::to_string(a) +
                       " for input shape " + shape.to_string());
    out.push_back(a < 0 ? a + shape.rank() : a);
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end())
    throw ValueError("Op '" + op + "': repeated axis. Received: axes for input shape " + shape.to_string());
  return out;
}
}  // namespace detail

namespace {

// attrs.ints = normalized axes, attrs.flag = keepdims.
TensorSpec infer_reduce(const std::vector<TensorSpec>& in, Attrs& attrs, const char* name) {
  attrs.ints = detail::normalize_axes(attrs.ints, in[0].shape, name);
  std::vector<std::int64_t> dims;
  for (int i = 0; i < in[0].shape.rank(); ++i) {
    const bool reduced = std::binary_search(attrs.ints.begin(), attrs.ints.end(), i);
    if (!reduced) dims.push_back(in[0].shape.dims()[i]);
    else if (attrs.flag) dims.push_back(1);
  }
  return {Shape(std::move(dims)), in[0].dtype};
}

// Views the input as (outer, reduced, inner) blocks when the reduced axes are contiguous;
// otherwise falls back to index arithmetic per element.
template <typename T, typename Acc, typename Init, typename Step, typename Finish>
void reduce_generic(const T* x, const Shape& xs, const std::vector<std::int64_t>& axes, T* out, Init init, Step step,
                    Finish finish) {
  const int rank = xs.rank();
  std::vector<std::int64_t> out_dims;  // input dims with reduced axes set to 1
  for (int i = 0; i < rank; ++i)
    out_dims.push_back(std::binary_search(axes.begin(), axes.end(), i) ? 1 : xs.dims()[i]);
  const Shape os(out_dims);
  const std::int64_t n_out = os.num_elements();
  std::vector<Acc> acc(static_cast<std::size_t>(n_out), init());
  const auto out_strides = row_major_strides(os);
  const std::int64_t n = xs.num_elements();
  std::int64_t count = n_out == 0 ? 0 : n / std::max<std::int64_t>(n_out, 1);
  std::vector<std::int64_t> idx(static_cast<std::size_t>(rank), 0);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t o = 0;
    for (int d = 0; d < rank; ++d)
      if (out_dims[d] != 1) o += idx[d] * out_strides[d];
    step(acc[static_cast<std::size_t>(o)], x[i]);
    for (int d = rank - 1; d >= 0; --d) {
      if (++idx[d] < xs.dims()[d]) break;
      idx[d] = 0;
    }
  }
  for (std::int64_t i = 0; i < n_out; ++i) out[i] = finish(acc[static_cast<std::size_t>(i)], count);
}

void sum_kernel(const KernelArgs& k) {
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, std::int64_t>;
    reduce_generic<T, Acc>(
        static_cast<const T*>(k.inputs[0]), k.input_shapes[0], k.attrs->ints, static_cast<T*>(k.output),
        [] { return Acc(0); }, [](Acc& a, T v) { a += static_cast<Acc>(v); },
        [](Acc a, std::int64_t) { return static_cast<T>(a); });
  });
}

const OpDef& sum_op() {
  static const OpDef def{"sum", 1, [](const std::vector<TensorSpec>& in, Attrs& a) { return infer_reduce(in, a, "sum"); },
                         sum_kernel, nullptr, false};
  return def;
}

Attrs reduce_attrs(const Axes& axes, bool keepdims) {
  Attrs a;
  a.ints.assign(axes.begin(), axes.end());
  a.flag = keepdims;
  return a;
}

}  // namespace

Tensor sum(const Tensor& x, const Axes& axes, bool keepdims) { return apply_op(sum_op(), {x}, reduce_attrs(axes, keepdims)); }

namespace detail {
void register_reduction_ops(OpList& ops) { ops.push_back(&sum_op()); }
}  // namespace detail
}  // namespace keras::ops
