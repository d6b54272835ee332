// Shape manipulation: reshape (and reshape_like), transpose, expand_dims, squeeze,
// concatenate (stack and split are built on it and slice), slice (and slice_grad),
// broadcast_to, tile.
//
// All data movement goes through backend::cpu::strided_copy. Infer functions accept unknown
// (-1) dims and keep attrs in a form that is still valid when a plan re-infers with concrete
// shapes: e.g. reshape keeps the user's -1, squeeze records which axes it resolved.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "../backend/cpu/copy.h"
#include "../backend/cpu/elementwise.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

using Ints = std::vector<std::int64_t>;

// "(4, -1)": the user's own spelling of a target, where -1 means "infer", not None.
std::string ints_string(const Ints& v) {
  std::string s = "(";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  if (v.size() == 1) s += ",";
  return s + ")";
}

std::string shapes_string(const std::vector<TensorSpec>& in) {
  std::string s;
  for (std::size_t i = 0; i < in.size(); ++i) s += (i ? ", " : "") + in[i].shape.to_string();
  return s;
}

// Product of the known dims only.
std::int64_t known_elements(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s)
    if (d >= 0) n *= d;
  return n;
}

void copy_kernel(const KernelArgs& k) {
  const auto bytes = static_cast<std::size_t>(k.output_shape->num_elements()) * dtype_size(k.output_dtype);
  if (bytes) std::memcpy(k.output, k.inputs[0], bytes);
}

// ---- reshape / reshape_like ------------------------------------------------------------------

// attrs.ints: the target exactly as given (one -1 allowed). It is not rewritten, so that a
// plan re-inferring with a concrete batch size infers the -1 again.
TensorSpec infer_reshape(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& xs = in[0].shape;
  const Ints& target = attrs.ints;
  const auto fail = [&](const std::string& why) {
    throw ValueError("Cannot reshape a tensor of shape " + xs.to_string() + " into shape " + ints_string(target) +
                     ": " + why + ". Received: input shape " + xs.to_string() + ", target shape " +
                     ints_string(target));
  };
  int infer_at = -1;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (infer_at >= 0) fail("only one dimension can be -1 (inferred)");
      infer_at = static_cast<int>(i);
    } else if (target[i] < 0) {
      fail("dimensions must be non-negative or -1");
    } else {
      known *= target[i];
    }
  }
  Shape out(target);
  const std::int64_t n = xs.num_elements();
  if (n >= 0) {
    if (infer_at >= 0) {
      if (known == 0 || n % known != 0)
        fail("the input's " + std::to_string(n) + " elements do not divide into the known target dimensions (" +
             std::to_string(known) + " elements)");
      out.dims()[infer_at] = n / known;
    } else if (known != n) {
      fail("the number of elements must not change (" + std::to_string(n) + " != " + std::to_string(known) + ")");
    }
  } else if (infer_at < 0) {
    // Unknown input dims: the target is consistent when some value of them gives its size.
    const std::int64_t known_in = known_elements(xs);
    if (known_in != 0 && known % known_in != 0)
      fail("the target's " + std::to_string(known) + " elements are not a multiple of the input's known " +
           std::to_string(known_in) + " elements");
  }
  // With unknown input dims the -1 entry stays unknown (None).
  return {out, in[0].dtype};
}

std::vector<Tensor> grad_reshape(const GradContext& c) { return {reshape_like(c.grad, c.inputs[0])}; }

const OpDef& reshape_op() {
  static const OpDef def{"reshape", 1, infer_reshape, copy_kernel, grad_reshape, false};
  return def;
}

TensorSpec infer_reshape_like(const std::vector<TensorSpec>& in, Attrs&) {
  const std::int64_t n = in[0].shape.num_elements(), m = in[1].shape.num_elements();
  if (n >= 0 && m >= 0 && n != m)
    throw ValueError("Cannot reshape a tensor of shape " + in[0].shape.to_string() + " into shape " +
                     in[1].shape.to_string() + ": the number of elements must not change (" + std::to_string(n) +
                     " != " + std::to_string(m) + "). Received: input shape " + in[0].shape.to_string() +
                     ", reference shape " + in[1].shape.to_string());
  return {in[1].shape, in[0].dtype};
}

std::vector<Tensor> grad_reshape_like(const GradContext& c) { return {reshape_like(c.grad, c.inputs[0]), Tensor()}; }

const OpDef& reshape_like_op() {
  static const OpDef def{"reshape_like", 2, infer_reshape_like, copy_kernel, grad_reshape_like, false};
  return def;
}

// ---- transpose ---------------------------------------------------------------------------------

// attrs.ints: the permutation, canonicalized to non-negative entries (empty = reversed).
TensorSpec infer_transpose(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& xs = in[0].shape;
  const int r = xs.rank();
  Ints perm = attrs.ints;
  if (perm.empty())
    for (int i = r - 1; i >= 0; --i) perm.push_back(i);
  std::vector<bool> seen(static_cast<std::size_t>(r), false);
  bool valid = static_cast<int>(perm.size()) == r;
  for (auto& p : perm) {
    if (!valid) break;
    if (p < -r || p >= r) { valid = false; break; }
    if (p < 0) p += r;
    if (seen[static_cast<std::size_t>(p)]) valid = false;
    seen[static_cast<std::size_t>(p)] = true;
  }
  if (!valid)
    throw ValueError("Op 'transpose' expects axes to be a permutation of the " + std::to_string(r) +
                     " axes of the input. Received: axes=" + ints_string(attrs.ints) + " for input shape " +
                     xs.to_string());
  Ints dims;
  for (auto p : perm) dims.push_back(xs.dims()[p]);
  attrs.ints = perm;
  return {Shape(dims), in[0].dtype};
}

void transpose_kernel(const KernelArgs& k) {
  const Shape& xs = k.input_shapes[0];
  backend::cpu::transpose_copy(k.inputs[0], k.output, xs.dims().data(), k.attrs->ints.data(), xs.rank(),
                               dtype_size(k.output_dtype));
}

std::vector<Tensor> grad_transpose(const GradContext& c) {
  const Ints& perm = c.attrs.ints;
  std::vector<int> inverse(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inverse[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  return {transpose(c.grad, inverse)};
}

const OpDef& transpose_op() {
  static const OpDef def{"transpose", 1, infer_transpose, transpose_kernel, grad_transpose, false};
  return def;
}

// ---- expand_dims / squeeze -------------------------------------------------------------------

std::vector<Tensor> grad_like_input(const GradContext& c) { return {reshape_like(c.grad, c.inputs[0])}; }

// attrs.i: the new axis, canonicalized into [0, rank].
TensorSpec infer_expand_dims(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& xs = in[0].shape;
  const int r = xs.rank();
  if (attrs.i < -(r + 1) || attrs.i > r)
    throw ValueError("Op 'expand_dims' expects an axis in [" + std::to_string(-(r + 1)) + ", " + std::to_string(r) +
                     "] for a tensor of rank " + std::to_string(r) + ". Received: axis=" + std::to_string(attrs.i) +
                     " for input shape " + xs.to_string());
  if (attrs.i < 0) attrs.i += r + 1;
  Ints dims = xs.dims();
  dims.insert(dims.begin() + attrs.i, 1);
  return {Shape(dims), in[0].dtype};
}

const OpDef& expand_dims_op() {
  static const OpDef def{"expand_dims", 1, infer_expand_dims, copy_kernel, grad_like_input, false};
  return def;
}

// attrs.ints: axes to drop; attrs.flag: whether they are already resolved. "Every size-1
// axis" is resolved once, at the first inference: re-inferring with a concrete batch size of
// 1 must not suddenly drop the batch axis.
TensorSpec infer_squeeze(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& xs = in[0].shape;
  if (!attrs.flag) {
    if (attrs.ints.empty()) {
      for (int i = 0; i < xs.rank(); ++i)
        if (xs.dims()[i] == 1) attrs.ints.push_back(i);
    } else {
      attrs.ints = detail::normalize_axes(attrs.ints, xs, "squeeze");
    }
    attrs.flag = true;
  }
  Ints dims;
  for (int i = 0; i < xs.rank(); ++i) {
    const bool drop = std::find(attrs.ints.begin(), attrs.ints.end(), i) != attrs.ints.end();
    const std::int64_t d = xs.dims()[i];
    // An unknown dim named explicitly is trusted now and checked once the size is known.
    if (drop && d != 1 && d >= 0)
      throw ValueError("Op 'squeeze' can only remove axes of size 1. Axis " + std::to_string(i) + " has size " +
                       std::to_string(d) + ". Received: input shape " + xs.to_string());
    if (!drop) dims.push_back(d);
  }
  return {Shape(dims), in[0].dtype};
}

const OpDef& squeeze_op() {
  static const OpDef def{"squeeze", 1, infer_squeeze, copy_kernel, grad_like_input, false};
  return def;
}

// ---- concatenate -------------------------------------------------------------------------------

// attrs.i: the axis, canonicalized.
TensorSpec infer_concatenate(const std::vector<TensorSpec>& in, Attrs& attrs) {
  if (in.empty()) throw ValueError("Op 'concatenate' expects at least one tensor. Received: 0 tensors");
  const int r = in[0].shape.rank();
  for (const auto& s : in) {
    if (s.dtype != in[0].dtype)
      throw TypeError("Op 'concatenate' expects all inputs to have the same dtype. Received: dtypes " +
                      dtype_name(in[0].dtype) + " and " + dtype_name(s.dtype) + " for shapes " + shapes_string(in));
    if (s.shape.rank() != r)
      throw ValueError("Op 'concatenate' expects all inputs to have the same rank. Received: shapes " +
                       shapes_string(in));
  }
  if (r == 0) throw ValueError("Op 'concatenate' cannot concatenate scalars (rank 0). Received: shapes " + shapes_string(in));
  if (attrs.i < -r || attrs.i >= r)
    throw ValueError("Op 'concatenate' expects an axis in [" + std::to_string(-r) + ", " + std::to_string(r) +
                     "). Received: axis=" + std::to_string(attrs.i) + " for shapes " + shapes_string(in));
  if (attrs.i < 0) attrs.i += r;
  const int axis = static_cast<int>(attrs.i);
  Ints dims(static_cast<std::size_t>(r), kUnknownDim);
  std::int64_t total = 0;
  for (const auto& s : in) {
    for (int d = 0; d < r; ++d) {
      const std::int64_t v = s.shape.dims()[d];
      if (d == axis) continue;
      if (v >= 0 && dims[d] >= 0 && v != dims[d])
        throw ValueError("Op 'concatenate' expects all input shapes to match except along the concatenation axis " +
                         std::to_string(axis) + ". Received: shapes " + shapes_string(in));
      if (v >= 0) dims[d] = v;
    }
    const std::int64_t a = s.shape.dims()[axis];
    total = (a < 0 || total < 0) ? kUnknownDim : total + a;
  }
  dims[axis] = total;
  return {Shape(dims), in[0].dtype};
}

void concatenate_kernel(const KernelArgs& k) {
  const Shape& os = *k.output_shape;
  const int axis = static_cast<int>(k.attrs->i);
  const auto dst_strides = row_major_strides(os);
  const std::size_t esize = dtype_size(k.output_dtype);
  std::int64_t offset = 0;
  for (int i = 0; i < k.num_inputs; ++i) {
    const Shape& s = k.input_shapes[i];
    const auto src_strides = row_major_strides(s);
    auto* dst = static_cast<unsigned char*>(k.output) + offset * dst_strides[axis] * static_cast<std::int64_t>(esize);
    backend::cpu::strided_copy(k.inputs[i], src_strides.data(), dst, dst_strides.data(), s.dims().data(), s.rank(),
                               esize);
    offset += s.dims()[axis];
  }
}

// Each input's gradient is its slab of g. Slabs need known offsets: every input before
// this one must have a known size along the axis (the last may extend "to the end").
std::vector<Tensor> grad_concatenate(const GradContext& c) {
  const int axis = static_cast<int>(c.attrs.i);
  const int r = c.grad.rank();
  std::vector<Tensor> grads;
  std::int64_t offset = 0;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const std::int64_t n = c.inputs[i].shape().dims()[axis];
    const bool last = i + 1 == c.inputs.size();
    if (offset < 0 || (n < 0 && !last))
      throw NotImplementedError("The gradient of concatenate along an axis of unknown size is not supported. "
                                "Received: input shapes with axis " + std::to_string(axis) + " of size None");
    Ints start(static_cast<std::size_t>(r), 0), sizes(static_cast<std::size_t>(r), -1);
    start[axis] = offset;
    sizes[axis] = last ? -1 : n;
    grads.push_back(slice(c.grad, start, sizes));
    offset = n < 0 ? kUnknownDim : offset + n;
  }
  return grads;
}

const OpDef& concatenate_op() {
  static const OpDef def{"concatenate", -1, infer_concatenate, concatenate_kernel, grad_concatenate, false};
  return def;
}

// ---- slice / slice_grad ------------------------------------------------------------------------

// attrs.ints = start (rank entries) then sizes (rank entries; -1 = to the end). Returns the
// region's shape, unknown where it extends to the end of an unknown dim.
Shape slice_region(const Shape& xs, const Ints& packed, const std::string& op) {
  const int r = xs.rank();
  const Ints start(packed.begin(), packed.begin() + std::min<std::size_t>(packed.size(), r));
  const Ints sizes(packed.begin() + std::min<std::size_t>(packed.size(), r), packed.end());
  if (start.size() != static_cast<std::size_t>(r) || sizes.size() != static_cast<std::size_t>(r))
    throw ValueError("Op '" + op + "' expects one start index and one size per axis (" + std::to_string(r) +
                     "). Received: start=" + ints_string(start) + ", shape=" + ints_string(sizes) +
                     " for input shape " + xs.to_string());
  Ints dims;
  for (int d = 0; d < r; ++d) {
    const std::int64_t dim = xs.dims()[d], b = start[d], n = sizes[d];
    const bool bad = b < 0 || n < -1 || (dim >= 0 && (b > dim || (n >= 0 && b + n > dim)));
    if (bad)
      throw ValueError("Op '" + op + "': the slice is out of bounds at axis " + std::to_string(d) +
                       ". Expected 0 <= start and start + size <= dimension (size -1 = to the end). Received: start=" +
                       ints_string(start) + ", shape=" + ints_string(sizes) + " for input shape " + xs.to_string());
    dims.push_back(n >= 0 ? n : (dim >= 0 ? dim - b : kUnknownDim));
  }
  return Shape(dims);
}

TensorSpec infer_slice(const std::vector<TensorSpec>& in, Attrs& attrs) {
  return {slice_region(in[0].shape, attrs.ints, "slice"), in[0].dtype};
}

// Copies the region between a whole tensor `big` and a contiguous `small` one.
void copy_region(const Shape& big, const Ints& start, const Shape& small, const void* src, void* dst,
                 std::size_t esize, bool big_to_small) {
  const auto big_strides = row_major_strides(big);
  const auto small_strides = row_major_strides(small);
  std::int64_t base = 0;
  for (int d = 0; d < big.rank(); ++d) base += start[d] * big_strides[d];
  const auto byte_base = base * static_cast<std::int64_t>(esize);
  if (big_to_small)
    backend::cpu::strided_copy(static_cast<const unsigned char*>(src) + byte_base, big_strides.data(), dst,
                               small_strides.data(), small.dims().data(), small.rank(), esize);
  else
    backend::cpu::strided_copy(src, small_strides.data(), static_cast<unsigned char*>(dst) + byte_base,
                               big_strides.data(), small.dims().data(), small.rank(), esize);
}

void slice_kernel(const KernelArgs& k) {
  copy_region(k.input_shapes[0], k.attrs->ints, *k.output_shape, k.inputs[0], k.output, dtype_size(k.output_dtype),
              true);
}

std::vector<Tensor> grad_slice(const GradContext& c) {
  const Ints& packed = c.attrs.ints;
  const auto r = static_cast<std::size_t>(c.inputs[0].rank());
  return {slice_grad(c.grad, c.inputs[0], Ints(packed.begin(), packed.begin() + r), Ints(packed.begin() + r, packed.end()))};
}

const OpDef& slice_op() {
  static const OpDef def{"slice", 1, infer_slice, slice_kernel, grad_slice, false};
  return def;
}

// slice_grad(g, ref): attrs as slice's. g must fit the region the slice took from ref.
TensorSpec infer_slice_grad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape region = slice_region(in[1].shape, attrs.ints, "slice_grad");
  const Shape& gs = in[0].shape;
  bool fits = gs.rank() == region.rank();
  for (int d = 0; fits && d < gs.rank(); ++d)
    fits = gs.dims()[d] < 0 || region.dims()[d] < 0 || gs.dims()[d] == region.dims()[d];
  if (!fits)
    throw ValueError("Op 'slice_grad' expects a gradient shaped like the slice " + region.to_string() +
                     ". Received: gradient shape " + gs.to_string() + " for reference shape " + in[1].shape.to_string());
  return {in[1].shape, in[0].dtype};
}

void slice_grad_kernel(const KernelArgs& k) {
  const Shape& os = *k.output_shape;
  const std::size_t esize = dtype_size(k.output_dtype);
  std::memset(k.output, 0, static_cast<std::size_t>(os.num_elements()) * esize);  // all-zero bits are 0 in every dtype
  copy_region(os, k.attrs->ints, k.input_shapes[0], k.inputs[0], k.output, esize, false);
}

std::vector<Tensor> grad_slice_grad(const GradContext& c) {
  const Ints& packed = c.attrs.ints;
  const auto r = static_cast<std::size_t>(c.inputs[1].rank());
  return {slice(c.grad, Ints(packed.begin(), packed.begin() + r), Ints(packed.begin() + r, packed.end())), Tensor()};
}

const OpDef& slice_grad_op() {
  static const OpDef def{"slice_grad", 2, infer_slice_grad, slice_grad_kernel, grad_slice_grad, false};
  return def;
}

// ---- broadcast_to / tile -----------------------------------------------------------------------

// attrs.ints: the target shape (fully defined).
TensorSpec infer_broadcast_to(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& xs = in[0].shape;
  const Shape target(attrs.ints);
  bool ok = target.is_fully_defined() && xs.rank() <= target.rank();
  for (int i = 0; ok && i < xs.rank(); ++i) {
    const std::int64_t d = xs.dims()[i], t = target.dims()[target.rank() - xs.rank() + i];
    ok = d == t || d == 1 || d < 0;  // an unknown dim is checked when it is known
  }
  if (!ok)
    throw ValueError("Cannot broadcast a tensor of shape " + xs.to_string() + " to shape " + ints_string(attrs.ints) +
                     ": expected a fully defined target of at least the input's rank, whose trailing dimensions "
                     "equal the input's or where the input has 1 (broadcast_like takes a target with unknown "
                     "dimensions from a reference tensor). Received: input shape " + xs.to_string() +
                     ", target shape " + ints_string(attrs.ints));
  return {target, in[0].dtype};
}

void broadcast_to_kernel(const KernelArgs& k) {
  const Shape& os = *k.output_shape;
  const auto src_strides = backend::cpu::broadcast_strides(k.input_shapes[0], os);
  const auto dst_strides = row_major_strides(os);
  backend::cpu::strided_copy(k.inputs[0], src_strides.data(), k.output, dst_strides.data(), os.dims().data(),
                             os.rank(), dtype_size(k.output_dtype));
}

// The engine sums the gradient over the broadcast axes.
std::vector<Tensor> grad_broadcast_to(const GradContext& c) { return {c.grad}; }

const OpDef& broadcast_to_op() {
  static const OpDef def{"broadcast_to", 1, infer_broadcast_to, broadcast_to_kernel, grad_broadcast_to, false};
  return def;
}

// NumPy's rule: the shorter of (input dims, repeats) is padded with leading 1s.
void tile_padded(const Shape& xs, const Ints& repeats, Ints& dims, Ints& reps) {
  const std::size_t r = std::max<std::size_t>(xs.dims().size(), repeats.size());
  dims.assign(r - xs.dims().size(), 1);
  dims.insert(dims.end(), xs.dims().begin(), xs.dims().end());
  reps.assign(r - repeats.size(), 1);
  reps.insert(reps.end(), repeats.begin(), repeats.end());
}

// attrs.ints: repeats.
TensorSpec infer_tile(const std::vector<TensorSpec>& in, Attrs& attrs) {
  for (auto rep : attrs.ints)
    if (rep < 0)
      throw ValueError("Op 'tile' expects non-negative repeats. Received: repeats=" + ints_string(attrs.ints) +
                       " for input shape " + in[0].shape.to_string());
  Ints dims, reps;
  tile_padded(in[0].shape, attrs.ints, dims, reps);
  for (std::size_t i = 0; i < dims.size(); ++i)
    dims[i] = reps[i] == 0 ? 0 : (dims[i] < 0 ? kUnknownDim : dims[i] * reps[i]);
  return {Shape(dims), in[0].dtype};
}

// The output, viewed as (r0, d0, r1, d1, ...), reads the input at strides (0, s0, 0, s1, ...).
void tile_kernel(const KernelArgs& k) {
  Ints dims, reps;
  tile_padded(k.input_shapes[0], k.attrs->ints, dims, reps);
  const auto in_strides = row_major_strides(Shape(dims));
  Ints view, src_strides;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    view.insert(view.end(), {reps[i], dims[i]});
    src_strides.insert(src_strides.end(), {0, in_strides[i]});
  }
  const auto dst_strides = row_major_strides(Shape(view));
  backend::cpu::strided_copy(k.inputs[0], src_strides.data(), k.output, dst_strides.data(), view.data(),
                             static_cast<int>(view.size()), dtype_size(k.output_dtype));
}

// Sum over the tiled copies: g viewed as (r0, d0, r1, d1, ...) summed over the r axes. An
// unknown d becomes the view's one -1; the engine drops the padded leading axes.
std::vector<Tensor> grad_tile(const GradContext& c) {
  Ints dims, reps;
  tile_padded(c.inputs[0].shape(), c.attrs.ints, dims, reps);
  Ints view;
  Axes tiled;
  int unknown = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) ++unknown;
    tiled.push_back(static_cast<int>(view.size()));
    view.insert(view.end(), {reps[i], dims[i]});
  }
  if (unknown > 1)
    throw NotImplementedError("The gradient of tile with more than one unknown dimension is not supported. "
                              "Received: input shape " + c.inputs[0].shape().to_string());
  return {sum(reshape(c.grad, Shape(view)), tiled)};
}

const OpDef& tile_op() {
  static const OpDef def{"tile", 1, infer_tile, tile_kernel, grad_tile, false};
  return def;
}

std::string specs_dtypes(const std::vector<Tensor>& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + dtype_name(xs[i].dtype());
  return s;
}

std::string tensors_shapes(const std::vector<Tensor>& xs) {
  std::string s;
  for (std::size_t i = 0; i < xs.size(); ++i) s += (i ? ", " : "") + xs[i].shape().to_string();
  return s;
}

}  // namespace

Tensor reshape(const Tensor& x, const Shape& new_shape) {
  Attrs a;
  a.ints = new_shape.dims();
  return apply_op(reshape_op(), {x}, a);
}

Tensor reshape_like(const Tensor& x, const Tensor& ref) { return apply_op(reshape_like_op(), {x, ref}); }

Tensor transpose(const Tensor& x, const std::vector<int>& perm) {
  Attrs a;
  a.ints.assign(perm.begin(), perm.end());
  return apply_op(transpose_op(), {x}, a);
}

Tensor expand_dims(const Tensor& x, int axis) {
  Attrs a;
  a.i = axis;
  return apply_op(expand_dims_op(), {x}, a);
}

Tensor squeeze(const Tensor& x, const Axes& axes) {
  Attrs a;
  a.ints.assign(axes.begin(), axes.end());
  return apply_op(squeeze_op(), {x}, a);
}

Tensor concatenate(const std::vector<Tensor>& xs, int axis) {
  Attrs a;
  a.i = axis;
  return apply_op(concatenate_op(), xs, a);
}

// Built from expand_dims + concatenate, whose gradients it inherits.
Tensor stack(const std::vector<Tensor>& xs, int axis) {
  if (xs.empty()) throw ValueError("Op 'stack' expects at least one tensor. Received: 0 tensors");
  for (const Tensor& x : xs) {
    if (x.dtype() != xs[0].dtype())
      throw TypeError("Op 'stack' expects all inputs to have the same dtype. Received: dtypes " + specs_dtypes(xs) +
                      " for shapes " + tensors_shapes(xs));
    bool same = x.rank() == xs[0].rank();
    for (int d = 0; same && d < x.rank(); ++d) {
      const std::int64_t u = x.shape().dims()[d], v = xs[0].shape().dims()[d];
      same = u == v || u < 0 || v < 0;
    }
    if (!same)
      throw ValueError("Op 'stack' expects all inputs to have the same shape. Received: shapes " + tensors_shapes(xs));
  }
  const int r = xs[0].rank();
  if (axis < -(r + 1) || axis > r)
    throw ValueError("Op 'stack' expects an axis in [" + std::to_string(-(r + 1)) + ", " + std::to_string(r) +
                     "]. Received: axis=" + std::to_string(axis) + " for shapes " + tensors_shapes(xs));
  if (axis < 0) axis += r + 1;
  std::vector<Tensor> expanded;
  expanded.reserve(xs.size());
  for (const Tensor& x : xs) expanded.push_back(expand_dims(x, axis));
  return concatenate(expanded, axis);
}

Tensor slice(const Tensor& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& sizes) {
  Attrs a;
  a.ints = start;
  a.ints.insert(a.ints.end(), sizes.begin(), sizes.end());
  // Lengths are checked here too: packed together they could otherwise pass as a whole.
  if (start.size() != sizes.size())
    throw ValueError("Op 'slice' expects one start index and one size per axis (" + std::to_string(x.rank()) +
                     "). Received: start=" + ints_string(start) + ", shape=" + ints_string(sizes) +
                     " for input shape " + x.shape().to_string());
  return apply_op(slice_op(), {x}, a);
}

Tensor slice_grad(const Tensor& g, const Tensor& ref, const std::vector<std::int64_t>& start,
                  const std::vector<std::int64_t>& sizes) {
  if (start.size() != sizes.size())
    throw ValueError("Op 'slice_grad' expects one start index and one size per axis. Received: start=" +
                     ints_string(start) + ", shape=" + ints_string(sizes));
  Attrs a;
  a.ints = start;
  a.ints.insert(a.ints.end(), sizes.begin(), sizes.end());
  return apply_op(slice_grad_op(), {g, ref}, a);
}

std::vector<Tensor> split(const Tensor& x, int sections, int axis) {
  const int ax = x.shape().normalize_axis(axis);
  const std::int64_t dim = x.shape().dims()[ax];
  if (sections <= 0)
    throw ValueError("Op 'split' expects a positive number of sections. Received: sections=" +
                     std::to_string(sections) + " for input shape " + x.shape().to_string());
  if (dim < 0)
    throw ValueError("Op 'split' into equal sections needs the size of axis " + std::to_string(ax) +
                     " to be known. Received: input shape " + x.shape().to_string());
  if (dim % sections != 0)
    throw ValueError("Op 'split' expects the size of axis " + std::to_string(ax) + " (" + std::to_string(dim) +
                     ") to be divisible by the number of sections. Received: sections=" + std::to_string(sections) +
                     " for input shape " + x.shape().to_string());
  std::vector<std::int64_t> indices;
  for (int s = 1; s < sections; ++s) indices.push_back(s * (dim / sections));
  return split(x, indices, ax);
}

// numpy.split with indices: negative indices wrap, out-of-range ones clip, and decreasing
// ones give empty pieces.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& indices, int axis) {
  const int ax = x.shape().normalize_axis(axis);
  const int r = x.rank();
  const std::int64_t dim = x.shape().dims()[ax];
  std::vector<Tensor> pieces;
  std::int64_t begin = 0;
  for (std::size_t i = 0; i <= indices.size(); ++i) {
    const bool last = i == indices.size();
    std::int64_t end = last ? dim : indices[i];
    if (!last && end < 0) {
      if (dim < 0)
        throw ValueError("Op 'split' cannot use a negative index along an axis of unknown size. Received: indices=" +
                         ints_string(indices) + " for input shape " + x.shape().to_string());
      end += dim;
    }
    if (dim >= 0) end = std::clamp<std::int64_t>(end, 0, dim);
    const std::int64_t b = dim >= 0 ? std::min(begin, dim) : begin;
    Ints start(static_cast<std::size_t>(r), 0), sizes(static_cast<std::size_t>(r), -1);
    start[ax] = b;
    sizes[ax] = (last && dim < 0) ? -1 : std::max<std::int64_t>(0, end - b);
    pieces.push_back(slice(x, start, sizes));
    begin = std::max(b, end);
  }
  return pieces;
}

Tensor broadcast_to(const Tensor& x, const Shape& shape) {
  Attrs a;
  a.ints = shape.dims();
  return apply_op(broadcast_to_op(), {x}, a);
}

Tensor tile(const Tensor& x, const std::vector<std::int64_t>& repeats) {
  Attrs a;
  a.ints = repeats;
  return apply_op(tile_op(), {x}, a);
}

namespace detail {
void register_shape_ops(OpList& ops) {
  for (const OpDef* op : {&reshape_op(), &reshape_like_op(), &transpose_op(), &expand_dims_op(), &squeeze_op(),
                          &concatenate_op(), &slice_op(), &slice_grad_op(), &broadcast_to_op(), &tile_op()})
    ops.push_back(op);
}
}  // namespace detail
}  // namespace keras::ops
