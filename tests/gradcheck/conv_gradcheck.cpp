// Finite-difference checks for the convolution and pooling ops and the ops behind their
// gradients (each other's gradients, so these also cover gradients of gradients).
#include "gradcheck.h"
#include "keras/graph/autodiff.h"
#include "keras/ops/op_def.h"
#include "keras/ops/ops.h"
#include "ops/conv_params.h"

using keras::Tensor;
namespace ops = keras::ops;
using In = std::vector<Tensor>;

// ---- conv ----
KERAS_GRADCHECK({"conv", "1-D same, stride 2", {{2, 7, 3}, {3, 3, 2}},
                 [](const In& in) { return ops::conv(in[0], in[1], {2}, "same"); }});
KERAS_GRADCHECK({"conv", "1-D causal, dilation 2", {{1, 6, 2}, {2, 2, 3}},
                 [](const In& in) { return ops::conv(in[0], in[1], {1}, "causal", "channels_last", {2}); }});
KERAS_GRADCHECK({"conv", "2-D valid, dilation 2", {{2, 6, 5, 2}, {2, 2, 2, 3}},
                 [](const In& in) { return ops::conv(in[0], in[1], {1}, "valid", "channels_last", {2}); }});
KERAS_GRADCHECK({"conv", "2-D same, strides (2,1), 2 groups", {{1, 5, 4, 4}, {3, 2, 2, 4}},
                 [](const In& in) { return ops::conv(in[0], in[1], {2, 1}, "same"); }});
KERAS_GRADCHECK({"conv", "2-D channels_first", {{1, 2, 4, 4}, {2, 2, 2, 3}},
                 [](const In& in) { return ops::conv(in[0], in[1], {1}, "same", "channels_first"); }});
KERAS_GRADCHECK({"conv", "3-D valid", {{1, 3, 4, 3, 2}, {2, 2, 2, 2, 2}},
                 [](const In& in) { return ops::conv(in[0], in[1]); }});
KERAS_GRADCHECK({"conv", "depthwise, multiplier 2", {{2, 5, 5, 3}, {3, 3, 3, 2}},
                 [](const In& in) { return ops::depthwise_conv(in[0], in[1], {2}, "same"); }});
KERAS_GRADCHECK({"conv", "separable", {{1, 5, 5, 2}, {3, 3, 2, 2}, {1, 1, 4, 3}},
                 [](const In& in) { return ops::separable_conv(in[0], in[1], in[2], {1}, "same"); }});

// ---- conv_bias (the conv layers' fused conv + bias (+ relu)) ----
KERAS_GRADCHECK({"conv_bias", "2-D one channel, relu", {{2, 5, 5, 1}, {3, 3, 1, 4}, {4}},
                 [](const In& in) {
                   return ops::detail::conv_bias(in[0], in[1], in[2], true, {1}, "valid", {1});
                 }});
KERAS_GRADCHECK({"conv_bias", "2-D same, stride 2, 2 groups, relu", {{1, 5, 4, 4}, {3, 2, 2, 4}, {4}},
                 [](const In& in) {
                   return ops::detail::conv_bias(in[0], in[1], in[2], true, {2, 1}, "same", {1});
                 }});
KERAS_GRADCHECK({"conv_bias", "1-D causal, dilation 2, linear", {{2, 6, 2}, {2, 2, 3}, {3}},
                 [](const In& in) {
                   return ops::detail::conv_bias(in[0], in[1], in[2], false, {1}, "causal", {2});
                 }});
KERAS_GRADCHECK({"conv_bias", "relu then max pool (the masked pooling gradient when traced)",
                 {{2, 6, 6, 2}, {3, 3, 2, 3}, {3}},
                 [](const In& in) {
                   return ops::max_pool(ops::detail::conv_bias(in[0], in[1], in[2], true, {1}, "valid", {1}), {2});
                 }});

// ---- conv_kernel_bias_grad: conv_bias's [dw | db] ----
static Tensor kernel_bias_grad(const Tensor& x, const Tensor& dz, std::int64_t k, std::int64_t stride,
                               std::int64_t groups, keras::ops::detail::PadMode mode) {
  keras::ops::detail::ConvParams p;
  p.d = x.rank() - 2;
  p.mode = mode;
  p.groups = groups;
  for (int i = 0; i < p.d; ++i) p.size[i] = k, p.stride[i] = stride;
  keras::Attrs attrs;
  keras::ops::detail::pack(p, attrs);
  return keras::apply_op(keras::find_op("conv_kernel_bias_grad"), {x, dz}, attrs);
}
KERAS_GRADCHECK({"conv_kernel_bias_grad", "2-D valid 3x3", {{2, 5, 4, 3}, {2, 3, 2, 2}},
                 [](const In& in) { return kernel_bias_grad(in[0], in[1], 3, 1, 1, keras::ops::detail::kPadValid); }});
KERAS_GRADCHECK({"conv_kernel_bias_grad", "2-D same, stride 2, 2 groups", {{1, 5, 5, 4}, {1, 3, 3, 4}},
                 [](const In& in) { return kernel_bias_grad(in[0], in[1], 2, 2, 2, keras::ops::detail::kPadSame); }});
KERAS_GRADCHECK({"conv_kernel_bias_grad", "second order: gradient of conv_bias's gradients",
                 {{1, 4, 4, 2}, {2, 2, 2, 3}, {3}},
                 [](const In& in) {
                   keras::GradientTape tape;
                   Tensor y = ops::detail::conv_bias(in[0], in[1], in[2], false, {1}, "same", {1});
                   Tensor loss = ops::sum(ops::multiply(ops::square(y), ops::full_like(y, 0.5)));
                   const auto g = tape.gradient(loss, {in[1], in[2]});
                   return ops::concatenate({ops::reshape(g[0], {-1}), g[1]}, 0);
                 }});

// ---- conv_transpose (Keras's transposed convolution, and conv's input gradient) ----
KERAS_GRADCHECK({"conv_transpose", "2-D same, stride 2", {{1, 3, 3, 2}, {3, 3, 4, 2}},
                 [](const In& in) { return ops::conv_transpose(in[0], in[1], {2}, "same"); }});
KERAS_GRADCHECK({"conv_transpose", "1-D valid, output_padding 1", {{2, 4, 3}, {2, 2, 3}},
                 [](const In& in) { return ops::conv_transpose(in[0], in[1], {3}, "valid", {1}); }});
KERAS_GRADCHECK({"conv_transpose", "input gradient of a grouped conv", {{1, 3, 3, 4}, {2, 2, 2, 4}},
                 [](const In& in) { return ops::conv_input_grad(in[0], in[1], {1, 6, 5, 4}, {2}, "same"); }});

// ---- conv_kernel_grad ----
KERAS_GRADCHECK({"conv_kernel_grad", "2-D same, stride 2", {{2, 5, 4, 3}, {2, 3, 2, 2}},
                 [](const In& in) { return ops::conv_kernel_grad(in[0], in[1], {3, 2}, 1, {2}, "same"); }});
KERAS_GRADCHECK({"conv_kernel_grad", "1-D valid, 3 groups, dilation 2", {{1, 7, 3}, {1, 5, 6}},
                 [](const In& in) { return ops::conv_kernel_grad(in[0], in[1], {2}, 3, {1}, "valid", {2}); }});

// ---- pad ----
KERAS_GRADCHECK({"pad", "2-D asymmetric", {{2, 3, 2}},
                 [](const In& in) { return ops::pad(in[0], {{0, 0}, {1, 2}, {2, 0}}, 0.5); }});

// ---- pooling ----
KERAS_GRADCHECK({"max_pool", "2-D valid 2x2", {{2, 4, 5, 3}},
                 [](const In& in) { return ops::max_pool(in[0], {2}); }});
KERAS_GRADCHECK({"max_pool", "1-D same, pool 3, stride 2", {{1, 7, 2}},
                 [](const In& in) { return ops::max_pool(in[0], {3}, {2}, "same"); }});
KERAS_GRADCHECK({"max_pool", "3-D overlapping windows", {{1, 3, 3, 3, 2}},
                 [](const In& in) { return ops::max_pool(in[0], {2}, {1}); }});
KERAS_GRADCHECK({"average_pool", "2-D same, pool 3, stride 2", {{2, 5, 4, 2}},
                 [](const In& in) { return ops::average_pool(in[0], {3}, {2}, "same"); }});
KERAS_GRADCHECK({"average_pool", "1-D valid, channels_first", {{2, 3, 6}},
                 [](const In& in) { return ops::average_pool(in[0], {2}, {}, "valid", "channels_first"); }});
KERAS_GRADCHECK({"max_pool_grad", "2-D same", {{1, 5, 5, 2}, {1, 3, 3, 2}},
                 [](const In& in) { return ops::max_pool_grad(in[0], in[1], {2}, {2}, "same"); }});
KERAS_GRADCHECK({"max_pool_gather", "2-D same", {{1, 5, 5, 2}, {1, 5, 5, 2}},
                 [](const In& in) { return ops::max_pool_gather(in[0], in[1], {2}, {2}, "same"); }});
// With attrs.flag the pooled input is a relu's output and the relu's gradient is folded in;
// inputs in [-1, 1] leave windows whose maximum is negative.
static Tensor masked_pool_op(const char* op, const Tensor& x, const Tensor& g, std::int64_t pool, std::int64_t stride,
                      keras::ops::detail::PadMode mode) {
  keras::ops::detail::ConvParams p;
  p.d = x.rank() - 2;
  p.mode = mode;
  for (int i = 0; i < p.d; ++i) p.size[i] = pool, p.stride[i] = stride;
  keras::Attrs attrs;
  keras::ops::detail::pack(p, attrs);
  attrs.flag = true;
  return keras::apply_op(keras::find_op(op), {x, g}, attrs);
}
KERAS_GRADCHECK({"max_pool_grad", "relu-masked, 2-D same", {{1, 5, 5, 2}, {1, 3, 3, 2}},
                 [](const In& in) {
                   return masked_pool_op("max_pool_grad", in[0], in[1], 2, 2, keras::ops::detail::kPadSame);
                 },
                 -1.0, 1.0});
KERAS_GRADCHECK({"max_pool_grad", "relu-masked, 1-D overlapping windows", {{2, 7, 3}, {2, 5, 3}},
                 [](const In& in) {
                   return masked_pool_op("max_pool_grad", in[0], in[1], 3, 1, keras::ops::detail::kPadValid);
                 },
                 -1.0, 1.0});
KERAS_GRADCHECK({"max_pool_gather", "relu-masked, 2-D valid", {{1, 5, 5, 2}, {1, 5, 5, 2}},
                 [](const In& in) {
                   return masked_pool_op("max_pool_gather", in[0], in[1], 2, 2, keras::ops::detail::kPadValid);
                 },
                 -1.0, 1.0});
KERAS_GRADCHECK({"average_pool_grad", "2-D same, pool 3, stride 2", {{1, 3, 2, 2}, {1, 5, 4, 2}},
                 [](const In& in) { return ops::average_pool_grad(in[0], in[1], {3}, {2}, "same"); }});

// Second order through the family: d/dx of sum(d conv/d w * v) exercises conv_kernel_grad's
// gradient in its first input, computed by autodiff inside the function.
KERAS_GRADCHECK({"conv_kernel_grad", "second order: gradient of a kernel gradient", {{1, 4, 4, 2}, {2, 2, 2, 3}},
                 [](const In& in) {
                   keras::GradientTape tape;
                   Tensor y = ops::conv(in[0], in[1], {1}, "same");
                   Tensor loss = ops::sum(ops::multiply(ops::square(y), ops::full_like(y, 0.5)));
                   return tape.gradient(loss, {in[1]})[0];
                 }});
