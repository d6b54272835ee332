// Fused recurrent ops: lstm_sequence, gru_sequence, simple_rnn_sequence (each with a
// backward op that runs backpropagation through time as one kernel), and the small helpers
// the recurrent layers need: rnn_reverse_time (go_backwards) and rnn_mask_seen.
//
// attrs: ints = {activation, recurrent_activation} (backend::cpu::RnnActivation values);
// flag = reset_after (GRU). A forward op's inputs are (xz, h0, [c0,] U, [bias,] [mask]); its
// backward op takes the same inputs followed by the forward's output and the incoming
// gradient. Layouts: src/backend/cpu/rnn.h.
#include "recurrent_ops.h"

#include "../backend/cpu/rnn.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;
using Specs = std::vector<TensorSpec>;

enum class Cell { lstm, gru, simple };

// The number of inputs before the optional mask.
int base_inputs(Cell cell) { return cell == Cell::lstm ? 4 : cell == Cell::gru ? 4 : 3; }
int gate_factor(Cell cell) { return cell == Cell::lstm ? 4 : cell == Cell::gru ? 3 : 1; }
int recurrent_kernel_index(Cell cell) { return cell == Cell::lstm ? 3 : 2; }

bool dims_match(std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; }

// The forward output's width per step: the states, then the gates the backward reads.
std::int64_t state_width(Cell cell, std::int64_t u) { return cell == Cell::lstm ? 7 * u : cell == Cell::gru ? 5 * u : u; }

[[noreturn]] void bad_input(const std::string& op, const std::string& what, const TensorSpec& s) {
  throw ValueError("Op '" + op + "' expects " + what + ". Received: shape " + s.shape.to_string() + " (" +
                   dtype_name(s.dtype) + ")");
}

// Checks the forward inputs (the first `n` specs) and returns the units.
std::int64_t check_forward_inputs(const Specs& in, std::size_t n, Cell cell, const std::string& op) {
  const int base = base_inputs(cell);
  if (n != static_cast<std::size_t>(base) && n != static_cast<std::size_t>(base + 1))
    throw ValueError("Op '" + op + "' expects " + std::to_string(base) + " inputs, plus an optional mask. Received: " +
                     std::to_string(n) + " inputs");
  const TensorSpec& xz = in[0];
  detail::require_floating(xz, op);
  const TensorSpec& U = in[static_cast<std::size_t>(recurrent_kernel_index(cell))];
  const int factor = gate_factor(cell);
  if (U.shape.rank() != 2 || U.shape.dims()[0] < 0 || U.shape.dims()[1] != factor * U.shape.dims()[0])
    bad_input(op, "a recurrent kernel of shape (units, " + std::to_string(factor) + " * units)", U);
  const std::int64_t u = U.shape.dims()[0];
  if (xz.shape.rank() != 3 || !dims_match(xz.shape.dims()[2], factor * u))
    bad_input(op, "input projections of shape (batch, timesteps, " + std::to_string(factor * u) + ")", xz);
  if (xz.shape.dims()[1] == 0) bad_input(op, "at least one time step", xz);
  const std::int64_t batch = xz.shape.dims()[0];
  const int states = cell == Cell::lstm ? 2 : 1;
  for (int i = 1; i <= states; ++i) {
    const TensorSpec& s = in[static_cast<std::size_t>(i)];
    if (s.shape.rank() != 2 || !dims_match(s.shape.dims()[0], batch) || s.shape.dims()[1] != u)
      bad_input(op, "an initial state of shape " + Shape{batch, u}.to_string(), s);
  }
  if (cell == Cell::gru) {
    const TensorSpec& b = in[3];
    if (b.shape != Shape{3 * u}) bad_input(op, "a recurrent bias of shape (" + std::to_string(3 * u) + ",)", b);
  }
  for (std::size_t i = 1; i < static_cast<std::size_t>(base); ++i)
    if (in[i].dtype != xz.dtype)
      throw TypeError("Op '" + op + "' expects all float inputs to have the dtype of xz (" + dtype_name(xz.dtype) +
                      "). Received: input " + std::to_string(i) + " of dtype " + dtype_name(in[i].dtype));
  if (n == static_cast<std::size_t>(base + 1)) {
    const TensorSpec& m = in[static_cast<std::size_t>(base)];
    if (m.dtype != DType::bool_ || m.shape.rank() != 2 || !dims_match(m.shape.dims()[0], batch) ||
        !dims_match(m.shape.dims()[1], xz.shape.dims()[1]))
      bad_input(op, "a bool mask of shape " + Shape{batch, xz.shape.dims()[1]}.to_string(), m);
  }
  return u;
}

void check_activation_attrs(Attrs& attrs, const std::string& op) {
  if (attrs.ints.empty()) attrs.ints = {static_cast<std::int64_t>(cpu::RnnActivation::tanh),
                                        static_cast<std::int64_t>(cpu::RnnActivation::sigmoid)};
  if (attrs.ints.size() != 2) throw ValueError("Op '" + op + "' expects two activation codes in attrs.ints.");
  for (auto a : attrs.ints)
    if (a < 0 || a > static_cast<std::int64_t>(cpu::RnnActivation::relu))
      throw ValueError("Op '" + op + "': unknown fused activation code " + std::to_string(a));
}

TensorSpec infer_forward(const Specs& in, Attrs& attrs, Cell cell, const std::string& op) {
  check_activation_attrs(attrs, op);
  const std::int64_t u = check_forward_inputs(in, in.size(), cell, op);
  const Shape& xs = in[0].shape;
  return {Shape{xs.dims()[0], xs.dims()[1], state_width(cell, u)}, in[0].dtype};
}

TensorSpec infer_backward(const Specs& in, Attrs& attrs, Cell cell, const std::string& op) {
  check_activation_attrs(attrs, op);
  if (in.size() < 2) throw ValueError("Op '" + op + "' expects the forward inputs, output and gradient.");
  const std::int64_t u = check_forward_inputs(in, in.size() - 2, cell, op);
  const Shape& xs = in[0].shape;
  const Shape states{xs.dims()[0], xs.dims()[1], state_width(cell, u)};
  for (std::size_t i = in.size() - 2; i < in.size(); ++i) {
    const Shape& s = in[i].shape;
    bool ok = s.rank() == 3 && in[i].dtype == in[0].dtype;
    for (int d = 0; ok && d < 3; ++d) ok = dims_match(s.dims()[d], states.dims()[d]);
    if (!ok) bad_input(op, "forward states and their gradient of shape " + states.to_string(), in[i]);
  }
  const std::int64_t steps = xs.dims()[1] < 0 ? -1 : xs.dims()[1] + 1;
  const std::int64_t width = cell == Cell::simple ? u : 4 * u;
  return {Shape{xs.dims()[0], steps, width}, in[0].dtype};
}

// ---- kernels -----------------------------------------------------------------------------------

cpu::RnnDims dims_of(const KernelArgs& k, Cell cell) {
  const Shape& U = k.input_shapes[recurrent_kernel_index(cell)];
  return {k.input_shapes[0].dims()[0], k.input_shapes[0].dims()[1], U.dims()[0]};
}

const bool* mask_of(const KernelArgs& k, int num_forward_inputs, Cell cell) {
  return num_forward_inputs == base_inputs(cell) + 1 ? static_cast<const bool*>(k.inputs[base_inputs(cell)]) : nullptr;
}

cpu::RnnActivation act_of(const KernelArgs& k, int i) { return static_cast<cpu::RnnActivation>(k.attrs->ints[i]); }

void lstm_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_sequence", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    cpu::lstm_forward(in(0), in(1), in(2), in(3), mask_of(k, k.num_inputs, Cell::lstm), static_cast<T*>(k.output),
                      dims_of(k, Cell::lstm), act_of(k, 0), act_of(k, 1));
  });
}

void lstm_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_sequence_grad", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    const int n = k.num_inputs - 2;
    cpu::lstm_backward(in(0), in(1), in(2), in(3), mask_of(k, n, Cell::lstm), in(n), in(n + 1),
                       static_cast<T*>(k.output), dims_of(k, Cell::lstm), act_of(k, 0), act_of(k, 1));
  });
}

void gru_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "gru_sequence", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    cpu::gru_forward(in(0), in(1), in(2), in(3), mask_of(k, k.num_inputs, Cell::gru), static_cast<T*>(k.output),
                     dims_of(k, Cell::gru), k.attrs->flag, act_of(k, 0), act_of(k, 1));
  });
}

void gru_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "gru_sequence_grad", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    const int n = k.num_inputs - 2;
    cpu::gru_backward(in(0), in(1), in(2), in(3), mask_of(k, n, Cell::gru), in(n), in(n + 1),
                      static_cast<T*>(k.output), dims_of(k, Cell::gru), k.attrs->flag, act_of(k, 0), act_of(k, 1));
  });
}

void simple_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "simple_rnn_sequence", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    cpu::simple_rnn_forward(in(0), in(1), in(2), mask_of(k, k.num_inputs, Cell::simple), static_cast<T*>(k.output),
                            dims_of(k, Cell::simple), act_of(k, 0));
  });
}

void simple_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "simple_rnn_sequence_grad", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    const int n = k.num_inputs - 2;
    cpu::simple_rnn_backward(in(0), in(1), in(2), mask_of(k, n, Cell::simple), in(n), in(n + 1),
                             static_cast<T*>(k.output), dims_of(k, Cell::simple), act_of(k, 0));
  });
}

// ---- gradient rules ----------------------------------------------------------------------------

// sum over batch and steps of left_t^T right_t: (B, T, a), (B, T, b) -> (a, b), one product.
Tensor sum_of_outer_products(const Tensor& left, const Tensor& right) {
  const std::int64_t a = left.shape().dims()[2], b = right.shape().dims()[2];
  return matmul(transpose(reshape(left, Shape{-1, a})), reshape(right, Shape{-1, b}));
}

// Rows 1..T of a backward op's output: xz's gradient (the first `width` columns from `col`).
Tensor step_rows(const Tensor& p, std::int64_t col, std::int64_t width) {
  return slice(p, {0, 1, col}, {-1, -1, width});
}

// Row 0: an initial state's gradient, (B, width).
Tensor initial_row(const Tensor& p, std::int64_t col, std::int64_t width) {
  return squeeze(slice(p, {0, 0, col}, {-1, 1, width}), {1});
}

std::vector<Tensor> backward_inputs(const GradContext& c) {
  std::vector<Tensor> in = c.inputs;
  in.push_back(c.output);
  in.push_back(c.grad);
  return in;
}

const OpDef& lstm_grad_op();
const OpDef& gru_grad_op();
const OpDef& simple_grad_op();

std::vector<Tensor> grad_lstm(const GradContext& c) {
  const std::int64_t u = c.inputs[1].shape().dims()[1];
  const Tensor p = apply_op(lstm_grad_op(), backward_inputs(c), c.attrs);
  const Tensor dxz = step_rows(p, 0, 4 * u);
  const Tensor h = slice(c.output, {0, 0, 0}, {-1, -1, u});
  std::vector<Tensor> grads{dxz, initial_row(p, 0, u), initial_row(p, u, u),
                            sum_of_outer_products(rnn::previous_states(c.inputs[1], h), dxz)};
  if (c.inputs.size() > 4) grads.push_back(Tensor());
  return grads;
}

std::vector<Tensor> grad_gru(const GradContext& c) {
  const std::int64_t u = c.inputs[1].shape().dims()[1];
  const Tensor p = apply_op(gru_grad_op(), backward_inputs(c), c.attrs);
  const Tensor dxz = step_rows(p, 0, 3 * u);
  // The gradients of the recurrent products' outputs: [dz | dr] and that of m_h.
  const Tensor d_zr = step_rows(p, 0, 2 * u);
  const Tensor d_mh = step_rows(p, 3 * u, u);
  const Tensor h_prev = rnn::previous_states(c.inputs[1], slice(c.output, {0, 0, 0}, {-1, -1, u}));
  const Tensor d_recurrent = concatenate({d_zr, d_mh}, 2);
  Tensor d_kernel;
  if (c.attrs.flag) {
    // m_h = h U_h + b_h: every block of U multiplies h_{t-1}.
    d_kernel = sum_of_outer_products(h_prev, d_recurrent);
  } else {
    // m_h = (r * h) U_h + b_h: U_h multiplies the reset state.
    const Tensor r = slice(c.output, {0, 0, 2 * u}, {-1, -1, u});
    d_kernel = concatenate({sum_of_outer_products(h_prev, d_zr), sum_of_outer_products(multiply(r, h_prev), d_mh)}, 1);
  }
  std::vector<Tensor> grads{dxz, initial_row(p, 0, u), d_kernel, sum(d_recurrent, Axes{0, 1})};
  if (c.inputs.size() > 4) grads.push_back(Tensor());
  return grads;
}

std::vector<Tensor> grad_simple(const GradContext& c) {
  const std::int64_t u = c.inputs[1].shape().dims()[1];
  const Tensor p = apply_op(simple_grad_op(), backward_inputs(c), c.attrs);
  const Tensor dxz = step_rows(p, 0, u);
  std::vector<Tensor> grads{dxz, initial_row(p, 0, u),
                            sum_of_outer_products(rnn::previous_states(c.inputs[1], c.output), dxz)};
  if (c.inputs.size() > 3) grads.push_back(Tensor());
  return grads;
}

// ---- op definitions ----------------------------------------------------------------------------

#define KERAS_RNN_OP(FN, NAME, CELL, INFER, KERNEL, GRAD)                                                     \
  const OpDef& FN() {                                                                                         \
    static const OpDef def{NAME, -1, [](const Specs& in, Attrs& at) { return INFER(in, at, CELL, NAME); }, \
                           KERNEL, GRAD, false};                                                             \
    return def;                                                                                               \
  }

KERAS_RNN_OP(lstm_op, "lstm_sequence", Cell::lstm, infer_forward, lstm_kernel, grad_lstm)
KERAS_RNN_OP(lstm_grad_op, "lstm_sequence_grad", Cell::lstm, infer_backward, lstm_grad_kernel, nullptr)
KERAS_RNN_OP(gru_op, "gru_sequence", Cell::gru, infer_forward, gru_kernel, grad_gru)
KERAS_RNN_OP(gru_grad_op, "gru_sequence_grad", Cell::gru, infer_backward, gru_grad_kernel, nullptr)
KERAS_RNN_OP(simple_op, "simple_rnn_sequence", Cell::simple, infer_forward, simple_kernel, grad_simple)
KERAS_RNN_OP(simple_grad_op, "simple_rnn_sequence_grad", Cell::simple, infer_backward, simple_grad_kernel, nullptr)
#undef KERAS_RNN_OP

// ---- rnn_reverse_time / rnn_mask_seen ----------------------------------------------------------

TensorSpec infer_reverse_time(const Specs& in, Attrs&) {
  if (in[0].shape.rank() < 2)
    bad_input("rnn_reverse_time", "a tensor of rank >= 2 (batch, timesteps, ...)", in[0]);
  return in[0];
}

void reverse_time_kernel(const KernelArgs& k) {
  const Shape& s = k.input_shapes[0];
  std::int64_t inner = 1;
  for (int d = 2; d < s.rank(); ++d) inner *= s.dims()[d];
  cpu::reverse_steps(k.inputs[0], k.output, s.dims()[0], s.dims()[1], inner,
                     static_cast<std::int64_t>(dtype_size(k.output_dtype)));
}

std::vector<Tensor> grad_reverse_time(const GradContext& c) { return {rnn::reverse_time(c.grad)}; }

const OpDef& reverse_time_op() {
  static const OpDef def{"rnn_reverse_time", 1, infer_reverse_time, reverse_time_kernel, grad_reverse_time, false};
  return def;
}

TensorSpec infer_mask_seen(const Specs& in, Attrs&) {
  if (in[0].dtype != DType::bool_ || in[0].shape.rank() != 2)
    bad_input("rnn_mask_seen", "a bool mask of shape (batch, timesteps)", in[0]);
  return in[0];
}

void mask_seen_kernel(const KernelArgs& k) {
  const Shape& s = k.input_shapes[0];
  cpu::mask_seen(static_cast<const bool*>(k.inputs[0]), static_cast<bool*>(k.output), s.dims()[0], s.dims()[1]);
}

const OpDef& mask_seen_op() {
  static const OpDef def{"rnn_mask_seen", 1, infer_mask_seen, mask_seen_kernel, nullptr, false};
  return def;
}

Attrs activation_attrs(rnn::Activation a, rnn::Activation rec, bool flag = false) {
  Attrs attrs;
  attrs.ints = {static_cast<std::int64_t>(a), static_cast<std::int64_t>(rec)};
  attrs.flag = flag;
  return attrs;
}

std::vector<Tensor> with_mask(std::vector<Tensor> in, const Tensor& mask) {
  if (mask.defined()) in.push_back(mask);
  return in;
}

}  // namespace

namespace rnn {

std::optional<Activation> fused_activation(const std::string& name) {
  if (name == "linear" || name.empty()) return Activation::linear;
  if (name == "tanh") return Activation::tanh;
  if (name == "sigmoid") return Activation::sigmoid;
  if (name == "hard_sigmoid") return Activation::hard_sigmoid;
  if (name == "relu") return Activation::relu;
  return std::nullopt;
}

Tensor lstm_sequence(const Tensor& xz, const Tensor& h0, const Tensor& c0, const Tensor& recurrent_kernel,
                     const Tensor& mask, Activation activation, Activation recurrent_activation) {
  return apply_op(lstm_op(), with_mask({xz, h0, c0, recurrent_kernel}, mask),
                  activation_attrs(activation, recurrent_activation));
}

Tensor gru_sequence(const Tensor& xz, const Tensor& h0, const Tensor& recurrent_kernel, const Tensor& recurrent_bias,
                    const Tensor& mask, bool reset_after, Activation activation, Activation recurrent_activation) {
  return apply_op(gru_op(), with_mask({xz, h0, recurrent_kernel, recurrent_bias}, mask),
                  activation_attrs(activation, recurrent_activation, reset_after));
}

Tensor simple_rnn_sequence(const Tensor& xz, const Tensor& h0, const Tensor& recurrent_kernel, const Tensor& mask,
                           Activation activation) {
  return apply_op(simple_op(), with_mask({xz, h0, recurrent_kernel}, mask),
                  activation_attrs(activation, Activation::linear));
}

Tensor reverse_time(const Tensor& x) { return apply_op(reverse_time_op(), {x}); }

Tensor mask_seen(const Tensor& mask) { return apply_op(mask_seen_op(), {mask}); }

Tensor previous_states(const Tensor& h0, const Tensor& states) {
  const std::int64_t steps = states.shape().dims()[1];
  const Tensor first = expand_dims(h0, 1);
  if (steps == 1) return first;
  // All but the last step. Without a known length, slicing "to the end" is the only slice
  // that adapts to the run-time shape: drop the first step of the reversed sequence.
  const Tensor rest = steps > 1 ? slice(states, {0, 0, 0}, {-1, steps - 1, -1})
                                : reverse_time(slice(reverse_time(states), {0, 1, 0}, {-1, -1, -1}));
  return concatenate({first, rest}, 1);
}

}  // namespace rnn

namespace detail {
void register_recurrent_ops(OpList& ops) {
  for (const OpDef* op : {&lstm_op(), &lstm_grad_op(), &gru_op(), &gru_grad_op(), &simple_op(), &simple_grad_op(),
                          &reverse_time_op(), &mask_seen_op()})
    ops.push_back(op);
}
}  // namespace detail

}  // namespace keras::ops
