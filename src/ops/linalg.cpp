// Linear algebra: matmul with NumPy semantics (1-D promotion, broadcast batch dimensions).
//
// The registered "matmul" op also carries transpose flags (attrs.ints = {transpose_a,
// transpose_b}, both operands of rank >= 2 when set): gradient rules use them instead of
// materializing transposes, and BLAS applies them for free. keras::ops::matmul never sets them.
#include "../backend/cpu/matmul.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;

// Everything about one product, derived from the operand shapes.
struct MatmulGeometry {
  bool a_vector = false, b_vector = false;  // 1-D operands, promoted to (1,k) / (k,1)
  std::int64_t m = 0, n = 0, k = 0;
  Shape a_batch, b_batch, out_batch;
  Shape out;
};

std::string shapes_received(const Shape& a, const Shape& b) {
  return "Received: " + a.to_string() + " and " + b.to_string();
}

MatmulGeometry matmul_geometry(const Shape& as, const Shape& bs, bool ta, bool tb) {
  if (as.rank() == 0 || bs.rank() == 0)
    throw ValueError("matmul expects operands of rank >= 1 (scalars are not allowed; use multiply). " +
                     shapes_received(as, bs));
  MatmulGeometry g;
  g.a_vector = as.rank() == 1;
  g.b_vector = bs.rank() == 1;
  if ((ta && g.a_vector) || (tb && g.b_vector))
    throw ValueError("matmul transpose flags need operands of rank >= 2. " + shapes_received(as, bs));
  // Promoted matrix dims: a (rows_a, cols_a), b (rows_b, cols_b) as stored.
  const std::int64_t rows_a = g.a_vector ? 1 : as[-2], cols_a = as[-1];
  const std::int64_t rows_b = g.b_vector ? bs[0] : bs[-2], cols_b = g.b_vector ? 1 : bs[-1];
  g.m = ta ? cols_a : rows_a;
  const std::int64_t ka = ta ? rows_a : cols_a;
  const std::int64_t kb = tb ? cols_b : rows_b;
  g.n = tb ? rows_b : cols_b;
  if (ka >= 0 && kb >= 0 && ka != kb)
    throw ValueError("Incompatible shapes for matmul: the inner dimensions (x1.shape[-1] and x2.shape[-2]) must be "
                     "equal. " + shapes_received(as, bs));
  g.k = ka >= 0 ? ka : kb;
  g.a_batch = Shape(std::vector<std::int64_t>(as.dims().begin(), as.dims().end() - (g.a_vector ? 1 : 2)));
  g.b_batch = Shape(std::vector<std::int64_t>(bs.dims().begin(), bs.dims().end() - (g.b_vector ? 1 : 2)));
  try {
    g.out_batch = broadcast_shapes(g.a_batch, g.b_batch, "matmul");
  } catch (const ValueError&) {
    throw ValueError("Incompatible shapes for matmul: the batch dimensions do not broadcast. " +
                     shapes_received(as, bs));
  }
  g.out = g.out_batch;
  if (!g.a_vector) g.out.push_back(g.m);
  if (!g.b_vector) g.out.push_back(g.n);
  return g;
}

bool flag_at(const Attrs& a, std::size_t i) { return a.ints.size() > i && a.ints[i] != 0; }

TensorSpec infer_matmul(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const TensorSpec& a = in[0];
  const TensorSpec& b = in[1];
  if (a.dtype != b.dtype)
    throw TypeError("matmul expects both operands to have the same dtype. Received: " + dtype_name(a.dtype) +
                    " with shape " + a.shape.to_string() + " and " + dtype_name(b.dtype) + " with shape " +
                    b.shape.to_string() + ". Use keras::ops::cast to convert one of them.");
  if (a.dtype == DType::bool_)
    throw TypeError("matmul expects numeric operands. Received: bool with shapes " + a.shape.to_string() + " and " +
                    b.shape.to_string());
  return {matmul_geometry(a.shape, b.shape, flag_at(attrs, 0), flag_at(attrs, 1)).out, a.dtype};
}

// m, n, k from the operand shapes, without building Shapes: the kernel runs inside compiled
// plans, which allocate nothing per step. (infer_matmul has validated everything.)
struct MatmulSizes {
  bool a_vector, b_vector;
  std::int64_t m, n, k;
};

MatmulSizes matmul_sizes(const Shape& as, const Shape& bs, bool ta, bool tb) {
  MatmulSizes s{as.rank() == 1, bs.rank() == 1, 0, 0, 0};
  const std::int64_t rows_a = s.a_vector ? 1 : as[-2], cols_a = as[-1];
  const std::int64_t rows_b = s.b_vector ? bs[0] : bs[-2], cols_b = s.b_vector ? 1 : bs[-1];
  s.m = ta ? cols_a : rows_a;
  s.k = ta ? rows_a : cols_a;
  s.n = tb ? rows_b : cols_b;
  return s;
}

void matmul_kernel(const KernelArgs& k) {
  const bool ta = flag_at(*k.attrs, 0), tb = flag_at(*k.attrs, 1);
  const Shape& as = k.input_shapes[0];
  const Shape& bs = k.input_shapes[1];
  const MatmulSizes s = matmul_sizes(as, bs, ta, tb);
  if (as.rank() == 2 && bs.rank() == 2 && k.output_dtype == DType::float32) {
    // Two matrices (every Dense layer and its gradients): no batch dims to walk.
    cpu::gemm(ta, tb, s.m, s.n, s.k, static_cast<const float*>(k.inputs[0]), static_cast<const float*>(k.inputs[1]),
              static_cast<float*>(k.output));
    return;
  }
  const cpu::BatchDims a_batch(as, s.a_vector ? 1 : 2), b_batch(bs, s.b_vector ? 1 : 2);
  const cpu::BatchDims out_batch(*k.output_shape, (s.a_vector ? 0 : 1) + (s.b_vector ? 0 : 1));
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (!std::is_same_v<T, bool>)
      cpu::batched_gemm(ta, tb, s.m, s.n, s.k, static_cast<const T*>(k.inputs[0]), a_batch,
                        static_cast<const T*>(k.inputs[1]), b_batch, static_cast<T*>(k.output), out_batch);
  });
}

const OpDef& matmul_op();

Tensor matmul_t(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  Attrs attrs;
  attrs.ints = {ta ? 1 : 0, tb ? 1 : 0};
  return apply_op(matmul_op(), {a, b}, attrs);
}

// For C = op(A) @ op(B) with op = optional transpose:
//   (N,N): dA = G B^T,     dB = A^T G        (N,T): dA = G B,       dB = G^T A
//   (T,N): dA = B G^T,     dB = A G          (T,T): dA = B^T G^T,   dB = G^T A^T
// 1-D operands are promoted first (G gets the matching size-1 axes) and squeezed after.
// Broadcast batch dimensions are summed back by the engine.
std::vector<Tensor> grad_matmul(const GradContext& c) {
  const bool ta = flag_at(c.attrs, 0), tb = flag_at(c.attrs, 1);
  const bool a_vector = c.inputs[0].rank() == 1, b_vector = c.inputs[1].rank() == 1;
  const Tensor a = a_vector ? expand_dims(c.inputs[0], 0) : c.inputs[0];
  const Tensor b = b_vector ? expand_dims(c.inputs[1], -1) : c.inputs[1];
  Tensor g = c.grad;
  if (b_vector) g = expand_dims(g, -1);
  if (a_vector) g = expand_dims(g, -2);
  Tensor da, db;
  if (!ta && !tb) da = matmul_t(g, b, false, true), db = matmul_t(a, g, true, false);
  else if (!ta && tb) da = matmul_t(g, b, false, false), db = matmul_t(g, a, true, false);
  else if (ta && !tb) da = matmul_t(b, g, false, true), db = matmul_t(a, g, false, false);
  else da = matmul_t(b, g, true, true), db = matmul_t(g, a, true, true);
  if (a_vector) da = squeeze(da, {-2});
  if (b_vector) db = squeeze(db, {-1});
  return {da, db};
}

const OpDef& matmul_op() {
  static const OpDef def{"matmul", 2, infer_matmul, matmul_kernel, grad_matmul, false};
  return def;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) { return matmul_t(a, b, false, false); }

namespace detail {
void register_linalg_ops(OpList& ops) { ops.push_back(&matmul_op()); }
}  // namespace detail
}  // namespace keras::ops
