#pragma once
// Fused recurrent kernels: one call runs a whole sequence of LSTM, GRU or SimpleRNN steps,
// forward, or backward through time (BPTT), on raw row-major pointers. A traced model then
// holds one node per recurrent layer instead of a dozen small ops per time step.
//
// ---- LSTM ----
// B batch, T steps, F features, u units. The LSTM kernels take the layer's input itself:
//   x (B, T, F), W (F, 4u) kernel, bias (4u), h0, c0 (B, u), U (u, 4u) recurrent kernel
//   (Keras's gate order i f c o), mask (B, T) bool or nullptr (a false step carries the states)
// The forward writes a time-major tape (T, B, 7u + F + 1): per step and row
//   [h | x_next | 1 | c | i f c~ o | act(c)]
// the states after the step (carried at a masked step, whose gate and act(c) columns are
// zeros), the next step's input and a one (zeros at the last step) and the activated gates.
// The first u + F + 1 columns of step t's rows are then step t + 1's whole operand: its
// pre-activations are [h_t | x_{t+1} | 1] @ [U; W; bias], one product per step, and the
// weights' gradients [dU; dW; dbias] are one product over all steps (the tape's rows against
// the gates' gradients). Time-major, so that each step's rows are contiguous.
// lstm_output reads the layer's outputs from the tape (LstmOutput). lstm_backward takes the
// gradient of one such output and writes every input's gradient (except x's) into one
// (lstm_grad_rows(d), 4u) matrix P:
//   rows [0, T*B)            dZ: the pre-activation gradients d(i f c o), time-major (row t*B+b)
//   rows lstm_grad_row(d, LstmGradPart::...)  dU (u rows), dW (F rows), dbias (1 row), adjacent
//                            (one product writes the three), then [dh0 | dc0 | 0 | 0] (B rows)
// x's gradient, dZ @ W^T, is its own kernel (lstm_input_grad) so that it runs only when asked.
//
// ---- GRU, SimpleRNN ----
// Shapes (B batch, T steps, u units, G gate width: GRU 3u, SimpleRNN u):
//   xz      (B, T, G)  the input projections x_t @ kernel + input bias, computed beforehand
//                      for all steps at once (one large matrix product outside the loop)
//   h0      (B, u)     initial state
//   U       (u, G)     recurrent kernel, Keras's gate order (GRU z r h)
//   bias    (G)        GRU only: the recurrent bias (Keras's bias[1] with reset_after; zeros
//                      otherwise)
//   mask    (B, T)     optional (nullptr). A false step keeps the previous states (Keras's
//                      masking: the states are carried over)
//   states  (B, T, S)  the forward's output per step: the states after the step, then what its
//                      backward needs (so it recomputes nothing):
//                        GRU       [h | z r h~ | m_h]  (S = 5u; m_h the recurrent term of h~:
//                                   h U_h + b_h with reset_after, (r * h) U_h + b_h without)
//                        SimpleRNN  h                  (S = u)
//                      A masked step's gate columns are zeros.
//
// A backward kernel takes the forward's inputs, its output and `grad`, the gradient flowing
// into that output (B, T, S), and writes `out` (B, T + 1, K):
//   row 0        the initial state's gradient: GRU [dh0 | 0 0 0], SimpleRNN dh0
//   row t + 1    the gradient of step t's pre-activations, which is xz's gradient: SimpleRNN
//                (K = u), GRU [dz | dr | dh~ | dm_h] (K = 4u; the last block is the gradient of
//                m_h, which the recurrent kernel's and bias's gradients need).
// Masked steps get zero rows. The recurrent kernel's gradient is not computed here: it is
// sum_t h_{t-1}^T d_t, one matrix product over all steps that the op's gradient rule forms.
//
// Every kernel allocates nothing once warm (per-thread grow-only scratch): compiled plans run
// allocation-free. The naive twin of these kernels is the step-by-step composition of basic
// ops in tests/layers/recurrent_reference.h, which the tests compare against.
#include <cstdint>

namespace keras::backend::cpu {

/// The activations the fused kernels evaluate (other activations run unfused).
enum class RnnActivation : std::int64_t { linear = 0, tanh = 1, sigmoid = 2, hard_sigmoid = 3, relu = 4 };

struct RnnDims {
  std::int64_t batch = 0, steps = 0, units = 0;
};

struct LstmDims {
  std::int64_t batch = 0, steps = 0, units = 0, features = 0;
};

/// What lstm_output reads from the tape: the h sequence (B, T, u), the final states
/// [h_T | c_T] (B, 2u), or the c sequence (B, T, u). lstm_backward takes that output's gradient.
enum class LstmOutput : std::int64_t { sequence = 0, final_states = 1, cell_sequence = 2 };

/// The blocks of lstm_backward's P after dZ.
enum class LstmGradPart : std::int64_t { recurrent_kernel = 0, kernel = 1, bias = 2, initial_states = 3 };

/// The first row of a block of P, and P's number of rows.
inline std::int64_t lstm_grad_row(const LstmDims& d, LstmGradPart part) {
  std::int64_t row = d.steps * d.batch;
  if (part == LstmGradPart::recurrent_kernel) return row;
  row += d.units;
  if (part == LstmGradPart::kernel) return row;
  row += d.features;
  if (part == LstmGradPart::bias) return row;
  return row + 1;
}
inline std::int64_t lstm_grad_rows(const LstmDims& d) { return lstm_grad_row(d, LstmGradPart::initial_states) + d.batch; }

template <typename T>
void lstm_forward(const T* x, const T* W, const T* bias, const T* h0, const T* c0, const T* U, const bool* mask,
                  T* tape, LstmDims d, RnnActivation activation, RnnActivation recurrent_activation);
template <typename T>
void lstm_output(const T* tape, T* out, LstmDims d, LstmOutput which);
template <typename T>
void lstm_backward(const T* x, const T* W, const T* h0, const T* c0, const T* U, const bool* mask, const T* tape,
                   const T* grad, LstmOutput which, T* P, LstmDims d, RnnActivation activation,
                   RnnActivation recurrent_activation);
/// dx (B, T, F) = dZ @ W^T, from P's dZ rows.
template <typename T>
void lstm_input_grad(const T* P, const T* W, T* dx, LstmDims d);

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

/// Products against a right operand packed once for many calls (the recurrent kernels' per-step
/// products): c (m, n) = a (m, k) @ b (k, n), a's rows `lda` apart, c's `ldc`. Float32 on
/// CPUs with AVX-512 and n a multiple of 16 only (packed_gemm_available); pack_panels writes
/// k * n floats. The naive twin is gemm_reference (matmul.h).
bool packed_gemm_available(std::int64_t n);
void pack_panels(const float* b, std::int64_t k, std::int64_t n, float* packed);
void packed_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* packed,
                 float* c, std::int64_t ldc);

/// out (B, T, ...) = x with axis 1 reversed; `inner` elements of `esize` bytes per step.
void reverse_steps(const void* x, void* out, std::int64_t batch, std::int64_t steps, std::int64_t inner,
                   std::int64_t esize);

/// seen[b, t] = any(mask[b, 0..t]).
void mask_seen(const bool* mask, bool* seen, std::int64_t batch, std::int64_t steps);

}  // namespace keras::backend::cpu
