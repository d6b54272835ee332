#pragma once
// The fused recurrent ops behind LSTM, GRU and SimpleRNN (src/ops/recurrent.cpp), for the
// recurrent layers and their tests. Internal: Keras has no public op for these.
//
// Each op runs a whole sequence in one node (kernels: src/backend/cpu/rnn.h) and has its own
// backward op, written as a kernel (backpropagation through time). Its gradient rule then
// forms the recurrent kernel's gradient as one matrix product over all steps. The backward
// ops are not differentiable themselves: gradients of gradients stop at a fused recurrence.
//
//   Tensor xz = ops::add(ops::matmul(x, kernel), bias);            // (B, T, 4u), all steps
//   Tensor out = ops::rnn::lstm_sequence(xz, h0, c0, recurrent_kernel);  // (B, T, 7u)
//   Tensor h_seq = ops::slice(out, {0, 0, 0}, {-1, -1, u});
#include <optional>
#include <string>

#include "keras/core/tensor.h"

namespace keras::ops::rnn {

/// The activations the fused kernels evaluate; other activations take the layers' unfused
/// path. Values match backend::cpu::RnnActivation.
enum class Activation : std::int64_t { linear = 0, tanh = 1, sigmoid = 2, hard_sigmoid = 3, relu = 4 };

/// The fused activation for a Keras activation name, or nullopt when there is none.
std::optional<Activation> fused_activation(const std::string& keras_name);

/// xz (B, T, 4u) = x @ kernel + bias for every step; h0, c0 (B, u); recurrent_kernel (u, 4u);
/// mask (B, T) bool or undefined. Returns, per step, (B, T, 7u) = [h | c | i f c~ o | act(c)]:
/// the states after the step, then its activated gates and act(c) (zeros at masked steps),
/// which the backward op reads instead of recomputing them.
Tensor lstm_sequence(const Tensor& xz, const Tensor& h0, const Tensor& c0, const Tensor& recurrent_kernel,
                     const Tensor& mask = Tensor(), Activation activation = Activation::tanh,
                     Activation recurrent_activation = Activation::sigmoid);

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
