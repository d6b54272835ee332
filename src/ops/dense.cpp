// dense: the Dense layer's fused op, activation(x @ kernel + bias) in one plan step. At batch
// 1 a layer's matrix product takes a few hundred cycles, and the bias and activation as a
// step of their own cost a third as much again in set-up alone; here they run on each output
// row as soon as the product is done. The numbers are the unfused ops': the product is
// matmul's kernel, the epilogue is add's and the activation's own loops (their f32_block,
// tested equal to their kernels), and the gradient is built from their gradient rules.
#include <algorithm>
#include <array>
#include <string>

#include "../backend/cpu/elementwise.h"
#include "../backend/cpu/matmul.h"
#include "dense_op.h"
#include "families.h"
#include "keras/backend/parallel.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;

constexpr int kX = 0, kKernel = 1, kBias = 2;

// The activations' op names, indexed by DenseActivation ("linear" runs no op).
constexpr std::array<const char*, 4> kActivationNames = {"linear", "relu", "tanh", "sigmoid"};

// The activation's op, or nullptr for a linear layer. Looked up once: kernels run it on
// every step, and a lookup by name costs as much as a small layer's epilogue.
const OpDef* activation_op(const Attrs& attrs) {
  static const std::array<const OpDef*, kActivationNames.size()> ops = [] {
    std::array<const OpDef*, kActivationNames.size()> found{};
    for (std::size_t code = 1; code < kActivationNames.size(); ++code) found[code] = &find_op(kActivationNames[code]);
    return found;
  }();
  return ops[static_cast<std::size_t>(attrs.i)];
}

TensorSpec infer_dense(const std::vector<TensorSpec>& in, Attrs& attrs) {
  if (in.size() != 3)
    throw ValueError("Op 'dense' expects 3 inputs (x, kernel, bias). Received: " + std::to_string(in.size()) +
                     " inputs");
  if (attrs.i < 0 || attrs.i > static_cast<std::int64_t>(detail::DenseActivation::sigmoid))
    throw ValueError("Op 'dense' expects an activation code from 0 (linear) to 3 (sigmoid). Received: " +
                     std::to_string(attrs.i));
  const TensorSpec &x = in[kX], &w = in[kKernel], &b = in[kBias];
  detail::require_floating(x, "dense");
  if (w.dtype != x.dtype || b.dtype != x.dtype)
    throw TypeError("Op 'dense' expects the kernel and bias in the input's dtype " + dtype_name(x.dtype) +
                    ". Received: kernel " + dtype_name(w.dtype) + ", bias " + dtype_name(b.dtype));
  const std::int64_t k = x.shape.rank() > 0 ? x.shape[-1] : -1;
  if (x.shape.rank() < 1 || w.shape.rank() != 2 || (k >= 0 && w.shape[0] >= 0 && w.shape[0] != k))
    throw ValueError("Op 'dense' expects an input (..., k) and a kernel (k, units). Received: input shape " +
                     x.shape.to_string() + ", kernel shape " + w.shape.to_string());
  if (b.shape.rank() != 1 || (b.shape[0] >= 0 && w.shape[1] >= 0 && b.shape[0] != w.shape[1]))
    throw ValueError("Op 'dense' expects a bias of shape (units,) = (" + std::to_string(w.shape[1]) +
                     ",). Received: bias shape " + b.shape.to_string());
  Shape out = x.shape;
  out[-1] = w.shape[1];
  return {out, x.dtype};
}

// Rows shorter than a vector go through the kernels over the whole output instead: their
// loops lay a short row out many times over (elementwise.h), one call per row would not.
constexpr std::int64_t kRowLoopMinUnits = 16;
// Elements per block of the float32 epilogue (a fused step's block size).
constexpr std::int64_t kEpilogueBlock = 512;

// bias and activation over rows x units of y, in place.
void epilogue(const KernelArgs& k, const OpDef* activation, std::int64_t rows, std::int64_t units) {
  static const OpDef& add = find_op("add");
  void* y = k.output;
  if (k.output_dtype == DType::float32 && (rows == 1 || units >= kRowLoopMinUnits)) {
    auto* out = static_cast<float*>(y);
    const auto* bias = static_cast<const float*>(k.inputs[kBias]);
    const std::int64_t steps[2] = {1, 1};
    // The bias row by row, the activation over blocks of whole rows (its loop's remainder
    // once per block, not once per row), a block small enough to stay in L1 in between.
    const std::int64_t block_rows = std::max<std::int64_t>(1, kEpilogueBlock / units);
    backend::parallel_for(rows, std::max<std::int64_t>(1, cpu::kElementwiseGrain / units),
                          [&](std::int64_t lo, std::int64_t hi) {
                            for (std::int64_t r0 = lo; r0 < hi; r0 += block_rows) {
                              const std::int64_t r1 = std::min(hi, r0 + block_rows);
                              for (std::int64_t r = r0; r < r1; ++r) {
                                float* row = out + r * units;
                                const float* operands[2] = {row, bias};
                                add.f32_block(operands, steps, row, units, 0.0f);
                              }
                              if (!activation) continue;
                              float* block = out + r0 * units;
                              const float* operand[1] = {block};
                              activation->f32_block(operand, steps, block, (r1 - r0) * units, 0.0f);
                            }
                          });
    return;
  }
  // The kernels themselves, in place (elementwise kernels read each element before writing it).
  const Shape& out_shape = *k.output_shape;
  const Shape& bias_shape = k.input_shapes[kBias];
  const Attrs none;
  const void* add_inputs[2] = {y, k.inputs[kBias]};
  // Reused per thread: copy-assigning into them keeps their storage, so warm plans still
  // allocate nothing here.
  thread_local Shape add_shapes[2];
  add_shapes[0] = out_shape;
  add_shapes[1] = bias_shape;
  const DType dtypes[2] = {k.output_dtype, k.output_dtype};
  KernelArgs args{add_inputs, add_shapes, dtypes, 2, y, &out_shape, k.output_dtype, &none};
  add.kernel(args);
  if (activation) {
    const void* act_inputs[1] = {y};
    args.inputs = act_inputs;
    args.num_inputs = 1;
    activation->kernel(args);
  }
}

void dense_kernel(const KernelArgs& k) {
  const Shape& xs = k.input_shapes[kX];
  const Shape& ws = k.input_shapes[kKernel];
  const std::int64_t depth = ws[0], units = ws[1];
  std::int64_t rows = 1;
  for (int d = 0; d + 1 < xs.rank(); ++d) rows *= xs.dims()[static_cast<std::size_t>(d)];
  dispatch_floating(k.output_dtype, "dense", [&](auto zero) {
    using T = decltype(zero);
    cpu::gemm(false, false, rows, units, depth, static_cast<const T*>(k.inputs[kX]),
              static_cast<const T*>(k.inputs[kKernel]), static_cast<T*>(k.output));
  });
  if (rows * units > 0) epilogue(k, activation_op(*k.attrs), rows, units);
}

// The unfused composition's gradient: the activation's rule, then matmul's, and the bias gets
// the activation's gradient itself (the engine sums it over the leading axes, as for add).
std::vector<Tensor> grad_dense(const GradContext& c) {
  Tensor dz = c.grad;
  if (const OpDef* activation = activation_op(c.attrs)) {
    const std::vector<Tensor> pre_activation{Tensor()};  // the rules read the output only
    const Attrs none;
    dz = activation->grad(GradContext{pre_activation, c.output, c.grad, none})[0];
  }
  static const OpDef& matmul = find_op("matmul");
  const std::vector<Tensor> operands{c.inputs[kX], c.inputs[kKernel]};
  const Attrs no_transpose;
  const std::vector<Tensor> d = matmul.grad(GradContext{operands, c.output, dz, no_transpose});
  return {d[0], d[1], dz};
}

const OpDef& dense_op() {
  static const OpDef def{"dense", 3, infer_dense, dense_kernel, grad_dense, false};
  return def;
}

}  // namespace

namespace detail {

Tensor dense(const Tensor& x, const Tensor& kernel, const Tensor& bias, DenseActivation activation) {
  Attrs attrs;
  attrs.i = static_cast<std::int64_t>(activation);
  return apply_op(dense_op(), {x, kernel, bias}, std::move(attrs));
}

std::optional<DenseActivation> dense_activation(const std::string& name) {
  if (name.empty()) return DenseActivation::linear;
  for (std::size_t code = 0; code < kActivationNames.size(); ++code)
    if (name == kActivationNames[code]) return static_cast<DenseActivation>(code);
  return std::nullopt;
}

void register_dense_ops(OpList& ops) { ops.push_back(&dense_op()); }

}  // namespace detail
}  // namespace keras::ops
