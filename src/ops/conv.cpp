// Convolutions (channels last, 1 to 3 spatial dims): conv, its two adjoints conv_transpose
// (the gradient in the input; also Keras's transposed convolution) and conv_kernel_grad (the
// gradient in the kernel), depthwise and separable convolutions built on conv, and pad.
//
// The three ops share attrs (conv_params.h) and are each other's gradients, so gradients of
// gradients stay inside the family:
//   y  = conv(x, w)                  dx = conv_transpose(dy, w)       dw = conv_kernel_grad(x, dy)
//   dx = conv_transpose(dy, w)       d(dy) = conv(G, w)               dw = conv_kernel_grad(G, dy)
//   dw = conv_kernel_grad(x, dy)     dx = conv_transpose(dy, H)       d(dy) = conv(x, H)
//
// conv_bias (the conv layers' fused op) is relu(conv(x, w) + b), or conv(x, w) + b without
// attrs.flag; its gradient is conv_transpose(dz, w) for x, with dz = the relu's gradient, and
// conv_kernel_bias_grad(x, dz) = [dw | db] flattened: the bias's sums of dz taken in the pass
// over dz that the kernel gradient makes anyway.
#include <algorithm>
#include <cstring>
#include <utility>

#include "../backend/cpu/conv.h"
#include "conv_params.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;
using detail::ConvParams;
using Ints = std::vector<std::int64_t>;

const OpDef& conv_op();
const OpDef& conv_bias_op();
const OpDef& conv_transpose_op();
const OpDef& conv_kernel_grad_op();
const OpDef& conv_kernel_bias_grad_op();

void check_operands(const TensorSpec& a, const TensorSpec& b, const char* op, const char* a_name,
                    const char* b_name) {
  if (a.dtype != b.dtype)
    throw TypeError(std::string("Op '") + op + "' expects " + a_name + " and " + b_name +
                    " of the same dtype. Received: " + dtype_name(a.dtype) + " with shape " + a.shape.to_string() +
                    " and " + dtype_name(b.dtype) + " with shape " + b.shape.to_string());
  detail::require_floating(a, op);
}

void check_rank(const TensorSpec& t, int d, const char* op, const char* what, const char* layout) {
  if (t.shape.rank() != d + 2)
    throw ValueError(std::string("Op '") + op + "' with " + std::to_string(d) + " spatial dimension(s) expects " +
                     what + " of rank " + std::to_string(d + 2) + " " + layout + ". Received: " + what +
                     " with shape " + t.shape.to_string());
}

// Checks that dy's spatial dims are what a convolution over `x_spatial` produces.
void check_output_spatial(const ConvParams& p, const Shape& x, const std::int64_t* window, const Shape& dy,
                          const char* op) {
  for (int i = 0; i < p.d; ++i) {
    const std::int64_t want = detail::window_output_length(p, i, x.dims()[static_cast<std::size_t>(1 + i)], window[i]);
    const std::int64_t got = dy.dims()[static_cast<std::size_t>(1 + i)];
    if (want >= 0 && got >= 0 && want != got)
      throw ValueError(std::string("Op '") + op + "': the output gradient does not match the convolution geometry. "
                       "Expected spatial dimension " + std::to_string(i) + " of size " + std::to_string(want) +
                       ". Received: output gradient shape " + dy.to_string() + " for input shape " + x.to_string());
  }
}

// ---- conv ------------------------------------------------------------------------------------

TensorSpec infer_conv(const std::vector<TensorSpec>& in, Attrs& attrs) {
  ConvParams p = detail::unpack(attrs);
  const TensorSpec& x = in[0];
  const TensorSpec& w = in[1];
  check_operands(x, w, "conv", "inputs", "kernel");
  check_rank(x, p.d, "conv", "inputs", "(batch, *spatial, channels)");
  check_rank(w, p.d, "conv", "a kernel", "(*kernel_size, channels / groups, filters)");
  const std::int64_t c = x.shape[-1], cg = w.shape[-2], f = w.shape[-1];
  if (c < 0)
    throw ValueError("Op 'conv' expects the channel dimension of the inputs to be defined. Received: inputs shape " +
                     x.shape.to_string());
  if (cg <= 0 || c % cg != 0)
    throw ValueError("Op 'conv' expects the input channels to be a multiple of the kernel's input channels "
                     "(kernel.shape[-2]). Received: inputs shape " + x.shape.to_string() + " and kernel shape " +
                     w.shape.to_string());
  p.groups = c / cg;
  if (f % p.groups != 0)
    throw ValueError("Op 'conv' expects the number of filters (kernel.shape[-1]) to be divisible by the number of "
                     "groups (" + std::to_string(p.groups) + "). Received: inputs shape " + x.shape.to_string() +
                     " and kernel shape " + w.shape.to_string());
  Shape out{x.shape[0]};
  for (int i = 0; i < p.d; ++i) {
    const std::int64_t k = w.shape.dims()[static_cast<std::size_t>(i)];
    const std::int64_t o = detail::window_output_length(p, i, x.shape.dims()[static_cast<std::size_t>(1 + i)], k);
    if (o == 0)
      throw ValueError("Computed output size would be zero or negative: the kernel (with dilation) is larger than "
                       "the padded input. Received: inputs shape " + x.shape.to_string() + ", kernel shape " +
                       w.shape.to_string() + ", strides=" + detail::tuple_string(p.stride, p.d) +
                       ", dilation_rate=" + detail::tuple_string(p.dilation, p.d));
    out.push_back(o);
  }
  out.push_back(f);
  detail::pack(p, attrs);
  return {out, x.dtype};
}

std::int64_t kernel_window(const Shape& w, int i) { return w.dims()[static_cast<std::size_t>(i)]; }

void conv_kernel(const KernelArgs& k) {
  const ConvParams p = detail::unpack(*k.attrs);
  std::int64_t window[3];
  for (int i = 0; i < p.d; ++i) window[i] = kernel_window(k.input_shapes[1], i);
  const cpu::ConvGeometry g = detail::make_geometry(p, k.input_shapes[0], window, *k.output_shape, p.groups);
  // conv_bias's third input is the bias; its flag adds the relu.
  const bool with_bias = k.num_inputs == 3;
  dispatch_floating(k.output_dtype, with_bias ? "conv_bias" : "conv", [&](auto zero) {
    using T = decltype(zero);
    cpu::ConvEpilogue<T> epilogue{};
    if (with_bias) epilogue = {static_cast<const T*>(k.inputs[2]), k.attrs->flag};
    cpu::conv_forward(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]),
                      static_cast<T*>(k.output), epilogue);
  });
}

Attrs with_size(const Attrs& attrs, const Shape& s, int offset) {
  ConvParams p = detail::unpack(attrs);
  for (int i = 0; i < p.d; ++i) p.size[i] = s.dims()[static_cast<std::size_t>(offset + i)];
  Attrs a;
  detail::pack(p, a);
  return a;
}

Attrs input_size_attrs(const Attrs& attrs, const Tensor& x) {
  const Shape& s = x.shape();
  for (int i = 1; i + 1 < s.rank(); ++i)
    if (s.dims()[static_cast<std::size_t>(i)] < 0)
      throw ValueError("The gradient of a convolution needs the input's spatial dimensions. Received: input shape " +
                       s.to_string());
  return with_size(attrs, s, 1);
}

std::vector<Tensor> grad_conv(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  return {apply_op(conv_transpose_op(), {c.grad, w}, input_size_attrs(c.attrs, x)),
          apply_op(conv_kernel_grad_op(), {x, c.grad}, with_size(c.attrs, w.shape(), 0))};
}

const OpDef& conv_op() {
  static const OpDef def{"conv", 2, infer_conv, conv_kernel, grad_conv, false};
  return def;
}

// ---- conv_bias: (x, w, b) -> relu(conv(x, w) + b) (attrs.flag) or conv(x, w) + b ----------------

TensorSpec infer_conv_bias(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const TensorSpec out = infer_conv({in[0], in[1]}, attrs);
  const TensorSpec& b = in[2];
  if (b.dtype != out.dtype)
    throw TypeError("Op 'conv_bias' expects a bias of the inputs' dtype. Received: " + dtype_name(b.dtype) +
                    " bias with shape " + b.shape.to_string() + " for " + dtype_name(out.dtype) + " inputs");
  const std::int64_t f = out.shape[-1];
  if (b.shape.rank() != 1 || (b.shape[0] >= 0 && b.shape[0] != f))
    throw ValueError("Op 'conv_bias' expects a bias of shape (" + std::to_string(f) +
                     ",), one value per filter. Received: bias with shape " + b.shape.to_string() +
                     " and kernel shape " + in[1].shape.to_string());
  return out;
}

std::vector<Tensor> grad_conv_bias(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& w = c.inputs[1];
  const Tensor dz = c.attrs.flag ? detail::relu_gradient(c.grad, c.output) : c.grad;
  const Tensor both = apply_op(conv_kernel_bias_grad_op(), {x, dz}, with_size(c.attrs, w.shape(), 0));
  const std::int64_t nw = w.shape().num_elements();
  return {apply_op(conv_transpose_op(), {dz, w}, input_size_attrs(c.attrs, x)),
          reshape(slice(both, {0}, {nw}), w.shape()), slice(both, {nw}, {w.shape()[-1]})};
}

const OpDef& conv_bias_op() {
  static const OpDef def{"conv_bias", 3, infer_conv_bias, conv_kernel, grad_conv_bias, false};
  return def;
}

// ---- conv_transpose: (dy, w) -> dx, the adjoint of conv in its input ----------------------------

TensorSpec infer_conv_transpose(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const ConvParams p = detail::unpack(attrs);
  const TensorSpec& dy = in[0];
  const TensorSpec& w = in[1];
  check_operands(dy, w, "conv_transpose", "inputs", "kernel");
  check_rank(dy, p.d, "conv_transpose", "inputs", "(batch, *spatial, channels)");
  check_rank(w, p.d, "conv_transpose", "a kernel", "(*kernel_size, output channels / groups, input channels)");
  const std::int64_t f = w.shape[-1];
  if (dy.shape[-1] >= 0 && dy.shape[-1] != f)
    throw ValueError("Op 'conv_transpose' expects the inputs' channels to match the kernel's last dimension. "
                     "Received: inputs shape " + dy.shape.to_string() + " and kernel shape " + w.shape.to_string());
  if (f % p.groups != 0)
    throw ValueError("Op 'conv_transpose' expects the kernel's last dimension to be divisible by the number of "
                     "groups (" + std::to_string(p.groups) + "). Received: kernel shape " + w.shape.to_string());
  Shape out{dy.shape[0]};
  for (int i = 0; i < p.d; ++i) {
    if (p.size[i] == 0)
      throw ValueError("Computed output size would be zero or negative. Received: inputs shape " +
                       dy.shape.to_string() + ", kernel shape " + w.shape.to_string());
    out.push_back(p.size[i]);
  }
  out.push_back(p.groups * w.shape[-2]);
  std::int64_t window[3];
  for (int i = 0; i < p.d; ++i) window[i] = kernel_window(w.shape, i);
  check_output_spatial(p, out, window, dy.shape, "conv_transpose");
  return {out, dy.dtype};
}

void conv_transpose_kernel(const KernelArgs& k) {
  const ConvParams p = detail::unpack(*k.attrs);
  std::int64_t window[3];
  for (int i = 0; i < p.d; ++i) window[i] = kernel_window(k.input_shapes[1], i);
  const cpu::ConvGeometry g = detail::make_geometry(p, *k.output_shape, window, k.input_shapes[0], p.groups);
  dispatch_floating(k.output_dtype, "conv_transpose", [&](auto zero) {
    using T = decltype(zero);
    cpu::conv_backward_input(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]),
                             static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_conv_transpose(const GradContext& c) {
  const Tensor& dy = c.inputs[0];
  const Tensor& w = c.inputs[1];
  return {apply_op(conv_op(), {c.grad, w}, c.attrs),
          apply_op(conv_kernel_grad_op(), {c.grad, dy}, with_size(c.attrs, w.shape(), 0))};
}

const OpDef& conv_transpose_op() {
  static const OpDef def{"conv_transpose", 2, infer_conv_transpose, conv_transpose_kernel, grad_conv_transpose, false};
  return def;
}

// ---- conv_kernel_grad: (x, dy) -> dw, the adjoint of conv in its kernel --------------------------

TensorSpec infer_conv_kernel_grad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const ConvParams p = detail::unpack(attrs);
  const TensorSpec& x = in[0];
  const TensorSpec& dy = in[1];
  check_operands(x, dy, "conv_kernel_grad", "inputs", "output gradient");
  check_rank(x, p.d, "conv_kernel_grad", "inputs", "(batch, *spatial, channels)");
  check_rank(dy, p.d, "conv_kernel_grad", "an output gradient", "(batch, *spatial, filters)");
  const std::int64_t c = x.shape[-1], f = dy.shape[-1];
  if (c < 0 || f < 0 || c % p.groups != 0 || f % p.groups != 0)
    throw ValueError("Op 'conv_kernel_grad' expects defined channel dimensions divisible by the number of groups (" +
                     std::to_string(p.groups) + "). Received: inputs shape " + x.shape.to_string() +
                     " and output gradient shape " + dy.shape.to_string());
  Shape out;
  for (int i = 0; i < p.d; ++i) out.push_back(p.size[i]);
  out.push_back(c / p.groups);
  out.push_back(f);
  check_output_spatial(p, x.shape, p.size, dy.shape, "conv_kernel_grad");
  return {out, x.dtype};
}

void conv_kernel_grad_kernel(const KernelArgs& k) {
  const ConvParams p = detail::unpack(*k.attrs);
  const cpu::ConvGeometry g = detail::make_geometry(p, k.input_shapes[0], p.size, k.input_shapes[1], p.groups);
  dispatch_floating(k.output_dtype, "conv_kernel_grad", [&](auto zero) {
    using T = decltype(zero);
    cpu::conv_backward_kernel(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]),
                              static_cast<T*>(k.output));
  });
}

std::vector<Tensor> grad_conv_kernel_grad(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& dy = c.inputs[1];
  return {apply_op(conv_transpose_op(), {dy, c.grad}, input_size_attrs(c.attrs, x)),
          apply_op(conv_op(), {x, c.grad}, c.attrs)};
}

const OpDef& conv_kernel_grad_op() {
  static const OpDef def{"conv_kernel_grad", 2, infer_conv_kernel_grad, conv_kernel_grad_kernel,
                         grad_conv_kernel_grad, false};
  return def;
}

// ---- conv_kernel_bias_grad: (x, dz) -> [dw | db] flattened, db = dz summed over its rows ---------

TensorSpec infer_conv_kernel_bias_grad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const TensorSpec dw = infer_conv_kernel_grad(in, attrs);
  return {Shape{dw.shape.num_elements() + dw.shape[-1]}, dw.dtype};
}

void conv_kernel_bias_grad_kernel(const KernelArgs& k) {
  const ConvParams p = detail::unpack(*k.attrs);
  const cpu::ConvGeometry g = detail::make_geometry(p, k.input_shapes[0], p.size, k.input_shapes[1], p.groups);
  const std::int64_t nw = k.output_shape->num_elements() - g.f;
  dispatch_floating(k.output_dtype, "conv_kernel_bias_grad", [&](auto zero) {
    using T = decltype(zero);
    T* out = static_cast<T*>(k.output);
    cpu::conv_backward_kernel(g, static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[1]), out,
                              out + nw);
  });
}

// Linear in each input: with G = [Gw | Gb], dx = conv_transpose(dz, Gw) (db does not depend
// on x) and d(dz) = conv(x, Gw) + Gb.
std::vector<Tensor> grad_conv_kernel_bias_grad(const GradContext& c) {
  const Tensor& x = c.inputs[0];
  const Tensor& dz = c.inputs[1];
  const ConvParams p = detail::unpack(c.attrs);
  Shape kernel_shape;
  for (int i = 0; i < p.d; ++i) kernel_shape.push_back(p.size[i]);
  kernel_shape.push_back(x.shape()[-1] / p.groups);
  kernel_shape.push_back(dz.shape()[-1]);
  const std::int64_t nw = kernel_shape.num_elements();
  const Tensor gw = reshape(slice(c.grad, {0}, {nw}), kernel_shape);
  const Tensor gb = slice(c.grad, {nw}, {dz.shape()[-1]});
  return {apply_op(conv_transpose_op(), {dz, gw}, input_size_attrs(c.attrs, x)),
          add(apply_op(conv_op(), {x, gw}, c.attrs), gb)};
}

const OpDef& conv_kernel_bias_grad_op() {
  static const OpDef def{"conv_kernel_bias_grad", 2, infer_conv_kernel_bias_grad, conv_kernel_bias_grad_kernel,
                         grad_conv_kernel_bias_grad, false};
  return def;
}

// ---- pad (constant) ------------------------------------------------------------------------------
// attrs.ints = {lo0, hi0, lo1, hi1, ...}, floats = {constant_value}. Negative widths crop, so
// pad's gradient is pad with the widths negated (keras::ops::pad itself accepts only >= 0).

TensorSpec infer_pad(const std::vector<TensorSpec>& in, Attrs& attrs) {
  const Shape& s = in[0].shape;
  if (attrs.ints.size() != static_cast<std::size_t>(2 * s.rank()))
    throw ValueError("Op 'pad' expects one (before, after) pair per axis. Received: " +
                     std::to_string(attrs.ints.size() / 2) + " pairs for input shape " + s.to_string());
  if (s.rank() > 8) throw ValueError("Op 'pad' supports inputs of rank <= 8. Received: shape " + s.to_string());
  Shape out;
  for (int i = 0; i < s.rank(); ++i) {
    const std::int64_t lo = attrs.ints[static_cast<std::size_t>(2 * i)];
    const std::int64_t hi = attrs.ints[static_cast<std::size_t>(2 * i + 1)];
    const std::int64_t d = s.dims()[static_cast<std::size_t>(i)];
    if (d >= 0 && d + lo + hi < 0)
      throw ValueError("Op 'pad' would crop axis " + std::to_string(i) + " below zero size. Received: pad_width (" +
                       std::to_string(lo) + ", " + std::to_string(hi) + ") for input shape " + s.to_string());
    out.push_back(d < 0 ? -1 : d + lo + hi);
  }
  return {out, in[0].dtype};
}

// Walks the output one innermost row at a time; a row whose outer coordinates fall outside
// the input is all padding, otherwise the overlap with the input row is copied.
void pad_kernel(const KernelArgs& k) {
  const Shape& xs = k.input_shapes[0];
  const Shape& os = *k.output_shape;
  const auto& w = k.attrs->ints;
  const int r = xs.rank();
  const double value = k.attrs->floats.empty() ? 0.0 : k.attrs->floats[0];
  dispatch_dtype(k.output_dtype, [&](auto zero) {
    using T = decltype(zero);
    const T* x = static_cast<const T*>(k.inputs[0]);
    T* out = static_cast<T*>(k.output);
    const T fill = static_cast<T>(value);
    if (r == 0) {
      out[0] = x[0];
      return;
    }
    const std::int64_t total = os.num_elements();
    const std::int64_t out_row = os.dims()[static_cast<std::size_t>(r - 1)];
    const std::int64_t in_row = xs.dims()[static_cast<std::size_t>(r - 1)];
    const std::int64_t lo = w[static_cast<std::size_t>(2 * (r - 1))];
    const std::int64_t begin = std::max<std::int64_t>(0, lo), end = std::min(out_row, lo + in_row);
    if (out_row == 0) return;
    std::int64_t idx[8] = {0};
    for (std::int64_t start = 0; start < total; start += out_row) {
      T* dst = out + start;
      bool inside = true;
      std::int64_t offset = 0;
      for (int i = 0; i + 1 < r; ++i) {
        const std::int64_t c = idx[i] - w[static_cast<std::size_t>(2 * i)];
        const std::int64_t d = xs.dims()[static_cast<std::size_t>(i)];
        inside = inside && c >= 0 && c < d;
        offset = offset * d + c;
      }
      if (!inside || begin >= end) {
        std::fill(dst, dst + out_row, fill);
      } else {
        std::fill(dst, dst + begin, fill);
        std::copy(x + offset * in_row + (begin - lo), x + offset * in_row + (end - lo), dst + begin);
        std::fill(dst + end, dst + out_row, fill);
      }
      for (int i = r - 2; i >= 0; --i) {
        if (++idx[i] < os.dims()[static_cast<std::size_t>(i)]) break;
        idx[i] = 0;
      }
    }
  });
}

const OpDef& pad_op();

std::vector<Tensor> grad_pad(const GradContext& c) {
  Attrs crop;
  for (auto v : c.attrs.ints) crop.ints.push_back(-v);
  crop.floats = {0.0};
  return {apply_op(pad_op(), {c.grad}, crop)};
}

const OpDef& pad_op() {
  static const OpDef def{"pad", 1, infer_pad, pad_kernel, grad_pad, false};
  return def;
}

// ---- public entry points ---------------------------------------------------------------------------

int spatial_dims(const Tensor& x, const char* op) {
  const int d = x.rank() - 2;
  if (d < 1 || d > 3)
    throw ValueError(std::string("Op '") + op +
                     "' expects inputs of rank 3, 4 or 5 ((batch, *spatial, channels) with 1 to 3 spatial "
                     "dimensions). Received: inputs shape " + x.shape().to_string());
  return d;
}

// channels_first (batch, channels, *spatial) <-> channels_last (batch, *spatial, channels).
Tensor to_channels_last(const Tensor& x) {
  std::vector<int> perm{0};
  for (int i = 2; i < x.rank(); ++i) perm.push_back(i);
  perm.push_back(1);
  return transpose(x, perm);
}

Tensor to_channels_first(const Tensor& x) {
  std::vector<int> perm{0, x.rank() - 1};
  for (int i = 1; i + 1 < x.rank(); ++i) perm.push_back(i);
  return transpose(x, perm);
}

ConvParams make_params(int d, const Ints& strides, const std::string& padding, const Ints& dilation_rate,
                       const char* op, bool allow_causal) {
  ConvParams p;
  p.d = d;
  p.mode = detail::parse_padding(padding, allow_causal && d == 1, op);
  detail::expand_tuple(strides, d, "strides", op, p.stride);
  detail::expand_tuple(dilation_rate, d, "dilation_rate", op, p.dilation);
  return p;
}

}  // namespace

Tensor conv(const Tensor& inputs, const Tensor& kernel, const Ints& strides, const std::string& padding,
            const std::string& data_format, const Ints& dilation_rate) {
  const bool channels_first = detail::parse_channels_first(data_format);
  const int d = spatial_dims(inputs, "conv");
  Attrs attrs;
  detail::pack(make_params(d, strides, padding, dilation_rate, "conv", /*allow_causal=*/true), attrs);
  if (!channels_first) return apply_op(conv_op(), {inputs, kernel}, attrs);
  return to_channels_first(apply_op(conv_op(), {to_channels_last(inputs), kernel}, attrs));
}

Tensor conv_transpose(const Tensor& inputs, const Tensor& kernel, const Ints& strides, const std::string& padding,
                      const Ints& output_padding, const std::string& data_format, const Ints& dilation_rate) {
  const bool channels_first = detail::parse_channels_first(data_format);
  const int d = spatial_dims(inputs, "conv_transpose");
  ConvParams p = make_params(d, strides, padding, dilation_rate, "conv_transpose", false);
  if (kernel.rank() != d + 2)
    throw ValueError("Op 'conv_transpose' expects a kernel of rank " + std::to_string(d + 2) +
                     " (*kernel_size, filters, input channels). Received: kernel shape " + kernel.shape().to_string());
  if (!output_padding.empty() && output_padding.size() != 1 && output_padding.size() != static_cast<std::size_t>(d))
    throw ValueError("Op 'conv_transpose': the `output_padding` argument must be an int or a tuple of " +
                     std::to_string(d) + " integers. Received: output_padding=" + detail::tuple_string(output_padding));
  const Tensor x = channels_first ? to_channels_last(inputs) : inputs;
  // Keras's rule (the JAX backend's): dilate the input by the stride, pad it by (left,
  // right), correlate with the flipped kernel. As the adjoint of a forward convolution over
  // the output, that is leading padding eff-1-left and trailing padding eff-1-right.
  for (int i = 0; i < d; ++i) {
    const std::int64_t k = kernel.shape().dims()[static_cast<std::size_t>(i)];
    const std::int64_t eff = detail::effective_window(k, p.dilation[i]), s = p.stride[i];
    const bool has_op = !output_padding.empty();
    const std::int64_t op = has_op ? output_padding[output_padding.size() == 1 ? 0 : static_cast<std::size_t>(i)] : 0;
    if (has_op && (op < 0 || op >= s))
      throw ValueError("Op 'conv_transpose': each value in `output_padding` must be non-negative and strictly less "
                       "than the corresponding stride. Received: output_padding=" +
                       detail::tuple_string(output_padding) + ", strides=" + detail::tuple_string(p.stride, d));
    std::int64_t left = 0, right = 0;
    if (p.mode == detail::kPadValid) {
      const std::int64_t extra = has_op ? op : std::max(eff, s) - eff;
      left = eff - 1;
      right = eff - 1 + extra;
    } else {
      const std::int64_t pad_len = has_op ? eff + eff % 2 - 2 + op : s + eff - 2;
      left = std::min(pad_len / 2 + pad_len % 2, eff - 1);
      right = pad_len - left;
    }
    p.pad_lo[i] = eff - 1 - left;
    p.pad_hi[i] = eff - 1 - right;
    const std::int64_t in = x.shape().dims()[static_cast<std::size_t>(1 + i)];
    p.size[i] = in < 0 ? -1 : (in - 1) * s + 1 + left + right - eff + 1;
  }
  p.mode = detail::kPadExplicit;
  p.groups = 1;
  Attrs attrs;
  detail::pack(p, attrs);
  Tensor y = apply_op(conv_transpose_op(), {x, kernel}, attrs);
  return channels_first ? to_channels_first(y) : y;
}

Tensor depthwise_conv(const Tensor& inputs, const Tensor& kernel, const Ints& strides, const std::string& padding,
                      const std::string& data_format, const Ints& dilation_rate) {
  const int d = spatial_dims(inputs, "depthwise_conv");
  if (kernel.rank() != d + 2)
    throw ValueError("Op 'depthwise_conv' expects a kernel of rank " + std::to_string(d + 2) +
                     " (*kernel_size, input channels, depth multiplier). Received: kernel shape " +
                     kernel.shape().to_string() + " for inputs shape " + inputs.shape().to_string());
  // (k..., channels, multiplier) is a grouped kernel (k..., 1, channels * multiplier) with one
  // group per channel: output channel c * multiplier + m reads input channel c.
  Shape grouped;
  for (int i = 0; i < d; ++i) grouped.push_back(kernel.shape().dims()[static_cast<std::size_t>(i)]);
  grouped.push_back(1);
  grouped.push_back(kernel.shape()[-2] * kernel.shape()[-1]);
  return conv(inputs, reshape(kernel, grouped), strides, padding, data_format, dilation_rate);
}

Tensor separable_conv(const Tensor& inputs, const Tensor& depthwise_kernel, const Tensor& pointwise_kernel,
                      const Ints& strides, const std::string& padding, const std::string& data_format,
                      const Ints& dilation_rate) {
  Tensor h = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate);
  return conv(h, pointwise_kernel, {1}, "valid", data_format, {1});
}

Tensor conv_input_grad(const Tensor& output_grad, const Tensor& kernel, const Shape& input_shape, const Ints& strides,
                       const std::string& padding, const Ints& dilation_rate) {
  const int d = spatial_dims(output_grad, "conv_input_grad");
  ConvParams p = make_params(d, strides, padding, dilation_rate, "conv_input_grad", true);
  if (input_shape.rank() != d + 2 || kernel.rank() != d + 2 || input_shape[-1] <= 0 || kernel.shape()[-2] <= 0 ||
      input_shape[-1] % kernel.shape()[-2] != 0)
    throw ValueError("Op 'conv_input_grad' expects an input shape (batch, *spatial, channels) and a kernel "
                     "(*kernel_size, channels / groups, filters) of matching ranks. Received: input shape " +
                     input_shape.to_string() + ", kernel shape " + kernel.shape().to_string());
  p.groups = input_shape[-1] / kernel.shape()[-2];
  for (int i = 0; i < d; ++i) p.size[i] = input_shape.dims()[static_cast<std::size_t>(1 + i)];
  Attrs attrs;
  detail::pack(p, attrs);
  return apply_op(conv_transpose_op(), {output_grad, kernel}, attrs);
}

Tensor conv_kernel_grad(const Tensor& inputs, const Tensor& output_grad, const Ints& kernel_size, std::int64_t groups,
                        const Ints& strides, const std::string& padding, const Ints& dilation_rate) {
  const int d = spatial_dims(inputs, "conv_kernel_grad");
  ConvParams p = make_params(d, strides, padding, dilation_rate, "conv_kernel_grad", true);
  detail::expand_tuple(kernel_size, d, "kernel_size", "conv_kernel_grad", p.size);
  if (groups <= 0)
    throw ValueError("Op 'conv_kernel_grad' expects a positive number of groups. Received: groups=" +
                     std::to_string(groups));
  p.groups = groups;
  Attrs attrs;
  detail::pack(p, attrs);
  return apply_op(conv_kernel_grad_op(), {inputs, output_grad}, attrs);
}

Tensor pad(const Tensor& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& pad_width,
           double constant_value) {
  Attrs attrs;
  for (const auto& [lo, hi] : pad_width) {
    if (lo < 0 || hi < 0)
      throw ValueError("Op 'pad' expects non-negative padding. Received: pad_width entry (" + std::to_string(lo) +
                       ", " + std::to_string(hi) + ") for input shape " + x.shape().to_string());
    attrs.ints.push_back(lo);
    attrs.ints.push_back(hi);
  }
  if (pad_width.size() == 1 && x.rank() > 1)  // one pair applies to every axis, as in NumPy
    for (int i = 1; i < x.rank(); ++i) {
      attrs.ints.push_back(pad_width[0].first);
      attrs.ints.push_back(pad_width[0].second);
    }
  attrs.floats = {constant_value};
  return apply_op(pad_op(), {x}, attrs);
}

namespace detail {

Tensor conv_bias(const Tensor& inputs, const Tensor& kernel, const Tensor& bias, bool relu, const Ints& strides,
                 const std::string& padding, const Ints& dilation_rate) {
  const int d = spatial_dims(inputs, "conv_bias");
  Attrs attrs;
  detail::pack(make_params(d, strides, padding, dilation_rate, "conv_bias", /*allow_causal=*/true), attrs);
  attrs.flag = relu;
  return apply_op(conv_bias_op(), {inputs, kernel, bias}, attrs);
}

void register_conv_ops(OpList& ops) {
  for (const OpDef* op : {&conv_op(), &conv_bias_op(), &conv_transpose_op(), &conv_kernel_grad_op(),
                          &conv_kernel_bias_grad_op(), &pad_op()})
    ops.push_back(op);
}
}  // namespace detail

}  // namespace keras::ops
