// Fused recurrent ops: lstm_sequence + lstm_output, gru_sequence, simple_rnn_sequence (each
// with a backward op that runs backpropagation through time as one kernel), and the small
// helpers the recurrent layers need: rnn_reverse_time (go_backwards) and rnn_mask_seen.
//
// attrs: ints = {activation, recurrent_activation} (backend::cpu::RnnActivation values);
// flag = reset_after (GRU); i = which output (lstm_output). A GRU/SimpleRNN forward op's
// inputs are (xz, h0, U, [bias,] [mask]); its backward op takes the same inputs followed by
// the forward's output and the incoming gradient. The LSTM ops take the layer's inputs
// (x, kernel, bias, h0, c0, U, [mask]): see the LSTM section. Layouts: src/backend/cpu/rnn.h.
#include "recurrent_ops.h"

#include <cstring>

#include "../backend/cpu/rnn.h"
#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace {

namespace cpu = backend::cpu;
using Specs = std::vector<TensorSpec>;

enum class Cell { gru, simple };

// The number of inputs before the optional mask.
int base_inputs(Cell cell) { return cell == Cell::gru ? 4 : 3; }
int gate_factor(Cell cell) { return cell == Cell::gru ? 3 : 1; }
int recurrent_kernel_index(Cell) { return 2; }

bool dims_match(std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; }

// The forward output's width per step: the states, then the gates the backward reads.
std::int64_t state_width(Cell cell, std::int64_t u) { return cell == Cell::gru ? 5 * u : u; }

[[noreturn]] void bad_input(const std::string& op, const std::string& what, const TensorSpec& s) {
  throw ValueError("Op '" + op + "' expects " + what + ". Received: shape " + s.shape.to_string() + " (" +
                   dtype_name(s.dtype) + ")");
}

// in[first + 1, first + base) share in[first]'s dtype; in[first + base], when n > base, is a
// bool mask of shape (batch, timesteps) of in[first].
void check_dtypes_and_mask(const Specs& in, std::size_t first, int base, std::size_t n, const std::string& op) {
  const TensorSpec& x = in[first];
  for (std::size_t i = 1; i < static_cast<std::size_t>(base); ++i)
    if (in[first + i].dtype != x.dtype)
      throw TypeError("Op '" + op + "' expects all float inputs to have the dtype of input 0 (" + dtype_name(x.dtype) +
                      "). Received: input " + std::to_string(i) + " of dtype " + dtype_name(in[first + i].dtype));
  if (n == static_cast<std::size_t>(base + 1)) {
    const TensorSpec& m = in[first + static_cast<std::size_t>(base)];
    const Shape want{x.shape.dims()[0], x.shape.dims()[1]};
    if (m.dtype != DType::bool_ || m.shape.rank() != 2 || !dims_match(m.shape.dims()[0], want.dims()[0]) ||
        !dims_match(m.shape.dims()[1], want.dims()[1]))
      bad_input(op, "a bool mask of shape " + want.to_string(), m);
  }
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
  const TensorSpec& h0 = in[1];
  if (h0.shape.rank() != 2 || !dims_match(h0.shape.dims()[0], batch) || h0.shape.dims()[1] != u)
    bad_input(op, "an initial state of shape " + Shape{batch, u}.to_string(), h0);
  if (cell == Cell::gru) {
    const TensorSpec& b = in[3];
    if (b.shape != Shape{3 * u}) bad_input(op, "a recurrent bias of shape (" + std::to_string(3 * u) + ",)", b);
  }
  check_dtypes_and_mask(in, 0, base, n, op);
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

const OpDef& gru_grad_op();
const OpDef& simple_grad_op();

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

KERAS_RNN_OP(gru_op, "gru_sequence", Cell::gru, infer_forward, gru_kernel, grad_gru)
KERAS_RNN_OP(gru_grad_op, "gru_sequence_grad", Cell::gru, infer_backward, gru_grad_kernel, nullptr)
KERAS_RNN_OP(simple_op, "simple_rnn_sequence", Cell::simple, infer_forward, simple_kernel, grad_simple)
KERAS_RNN_OP(simple_grad_op, "simple_rnn_sequence_grad", Cell::simple, infer_backward, simple_grad_kernel, nullptr)
#undef KERAS_RNN_OP

// ---- LSTM --------------------------------------------------------------------------------------
// lstm_sequence (x, kernel, bias, h0, c0, U[, mask]) -> the tape (T, B, 7u + F + 1); not differentiable.
// lstm_output (tape, x, kernel, bias, h0, c0, U[, mask]) -> one output (attrs.i: LstmOutput).
// Its gradient rule runs lstm_sequence_grad (the same inputs, then the tape and the output's
// gradient) -> P, every gradient in one matrix, and reads it with lstm_grad_part (dU, dW,
// dbias, dh0, dc0) and lstm_input_grad (dx, only when x needs one). The tape gets no gradient:
// nothing but lstm_output reads it, and reading only the output needed keeps the backward
// from receiving (and zero-filling) a gradient the size of the tape.

constexpr std::size_t kLstmInputs = 6;
enum class LstmPart : std::int64_t { recurrent_kernel = 0, kernel = 1, bias = 2, h0 = 3, c0 = 4 };

// Checks the LSTM inputs in[first, first + n) and returns the dims (-1 where unknown).
cpu::LstmDims check_lstm_inputs(const Specs& in, std::size_t first, std::size_t n, const std::string& op) {
  if (n != kLstmInputs && n != kLstmInputs + 1)
    throw ValueError("Op '" + op + "' expects the inputs (x, kernel, bias, h0, c0, recurrent_kernel), plus an "
                     "optional mask. Received: " + std::to_string(n) + " inputs");
  const TensorSpec& x = in[first];
  detail::require_floating(x, op);
  if (x.shape.rank() != 3) bad_input(op, "inputs of shape (batch, timesteps, features)", x);
  if (x.shape.dims()[1] == 0) bad_input(op, "at least one time step", x);
  const TensorSpec& U = in[first + 5];
  if (U.shape.rank() != 2 || U.shape.dims()[0] < 0 || U.shape.dims()[1] != 4 * U.shape.dims()[0])
    bad_input(op, "a recurrent kernel of shape (units, 4 * units)", U);
  const std::int64_t u = U.shape.dims()[0], batch = x.shape.dims()[0];
  const TensorSpec& W = in[first + 1];
  if (W.shape.rank() != 2 || W.shape.dims()[0] < 0 || !dims_match(W.shape.dims()[0], x.shape.dims()[2]) ||
      W.shape.dims()[1] != 4 * u)
    bad_input(op, "a kernel of shape " + Shape{x.shape.dims()[2], 4 * u}.to_string(), W);
  if (in[first + 2].shape != Shape{4 * u}) bad_input(op, "a bias of shape (" + std::to_string(4 * u) + ",)", in[first + 2]);
  for (std::size_t i = 3; i <= 4; ++i) {
    const TensorSpec& s = in[first + i];
    if (s.shape.rank() != 2 || !dims_match(s.shape.dims()[0], batch) || s.shape.dims()[1] != u)
      bad_input(op, "an initial state of shape " + Shape{batch, u}.to_string(), s);
  }
  check_dtypes_and_mask(in, first, static_cast<int>(kLstmInputs), n, op);
  return {batch, x.shape.dims()[1], u, W.shape.dims()[0]};
}

Shape lstm_tape_shape(const cpu::LstmDims& d) { return Shape{d.steps, d.batch, 7 * d.units + d.features + 1}; }

Shape lstm_output_shape(const cpu::LstmDims& d, std::int64_t which, const std::string& op) {
  switch (static_cast<cpu::LstmOutput>(which)) {
    case cpu::LstmOutput::sequence:
    case cpu::LstmOutput::cell_sequence: return Shape{d.batch, d.steps, d.units};
    case cpu::LstmOutput::final_states: return Shape{d.batch, 2 * d.units};
  }
  throw ValueError("Op '" + op + "': unknown output code " + std::to_string(which));
}

// in[i] must have `want`'s shape where both are known.
void check_shape(const TensorSpec& s, const Shape& want, DType dtype, const std::string& op, const std::string& what) {
  bool ok = s.shape.rank() == want.rank() && s.dtype == dtype;
  for (int d = 0; ok && d < want.rank(); ++d) ok = dims_match(s.shape.dims()[d], want.dims()[d]);
  if (!ok) bad_input(op, what + " of shape " + want.to_string(), s);
}

TensorSpec infer_lstm_sequence(const Specs& in, Attrs& attrs) {
  check_activation_attrs(attrs, "lstm_sequence");
  return {lstm_tape_shape(check_lstm_inputs(in, 0, in.size(), "lstm_sequence")), in[0].dtype};
}

TensorSpec infer_lstm_output(const Specs& in, Attrs& attrs) {
  const std::string op = "lstm_output";
  check_activation_attrs(attrs, op);
  if (in.empty()) throw ValueError("Op '" + op + "' expects the tape followed by the LSTM inputs.");
  const cpu::LstmDims d = check_lstm_inputs(in, 1, in.size() - 1, op);
  check_shape(in[0], lstm_tape_shape(d), in[1].dtype, op, "a tape (lstm_sequence's output)");
  return {lstm_output_shape(d, attrs.i, op), in[1].dtype};
}

TensorSpec infer_lstm_grad(const Specs& in, Attrs& attrs) {
  const std::string op = "lstm_sequence_grad";
  check_activation_attrs(attrs, op);
  if (in.size() < 2) throw ValueError("Op '" + op + "' expects the LSTM inputs, the tape and a gradient.");
  const cpu::LstmDims d = check_lstm_inputs(in, 0, in.size() - 2, op);
  check_shape(in[in.size() - 2], lstm_tape_shape(d), in[0].dtype, op, "a tape (lstm_sequence's output)");
  check_shape(in.back(), lstm_output_shape(d, attrs.i, op), in[0].dtype, op, "an output gradient");
  const std::int64_t rows = d.batch < 0 || d.steps < 0 ? -1 : cpu::lstm_grad_rows(d);
  return {Shape{rows, 4 * d.units}, in[0].dtype};
}

// lstm_grad_part and lstm_input_grad: (P, x, W) for the dims.
cpu::LstmDims grad_reader_dims(const Specs& in, const std::string& op) {
  if (in.size() != 3 || in[1].shape.rank() != 3 || in[2].shape.rank() != 2 || in[0].shape.rank() != 2)
    throw ValueError("Op '" + op + "' expects (lstm_sequence_grad's output, x, kernel).");
  const std::int64_t u = in[2].shape.dims()[1] / 4;
  return {in[1].shape.dims()[0], in[1].shape.dims()[1], u, in[2].shape.dims()[0]};
}

TensorSpec infer_lstm_grad_part(const Specs& in, Attrs& attrs) {
  const cpu::LstmDims d = grad_reader_dims(in, "lstm_grad_part");
  const std::int64_t G = 4 * d.units;
  switch (static_cast<LstmPart>(attrs.i)) {
    case LstmPart::recurrent_kernel: return {Shape{d.units, G}, in[0].dtype};
    case LstmPart::kernel: return {Shape{d.features, G}, in[0].dtype};
    case LstmPart::bias: return {Shape{G}, in[0].dtype};
    case LstmPart::h0:
    case LstmPart::c0: return {Shape{d.batch, d.units}, in[0].dtype};
  }
  throw ValueError("Op 'lstm_grad_part': unknown part code " + std::to_string(attrs.i));
}

TensorSpec infer_lstm_input_grad(const Specs& in, Attrs&) {
  const cpu::LstmDims d = grad_reader_dims(in, "lstm_input_grad");
  return {Shape{d.batch, d.steps, d.features}, in[0].dtype};
}

cpu::LstmDims lstm_dims_of(const KernelArgs& k, int x_index) {
  const Shape& x = k.input_shapes[x_index];
  const Shape& W = k.input_shapes[x_index + 1];
  return {x.dims()[0], x.dims()[1], W.dims()[1] / 4, W.dims()[0]};
}

const bool* lstm_mask(const KernelArgs& k, int first, int n) {
  return n == static_cast<int>(kLstmInputs) + 1 ? static_cast<const bool*>(k.inputs[first + kLstmInputs]) : nullptr;
}

void lstm_sequence_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_sequence", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    cpu::lstm_forward(in(0), in(1), in(2), in(3), in(4), in(5), lstm_mask(k, 0, k.num_inputs),
                      static_cast<T*>(k.output), lstm_dims_of(k, 0), act_of(k, 0), act_of(k, 1));
  });
}

void lstm_output_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_output", [&](auto zero) {
    using T = decltype(zero);
    cpu::lstm_output(static_cast<const T*>(k.inputs[0]), static_cast<T*>(k.output), lstm_dims_of(k, 1),
                     static_cast<cpu::LstmOutput>(k.attrs->i));
  });
}

void lstm_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_sequence_grad", [&](auto zero) {
    using T = decltype(zero);
    auto in = [&](int i) { return static_cast<const T*>(k.inputs[i]); };
    const int n = k.num_inputs - 2;
    cpu::lstm_backward(in(0), in(1), in(3), in(4), in(5), lstm_mask(k, 0, n), in(n), in(n + 1),
                       static_cast<cpu::LstmOutput>(k.attrs->i), static_cast<T*>(k.output), lstm_dims_of(k, 0),
                       act_of(k, 0), act_of(k, 1));
  });
}

void lstm_grad_part_kernel(const KernelArgs& k) {
  const cpu::LstmDims d = lstm_dims_of(k, 1);
  const std::int64_t G = 4 * d.units, esize = static_cast<std::int64_t>(dtype_size(k.output_dtype));
  const auto* P = static_cast<const unsigned char*>(k.inputs[0]);
  auto* out = static_cast<unsigned char*>(k.output);
  const auto part = static_cast<LstmPart>(k.attrs->i);
  if (part == LstmPart::h0 || part == LstmPart::c0) {
    // Rows [dh0 | dc0 | 0 | 0].
    const std::int64_t row0 = cpu::lstm_grad_row(d, cpu::LstmGradPart::initial_states);
    const std::int64_t col = part == LstmPart::h0 ? 0 : d.units;
    for (std::int64_t b = 0; b < d.batch; ++b)
      std::memcpy(out + b * d.units * esize, P + ((row0 + b) * G + col) * esize,
                  static_cast<std::size_t>(d.units * esize));
    return;
  }
  const auto block = part == LstmPart::recurrent_kernel ? cpu::LstmGradPart::recurrent_kernel
                     : part == LstmPart::kernel         ? cpu::LstmGradPart::kernel
                                                        : cpu::LstmGradPart::bias;
  std::memcpy(out, P + cpu::lstm_grad_row(d, block) * G * esize,
              static_cast<std::size_t>(k.output_shape->num_elements() * esize));
}

void lstm_input_grad_kernel(const KernelArgs& k) {
  dispatch_floating(k.output_dtype, "lstm_input_grad", [&](auto zero) {
    using T = decltype(zero);
    cpu::lstm_input_grad(static_cast<const T*>(k.inputs[0]), static_cast<const T*>(k.inputs[2]),
                         static_cast<T*>(k.output), lstm_dims_of(k, 1));
  });
}

const OpDef& lstm_grad_op() {
  static const OpDef def{"lstm_sequence_grad", -1, infer_lstm_grad, lstm_grad_kernel, nullptr, false};
  return def;
}
const OpDef& lstm_grad_part_op() {
  static const OpDef def{"lstm_grad_part", 3, infer_lstm_grad_part, lstm_grad_part_kernel, nullptr, false};
  return def;
}
const OpDef& lstm_input_grad_op() {
  static const OpDef def{"lstm_input_grad", 3, infer_lstm_input_grad, lstm_input_grad_kernel, nullptr, false};
  return def;
}

std::vector<Tensor> grad_lstm_output(const GradContext& c) {
  std::vector<Tensor> in(c.inputs.begin() + 1, c.inputs.end());
  in.push_back(c.inputs[0]);
  in.push_back(c.grad);
  const Tensor P = apply_op(lstm_grad_op(), in, c.attrs);
  const Tensor& x = c.inputs[1];
  const Tensor& W = c.inputs[2];
  auto part = [&](LstmPart p) {
    Attrs a;
    a.i = static_cast<std::int64_t>(p);
    return apply_op(lstm_grad_part_op(), {P, x, W}, a);
  };
  std::vector<Tensor> grads{Tensor(), apply_op(lstm_input_grad_op(), {P, x, W}), part(LstmPart::kernel),
                            part(LstmPart::bias), part(LstmPart::h0), part(LstmPart::c0),
                            part(LstmPart::recurrent_kernel)};
  if (c.inputs.size() > kLstmInputs + 1) grads.push_back(Tensor());
  return grads;
}

const OpDef& lstm_op() {
  static const OpDef def{"lstm_sequence", -1, infer_lstm_sequence, lstm_sequence_kernel, nullptr, false};
  return def;
}
const OpDef& lstm_output_op() {
  static const OpDef def{"lstm_output", -1, infer_lstm_output, lstm_output_kernel, grad_lstm_output, false};
  return def;
}

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

std::vector<Tensor> lstm_inputs(const LstmInputs& in) {
  return with_mask({in.x, in.kernel, in.bias, in.h0, in.c0, in.recurrent_kernel}, in.mask);
}

Tensor lstm_sequence(const LstmInputs& in) {
  return apply_op(lstm_op(), lstm_inputs(in), activation_attrs(in.activation, in.recurrent_activation));
}

Tensor lstm_output(const Tensor& tape, const LstmInputs& in, LstmOutput which) {
  std::vector<Tensor> args = lstm_inputs(in);
  args.insert(args.begin(), tape);
  Attrs attrs = activation_attrs(in.activation, in.recurrent_activation);
  attrs.i = static_cast<std::int64_t>(which);
  return apply_op(lstm_output_op(), std::move(args), attrs);
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
  for (const OpDef* op : {&lstm_op(), &lstm_output_op(), &lstm_grad_op(), &lstm_grad_part_op(), &lstm_input_grad_op(),
                          &gru_op(), &gru_grad_op(), &simple_op(), &simple_grad_op(), &reverse_time_op(),
                          &mask_seen_op()})
    ops.push_back(op);
}
}  // namespace detail

}  // namespace keras::ops
