#pragma once
// Fused recurrent kernels: one call runs a whole sequence of LSTM, GRU or SimpleRNN steps,
// forward, or backward through time (BPTT), on raw row-major pointers. A traced model then
// holds one node per recurrent layer instead of a dozen small ops per time step.
//
// Shapes (B batch, T steps, u units, G gate width: LSTM 4u, GRU 3u, SimpleRNN u):
//   xz      (B, T, G)  the input projections x_t @ kernel + input bias, computed beforehand
//                      for all steps at once (one large matrix product outside the loop)
//   h0, c0  (B, u)     initial states
//   U       (u, G)     recurrent kernel, Keras's gate order (LSTM i f c o; GRU z r h)
//   bias    (G)        GRU only: the recurrent bias (Keras's bias[1] with reset_after; zeros
//                      otherwise)
//   mask    (B, T)     optional (nullptr). A false step keeps the previous states (Keras's
//                      masking: the states are carried over)
//   states  (B, T, S)  the forward's output per step: the states after the step, then what its
//                      backward needs (so it recomputes nothing):
//                        LSTM      [h | c | i f c~ o | act(c)]  (S = 7u; gates activated)
//                        GRU       [h | z r h~ | m_h]  (S = 5u; m_h the recurrent term of h~:
//                                   h U_h + b_h with reset_after, (r * h) U_h + b_h without)
//                        SimpleRNN  h                  (S = u)
//                      A masked step's gate columns are zeros.
//
// A backward kernel takes the forward's inputs, its output and `grad`, the gradient flowing
// into that output (B, T, S), and writes `out` (B, T + 1, K):
//   row 0        the initial states' gradients: LSTM [dh0 | dc0 | 0 | 0], GRU [dh0 | 0 0 0],
//                SimpleRNN dh0
//   row t + 1    the gradient of step t's pre-activations, which is xz's gradient: LSTM
//                d(i f c o) (K = 4u), SimpleRNN (K = u), GRU [dz | dr | dh~ | dm_h] (K = 4u;
//                the last block is the gradient of m_h, which the recurrent kernel's and bias's
//                gradients need).
// Masked steps get zero rows. The recurrent kernel's gradient is not computed here: it is
// sum_t h_{t-1}^T d_t, one matrix product over all steps that the op's gradient rule forms.
//
// Every kernel allocates nothing once warm (per-thread grow-only scratch): compiled plans run
// allocation-free. The naive twin of these kernels is the step-by-step composition of basic
// ops in src/layers/recurrent_reference.cpp, which the tests compare against.
#include <cstdint>

namespace keras::backend::cpu {

/// The activations the fused kernels evaluate (other activations run unfused).
enum class RnnActivation : std::int64_t { linear = 0, tanh = 1, sigmoid = 2, hard_sigmoid = 3, relu = 4 };

struct RnnDims {
  std::int64_t batch = 0, steps = 0, units = 0;
};

template <typename T>
void lstm_forward(const T* xz, const T* h0, const T* c0, const T* U, const bool* mask, T* states, RnnDims d,
                  RnnActivation activation, RnnActivation recurrent_activation);
template <typename T>
void lstm_backward(const T* xz, const T* h0, const T* c0, const T* U, const bool* mask, const T* states,
                   const T* grad, T* out, RnnDims d, RnnActivation activation, RnnActivation recurrent_activation);

/// reset_after (Keras's default): h~ = act(x_h + r * (h U_h + b_h)); else act(x_h + (r * h) U_h + b_h).
template <typename T>
void gru_forward(const T* xz, const T* h0, const T* U, const T* bias, const bool* mask, T* states, RnnDims d,
                 bool reset_after, RnnActivation activation, RnnActivation recurrent_activation);
template <typename T>
void gru_backward(const T* xz, const T* h0, const T* U, const T* bias, const bool* mask, const T* states,
                  const T* grad, T* out, RnnDims d, bool reset_after, RnnActivation activation,
                  RnnActivation recurrent_activation);

template <typename T>
void simple_rnn_forward(const T* xz, const T* h0, const T* U, const bool* mask, T* states, RnnDims d,
                        RnnActivation activation);
template <typename T>
void simple_rnn_backward(const T* xz, const T* h0, const T* U, const bool* mask, const T* states, const T* grad,
                         T* out, RnnDims d, RnnActivation activation);

/// out (B, T, ...) = x with axis 1 reversed; `inner` elements of `esize` bytes per step.
void reverse_steps(const void* x, void* out, std::int64_t batch, std::int64_t steps, std::int64_t inner,
                   std::int64_t esize);

/// seen[b, t] = any(mask[b, 0..t]).
void mask_seen(const bool* mask, bool* seen, std::int64_t batch, std::int64_t steps);

}  // namespace keras::backend::cpu
