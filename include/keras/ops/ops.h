#pragma once
/// keras::ops — Keras's op set with Keras's names and NumPy semantics (broadcasting,
/// negative axes, keepdims). Every op works eagerly on concrete tensors and records a node
/// on symbolic ones. Binary arithmetic requires equal dtypes (a C++ scalar adopts the
/// tensor's dtype); mismatches raise TypeError naming both.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::ops {

using Axes = std::vector<int>;

// ---- elementwise binary (broadcasting) -------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor subtract(const Tensor& a, const Tensor& b);
Tensor multiply(const Tensor& a, const Tensor& b);
Tensor divide(const Tensor& a, const Tensor& b);
Tensor power(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// comparisons -> bool
Tensor equal(const Tensor& a, const Tensor& b);
Tensor not_equal(const Tensor& a, const Tensor& b);
Tensor less(const Tensor& a, const Tensor& b);
Tensor less_equal(const Tensor& a, const Tensor& b);
Tensor greater(const Tensor& a, const Tensor& b);
Tensor greater_equal(const Tensor& a, const Tensor& b);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_not(const Tensor& x);
/// cond ? a : b, all three broadcast together; cond must be bool.
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);

// ---- elementwise unary ----------------------------------------------------------------
Tensor negative(const Tensor& x);
Tensor square(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
/// Gauss error function (keras.ops.erf); float32/float64 only.
Tensor erf(const Tensor& x);
Tensor floor(const Tensor& x);
Tensor ceil(const Tensor& x);
Tensor round(const Tensor& x);
Tensor clip(const Tensor& x, double min_value, double max_value);
Tensor cast(const Tensor& x, DType dtype);

// ---- activations (keras.activations semantics) ------------------------------------------
Tensor relu(const Tensor& x);
Tensor relu6(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor softmax(const Tensor& x, int axis = -1);
Tensor log_softmax(const Tensor& x, int axis = -1);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
/// approximate=true is the tanh form (Keras's ops.gelu default), false the erf form.
Tensor gelu(const Tensor& x, bool approximate = true);
Tensor silu(const Tensor& x);
Tensor softplus(const Tensor& x);
Tensor softsign(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.2);
Tensor hard_sigmoid(const Tensor& x);
Tensor exponential(const Tensor& x);  // alias of exp for keras.activations
Tensor linear(const Tensor& x);       // identity

// ---- reductions (axes empty = all axes) -------------------------------------------------
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
/// Exact gradient with zeros in the input (one zero or several).
Tensor prod(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor var(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor std(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdims = false);
Tensor argmax(const Tensor& x, int axis = -1, bool keepdims = false);  // int32
Tensor argmin(const Tensor& x, int axis = -1, bool keepdims = false);  // int32
inline Tensor sum(const Tensor& x, int axis, bool keepdims = false) { return sum(x, Axes{axis}, keepdims); }
inline Tensor mean(const Tensor& x, int axis, bool keepdims = false) { return mean(x, Axes{axis}, keepdims); }
inline Tensor max(const Tensor& x, int axis, bool keepdims = false) { return max(x, Axes{axis}, keepdims); }
inline Tensor min(const Tensor& x, int axis, bool keepdims = false) { return min(x, Axes{axis}, keepdims); }
inline Tensor prod(const Tensor& x, int axis, bool keepdims = false) { return prod(x, Axes{axis}, keepdims); }
inline Tensor var(const Tensor& x, int axis, bool keepdims = false) { return var(x, Axes{axis}, keepdims); }
inline Tensor std(const Tensor& x, int axis, bool keepdims = false) { return std(x, Axes{axis}, keepdims); }
inline Tensor logsumexp(const Tensor& x, int axis, bool keepdims = false) { return logsumexp(x, Axes{axis}, keepdims); }
/// x broadcast to ref's shape (ref's values are not read); works when ref's shape holds
/// unknown dims. Gradient flows to x only (the engine sums it back). Used by reduction
/// gradients: sum's gradient is broadcast_like(expand_dims(g, axis...), x).
Tensor broadcast_like(const Tensor& x, const Tensor& ref);

// ---- linear algebra ---------------------------------------------------------------------
/// NumPy matmul: 1-D operands promoted, batch dimensions broadcast, BLAS-backed.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- shape manipulation ------------------------------------------------------------------
/// One entry may be -1 (inferred). Throws ValueError with both shapes on a size mismatch.
Tensor reshape(const Tensor& x, const Shape& new_shape);
/// Empty perm reverses the axes.
Tensor transpose(const Tensor& x, const std::vector<int>& perm = {});
Tensor expand_dims(const Tensor& x, int axis);
/// Empty axes squeezes every size-1 axis.
Tensor squeeze(const Tensor& x, const Axes& axes = {});
Tensor concatenate(const std::vector<Tensor>& xs, int axis = 0);
Tensor stack(const std::vector<Tensor>& xs, int axis = 0);
/// Splits into `sections` equal parts along axis (ValueError if not divisible).
std::vector<Tensor> split(const Tensor& x, int sections, int axis = 0);
/// Splits at the given indices, as numpy.split with a list.
std::vector<Tensor> split(const Tensor& x, const std::vector<std::int64_t>& indices, int axis);
/// Basic slicing x[start:stop:1] per axis (like ops.slice with start indices and sizes).
/// sizes entry -1 means "to the end".
Tensor slice(const Tensor& x, const std::vector<std::int64_t>& start, const std::vector<std::int64_t>& sizes);
/// Gathers along axis with integer indices (negative indices wrap, out of range: IndexError).
Tensor take(const Tensor& x, const Tensor& indices, int axis = 0);
Tensor one_hot(const Tensor& indices, int num_classes, DType dtype = DType::float32);
Tensor broadcast_to(const Tensor& x, const Shape& shape);
Tensor tile(const Tensor& x, const std::vector<std::int64_t>& repeats);

// ---- internal ops behind gradient rules (differentiable too: gradients of gradients) -----
/// x with ref's shape (ref's values are not read). Unlike reshape, ref's shape may hold
/// unknown dims: a compiled plan runs it with ref's concrete shape. Gradient of reshape,
/// expand_dims and squeeze.
Tensor reshape_like(const Tensor& x, const Tensor& ref);
/// Zeros shaped like ref with g written at `start`: the gradient of slice(ref, start, sizes).
Tensor slice_grad(const Tensor& g, const Tensor& ref, const std::vector<std::int64_t>& start,
                  const std::vector<std::int64_t>& sizes);
/// Zeros shaped like ref with g's entries added at `indices` along axis (repeats
/// accumulate): the gradient of take(ref, indices, axis).
Tensor take_grad(const Tensor& g, const Tensor& indices, const Tensor& ref, int axis);

// ---- convolution and pooling (keras.ops.conv & co.) ----------------------------------------
// inputs are (batch, *spatial, channels) with 1 to 3 spatial dims ("channels_first":
// (batch, channels, *spatial)). strides / dilation_rate / pool_size / output_padding take one
// value for every spatial dim or one per dim. padding is "valid" or "same" (TensorFlow's:
// extra padding goes last); conv also takes "causal" with 1 spatial dim. A window larger than
// the (padded) input raises ValueError.
/// kernel (*kernel_size, channels / groups, filters); groups = channels / kernel.shape[-2].
Tensor conv(const Tensor& inputs, const Tensor& kernel, const std::vector<std::int64_t>& strides = {1},
            const std::string& padding = "valid", const std::string& data_format = "channels_last",
            const std::vector<std::int64_t>& dilation_rate = {1});
/// Transposed convolution; kernel (*kernel_size, filters, input channels). Output length per
/// dim: valid (in-1)*s + max(k, s), same in*s, unless output_padding is given (Keras's rule).
Tensor conv_transpose(const Tensor& inputs, const Tensor& kernel, const std::vector<std::int64_t>& strides = {1},
                      const std::string& padding = "valid", const std::vector<std::int64_t>& output_padding = {},
                      const std::string& data_format = "channels_last",
                      const std::vector<std::int64_t>& dilation_rate = {1});
/// kernel (*kernel_size, channels, depth_multiplier) -> channels * depth_multiplier outputs.
Tensor depthwise_conv(const Tensor& inputs, const Tensor& kernel, const std::vector<std::int64_t>& strides = {1},
                      const std::string& padding = "valid", const std::string& data_format = "channels_last",
                      const std::vector<std::int64_t>& dilation_rate = {1});
/// depthwise_conv, then a 1x1 conv with pointwise_kernel (1..., channels * multiplier, filters).
Tensor separable_conv(const Tensor& inputs, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      const std::vector<std::int64_t>& strides = {1}, const std::string& padding = "valid",
                      const std::string& data_format = "channels_last",
                      const std::vector<std::int64_t>& dilation_rate = {1});
/// strides empty: pool_size. Windows never count padded positions (average divides by the
/// number of positions inside the input).
Tensor max_pool(const Tensor& inputs, const std::vector<std::int64_t>& pool_size,
                const std::vector<std::int64_t>& strides = {}, const std::string& padding = "valid",
                const std::string& data_format = "channels_last");
Tensor average_pool(const Tensor& inputs, const std::vector<std::int64_t>& pool_size,
                    const std::vector<std::int64_t>& strides = {}, const std::string& padding = "valid",
                    const std::string& data_format = "channels_last");
/// Constant padding: pad_width holds one (before, after) pair per axis (or one pair for all).
Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pad_width,
           double constant_value = 0.0);
// Internal ops behind the convolution and pooling gradients (channels last; differentiable).
/// d conv / d inputs: output_grad (batch, *out, filters) -> (batch, *input_shape[1:]).
Tensor conv_input_grad(const Tensor& output_grad, const Tensor& kernel, const Shape& input_shape,
                       const std::vector<std::int64_t>& strides = {1}, const std::string& padding = "valid",
                       const std::vector<std::int64_t>& dilation_rate = {1});
/// d conv / d kernel: (*kernel_size, channels / groups, filters).
Tensor conv_kernel_grad(const Tensor& inputs, const Tensor& output_grad, const std::vector<std::int64_t>& kernel_size,
                        std::int64_t groups = 1, const std::vector<std::int64_t>& strides = {1},
                        const std::string& padding = "valid", const std::vector<std::int64_t>& dilation_rate = {1});
/// output_grad entries added at each window's argmax of inputs (shaped like inputs).
Tensor max_pool_grad(const Tensor& inputs, const Tensor& output_grad, const std::vector<std::int64_t>& pool_size,
                     const std::vector<std::int64_t>& strides = {}, const std::string& padding = "valid");
/// values (shaped like inputs) read at each window's argmax of inputs (shaped like the pooled inputs).
Tensor max_pool_gather(const Tensor& inputs, const Tensor& values, const std::vector<std::int64_t>& pool_size,
                       const std::vector<std::int64_t>& strides = {}, const std::string& padding = "valid");
/// output_grad spread evenly over each window's positions inside inputs (shaped like inputs).
Tensor average_pool_grad(const Tensor& output_grad, const Tensor& inputs, const std::vector<std::int64_t>& pool_size,
                         const std::vector<std::int64_t>& strides = {}, const std::string& padding = "valid");

// ---- creation ----------------------------------------------------------------------------
Tensor zeros(const Shape& shape, DType dtype = DType::float32);
Tensor ones(const Shape& shape, DType dtype = DType::float32);
Tensor full(const Shape& shape, double value, DType dtype = DType::float32);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, double value);
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::float32);

// ---- in-graph side effects -----------------------------------------------------------------
/// Writes `value` into `variable` (eager: now; traced: when the plan runs, after all reads).
void assign(const Tensor& variable, const Tensor& value);
/// Keras's Adam step for one variable, fused: m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
/// variable = variable*decay_factor - alpha*m / (sqrt(v) + epsilon), all three written in place
/// (alpha already holds the bias correction; decay_factor, when given, is AdamW's
/// 1 - weight_decay*lr). Inside a trace it is recorded as a side effect, like assign.
void adam_update(const Variable& variable, const Variable& momentum, const Variable& velocity, const Tensor& gradient,
                 const Tensor& alpha, double beta_1, double beta_2, double epsilon, const Tensor& decay_factor = {});

}  // namespace keras::ops

namespace keras::random {
/// Seeded draws; the same seed gives the same numbers on every platform.
Tensor uniform(const Shape& shape, double minval = 0.0, double maxval = 1.0, DType dtype = DType::float32,
               std::uint64_t seed = 0);
Tensor normal(const Shape& shape, double mean = 0.0, double stddev = 1.0, DType dtype = DType::float32,
              std::uint64_t seed = 0);
/// Normal draws redrawn until within two standard deviations of the mean.
Tensor truncated_normal(const Shape& shape, double mean = 0.0, double stddev = 1.0, DType dtype = DType::float32,
                        std::uint64_t seed = 0);
}  // namespace keras::random

namespace keras {
// C++ operators on tensors (and scalars through Tensor's implicit scalar constructors).
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& x);
}  // namespace keras
