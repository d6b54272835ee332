#pragma once
// The fused recurrent ops behind LSTM, GRU and SimpleRNN (src/ops/recurrent.cpp), for the
// recurrent layers and their tests. Internal: Keras has no public op for these.
//
// Each op runs a whole sequence in one node (kernels: src/backend/cpu/rnn.h) and has its own
// backward op, written as a kernel (backpropagation through time). Its gradient rule then
// forms the recurrent kernel's gradient as one matrix product over all steps. The backward
// ops are not differentiable themselves: gradients of gradients stop at a fused recurrence.
//
//   rnn::LstmInputs in{x, kernel, bias, h0, c0, recurrent_kernel};
//   Tensor tape = rnn::lstm_sequence(in);
//   Tensor h_seq = rnn::lstm_output(tape, in, rnn::LstmOutput::sequence);   // (B, T, u)
#include <optional>
#include <string>

#include "keras/core/tensor.h"

namespace keras::ops::rnn {

/// The activations the fused kernels evaluate; other activations take the layers' unfused
/// path. Values match backend::cpu::RnnActivation.
enum class Activation : std::int64_t { linear = 0, tanh = 1, sigmoid = 2, hard_sigmoid = 3, relu = 4 };

/// The fused activation for a Keras activation name, or nullopt when there is none.
std::optional<Activation> fused_activation(const std::string& keras_name);

/// The LSTM's inputs: x (B, T, F), kernel (F, 4u), bias (4u) (zeros without use_bias), h0,
/// c0 (B, u), recurrent_kernel (u, 4u), mask (B, T) bool or undefined.
struct LstmInputs {
  Tensor x, kernel, bias, h0, c0, recurrent_kernel, mask = Tensor();
  Activation activation = Activation::tanh, recurrent_activation = Activation::sigmoid;
};

/// What lstm_output returns: the h sequence (B, T, u), the final states [h_T | c_T] (B, 2u)
/// or the c sequence (B, T, u). Masked steps carry the states.
enum class LstmOutput : std::int64_t { sequence = 0, final_states = 1, cell_sequence = 2 };

/// Runs the whole sequence; returns its tape (T, B, 7u + F + 1) = per step [h | x_next | 1 |
/// c | i f c~ o | act(c)] (zeros in the gate columns of masked steps), which lstm_output reads. Not differentiable
/// itself: gradients flow through lstm_output, whose backward runs the BPTT kernel.
Tensor lstm_sequence(const LstmInputs& inputs);
Tensor lstm_output(const Tensor& tape, const LstmInputs& inputs, LstmOutput which);

/// xz (B, T, 3u) = x @ kernel + input bias; h0 (B, u); recurrent_kernel (u, 3u);
/// recurrent_bias (3u) (zeros without reset_after: the bias is then all on the input side).
/// Returns, per step, (B, T, 5u) = [h | z r h~ | m_h] (m_h: the recurrent term of h~).
Tensor gru_sequence(const Tensor& xz, const Tensor& h0, const Tensor& recurrent_kernel, const Tensor& recurrent_bias,
                    const Tensor& mask = Tensor(), bool reset_after = true, Activation activation = Activation::tanh,
                    Activation recurrent_activation = Activation::sigmoid);

/// xz (B, T, u) = x @ kernel + bias; h0 (B, u); recurrent_kernel (u, u). Returns (B, T, u).
Tensor simple_rnn_sequence(const Tensor& xz, const Tensor& h0, const Tensor& recurrent_kernel,
                           const Tensor& mask = Tensor(), Activation activation = Activation::tanh);

/// x (B, T, ...) with the time axis (1) reversed: go_backwards and Bidirectional.
Tensor reverse_time(const Tensor& x);

/// seen[b, t] = any(mask[b, :t + 1]) for a bool mask (B, T). Not differentiable.
Tensor mask_seen(const Tensor& mask);

/// The states each step starts from: (B, T, u) = [h0, h_1, ..., h_{T-1}] for states (B, T, u).
/// Works with an unknown number of steps.
Tensor previous_states(const Tensor& h0, const Tensor& states);

}  // namespace keras::ops::rnn
