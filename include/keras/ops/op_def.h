#pragma once
/// The op registry's record of one operation: shape/dtype inference, the CPU kernel and the
/// gradient rule, defined together in the op family's source file (src/ops/*.cpp).
#include <functional>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras {

struct TensorSpec {
  Shape shape;
  DType dtype = DType::float32;
};

/// What a kernel sees: raw pointers and shapes, no Tensor objects.
struct KernelArgs {
  const void* const* inputs = nullptr;
  const Shape* input_shapes = nullptr;
  const DType* input_dtypes = nullptr;
  int num_inputs = 0;
  void* output = nullptr;
  const Shape* output_shape = nullptr;
  DType output_dtype = DType::float32;
  const Attrs* attrs = nullptr;
};

/// What a gradient rule sees. `output` is the forward result (concrete in eager mode,
/// symbolic while tracing), `grad` the gradient flowing into it.
struct GradContext {
  const std::vector<Tensor>& inputs;
  const Tensor& output;
  const Tensor& grad;
  const Attrs& attrs;
};

/// Validates inputs (throwing typed errors with Keras-style messages), may canonicalize
/// attrs (e.g. normalize negative axes), and returns the output's shape and dtype.
using InferFn = TensorSpec (*)(const std::vector<TensorSpec>& inputs, Attrs& attrs);
using KernelFn = void (*)(const KernelArgs& args);
/// Returns one gradient per input, shaped like the *output's broadcast view* of that input
/// or already like the input; the engine sums broadcast gradients back to each input's
/// shape. An undefined Tensor means "no gradient" (e.g. integer inputs).
using GradFn = std::vector<Tensor> (*)(const GradContext& ctx);
/// An elementwise op's float32 loop over one contiguous block, for fused plan steps:
/// out[i] = op(inputs[0][i * steps[0]], inputs[1][i * steps[1]], ...) for i in [0, n), each
/// step 1 (a whole operand) or 0 (a single value); `param` is attrs.floats[0] (an
/// activation's alpha or slope) or 0. On a small model's tensors the general kernel's shape
/// analysis costs more than its arithmetic, so a fused step calls this where it can. It
/// computes exactly what `kernel` computes, element for element.
using F32BlockFn = void (*)(const float* const* inputs, const std::int64_t* steps, float* out, std::int64_t n,
                            float param);

struct OpDef {
  std::string name;
  int num_inputs = -1;  // -1: variadic
  InferFn infer = nullptr;
  KernelFn kernel = nullptr;
  GradFn grad = nullptr;  // nullptr: not differentiable (comparisons, argmax, ...)
  bool elementwise = false;  // output shape == broadcast of inputs; fusable
  bool side_effect = false;  // writes into input 0 (assign); scheduled last in a plan
  int num_written_inputs = 1;  // side effects: inputs [0, n) are variables written in place
  F32BlockFn f32_block = nullptr;  // elementwise ops only; nullptr: fused steps call `kernel`
  bool differentiable() const { return grad != nullptr; }
};

/// All registered ops, in registration order.
const std::vector<const OpDef*>& op_registry();
/// Looks an op up by name; throws KeyError listing nothing but the name.
const OpDef& find_op(const std::string& name);

/// Runs `op` on `inputs`: eagerly when all inputs are concrete, else records a symbolic node.
/// Eager results keep their inputs (history) only while a GradientTape records.
Tensor apply_op(const OpDef& op, std::vector<Tensor> inputs, Attrs attrs = {});

/// Number of live GradientTapes on this thread (maintained by keras::GradientTape).
int& tape_depth();

}  // namespace keras
