// Fused LSTM / GRU / SimpleRNN sequences, forward and backward through time (see rnn.h).
//
// Each step is one matrix product h_{t-1} @ U (BLAS) followed by a pass over the batch rows
// that adds the precomputed input projections and applies the gates; rows are independent,
// so that pass runs in parallel. The forward keeps each step's activated gates in its output
// next to the states, so the backward pass needs no recomputation: one product per step
// (d_pre-activations @ U^T), which is what makes the fused op cheaper than the ops it replaces.
#include "rnn.h"

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "keras/backend/parallel.h"
#include "matmul.h"
#include "scratch.h"
#include "unary_math.h"
#include "wide_isa.h"

#if KERAS_HAS_WIDE_VARIANT
#include <immintrin.h>
#endif

namespace keras::backend::cpu {
namespace {

// Scratch (scratch.h) is leased by kind: 0 for a kernel's work area, 1 for the parallel row
// passes inside it (the calling thread runs some of those too).

// The row helpers are forced inline so that for_rows's AVX-512 copy compiles them wide too.
#define KERAS_RNN_ROW_INLINE [[gnu::always_inline]] inline

template <typename T>
KERAS_RNN_ROW_INLINE T hard_sigmoid_of(T x) {
  const T y = x + T(3);
  const T r = (y > T(0) || y != y) ? y : T(0);
  return (r > T(6) ? T(6) : r) / T(6);
}

// In place over n contiguous values; the switch sits outside the loops so each vectorises.
template <typename T>
KERAS_RNN_ROW_INLINE void activate(RnnActivation a, T* x, std::int64_t n) {
  switch (a) {
    case RnnActivation::linear: return;
    case RnnActivation::tanh:
      for (std::int64_t i = 0; i < n; ++i) x[i] = fast_tanh(x[i]);
      return;
    case RnnActivation::sigmoid:
      for (std::int64_t i = 0; i < n; ++i) x[i] = fast_sigmoid(x[i]);
      return;
    case RnnActivation::hard_sigmoid:
      for (std::int64_t i = 0; i < n; ++i) x[i] = hard_sigmoid_of(x[i]);
      return;
    case RnnActivation::relu:
      for (std::int64_t i = 0; i < n; ++i) x[i] = (x[i] > T(0) || x[i] != x[i]) ? x[i] : T(0);
      return;
  }
}

// d[i] = the activation's derivative, from its output y[i] alone (all five allow it); the
// switch sits outside the loops so that each vectorises. Kinks get the derivative the ops'
// gradient rules use: relu 0 at 0, hard_sigmoid 0 outside (-3, 3).
template <typename T>
KERAS_RNN_ROW_INLINE void derivatives(RnnActivation a, const T* y, T* d, std::int64_t n) {
  switch (a) {
    case RnnActivation::linear:
      for (std::int64_t i = 0; i < n; ++i) d[i] = T(1);
      return;
    case RnnActivation::tanh:
      for (std::int64_t i = 0; i < n; ++i) d[i] = T(1) - y[i] * y[i];
      return;
    case RnnActivation::sigmoid:
      for (std::int64_t i = 0; i < n; ++i) d[i] = y[i] * (T(1) - y[i]);
      return;
    case RnnActivation::hard_sigmoid:
      for (std::int64_t i = 0; i < n; ++i) d[i] = (y[i] > T(0) && y[i] < T(1)) ? T(1) / T(6) : T(0);
      return;
    case RnnActivation::relu:
      for (std::int64_t i = 0; i < n; ++i) d[i] = y[i] > T(0) ? T(1) : T(0);
      return;
  }
}

#if KERAS_HAS_WIDE_VARIANT
template <typename Body>
KERAS_WIDE_TARGET void rows_wide(std::int64_t lo, std::int64_t hi, const Body& body) {
  body(lo, hi);
}
#endif

// parallel_for over rows for the passes that evaluate activations: on CPUs with AVX-512 the
// body (with the KERAS_RNN_ROW_INLINE helpers) runs as a copy compiled for it (wide_isa.h),
// the same arithmetic lane for lane, so the results do not depend on the CPU.
template <typename Body>
void for_rows(std::int64_t n, std::int64_t grain, const Body& body) {
#if KERAS_HAS_WIDE_VARIANT
  if (wide_isa_available()) {
    parallel_for(n, grain, [&](std::int64_t lo, std::int64_t hi) { rows_wide(lo, hi, body); });
    return;
  }
#endif
  parallel_for(n, grain, body);
}

inline bool active(const bool* mask, std::int64_t b, std::int64_t t, std::int64_t steps) {
  return mask == nullptr || mask[b * steps + t];
}

// Rows per parallel chunk: about 16k values of work per chunk.
inline std::int64_t row_grain(std::int64_t width) { return std::max<std::int64_t>(1, (1 << 14) / std::max<std::int64_t>(width, 1)); }

// Copies the states before step t (row t - 1 of `states`, or the initial states) into a
// contiguous (B, width) matrix; `offset` selects a block of the state row (LSTM's c).
template <typename T>
void gather_previous(const T* states, const T* initial, T* dst, RnnDims d, std::int64_t t, std::int64_t row_width,
                     std::int64_t offset, std::int64_t width) {
  for (std::int64_t b = 0; b < d.batch; ++b) {
    const T* src = t == 0 ? initial + b * width : states + (b * d.steps + t - 1) * row_width + offset;
    std::memcpy(dst + b * width, src, static_cast<std::size_t>(width) * sizeof(T));
  }
}

}  // namespace

// ---- products against a packed right operand ---------------------------------------------------
// The recurrence's per-step products all use one right operand (the recurrent kernel); a BLAS
// call repacks it every step, which costs about as much as a fifth of the product itself at
// these sizes. Packed once into 64-column panels ([panel][k][column]), each step streams it
// with the accumulators of a 6 x 64 tile of c in registers, reading a's rows in place.

#if KERAS_HAS_WIDE_VARIANT
namespace {

constexpr std::int64_t kPanel = 64;

// R rows x 16 J columns of c = a @ panel, the R J accumulators in registers for all of k.
template <int R, int J>
KERAS_WIDE_TARGET void panel_tile(std::int64_t k, const float* a, std::int64_t lda, const float* panel, float* c,
                                  std::int64_t ldc) {
  __m512 acc[R][J];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < J; ++j) acc[r][j] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < k; ++p) {
    __m512 b[J];
    for (int j = 0; j < J; ++j) b[j] = _mm512_loadu_ps(panel + p * 16 * J + 16 * j);
    for (int r = 0; r < R; ++r) {
      const __m512 x = _mm512_set1_ps(a[r * lda + p]);
      for (int j = 0; j < J; ++j) acc[r][j] = _mm512_fmadd_ps(x, b[j], acc[r][j]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < J; ++j) _mm512_storeu_ps(c + r * ldc + 16 * j, acc[r][j]);
}

template <int J>
KERAS_WIDE_TARGET void panel_rows(std::int64_t m, std::int64_t k, const float* a, std::int64_t lda, const float* panel,
                                  float* c, std::int64_t ldc) {
  std::int64_t i = 0;
  for (; i + 6 <= m; i += 6) panel_tile<6, J>(k, a + i * lda, lda, panel, c + i * ldc, ldc);
  a += i * lda;
  c += i * ldc;
  switch (m - i) {
    case 5: panel_tile<5, J>(k, a, lda, panel, c, ldc); break;
    case 4: panel_tile<4, J>(k, a, lda, panel, c, ldc); break;
    case 3: panel_tile<3, J>(k, a, lda, panel, c, ldc); break;
    case 2: panel_tile<2, J>(k, a, lda, panel, c, ldc); break;
    case 1: panel_tile<1, J>(k, a, lda, panel, c, ldc); break;
    default: break;
  }
}

}  // namespace
#endif

bool packed_gemm_available(std::int64_t n) { return wide_isa_available() && n > 0 && n % 16 == 0; }

void pack_panels(const float* b, std::int64_t k, std::int64_t n, float* packed) {
  for (std::int64_t q = 0; q < n; q += 64) {
    const std::int64_t width = std::min<std::int64_t>(64, n - q);
    float* panel = packed + q * k;
    for (std::int64_t p = 0; p < k; ++p) std::memcpy(panel + p * width, b + p * n + q, static_cast<std::size_t>(width) * sizeof(float));
  }
}

void packed_gemm(std::int64_t m, std::int64_t n, std::int64_t k, const float* a, std::int64_t lda, const float* packed,
                 float* c, std::int64_t ldc) {
#if KERAS_HAS_WIDE_VARIANT
  const std::int64_t panels = (n + kPanel - 1) / kPanel;
  parallel_for(panels, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t q = lo; q < hi; ++q) {
      const float* panel = packed + q * kPanel * k;
      float* cq = c + q * kPanel;
      switch (std::min<std::int64_t>(kPanel, n - q * kPanel) / 16) {
        case 4: panel_rows<4>(m, k, a, lda, panel, cq, ldc); break;
        case 3: panel_rows<3>(m, k, a, lda, panel, cq, ldc); break;
        case 2: panel_rows<2>(m, k, a, lda, panel, cq, ldc); break;
        default: panel_rows<1>(m, k, a, lda, panel, cq, ldc); break;
      }
    }
  });
#else
  (void)m, (void)n, (void)k, (void)a, (void)lda, (void)packed, (void)c, (void)ldc;
#endif
}

namespace {

// The per-step product c = a @ b: against b's packed panels when `packed` is set (float,
// AVX-512, packed_gemm_available), else BLAS.
template <typename T>
void step_product(std::int64_t m, std::int64_t n, std::int64_t k, const T* a, std::int64_t lda, const T* b,
                  const T* packed, T* c, std::int64_t ldc) {
  if constexpr (std::is_same_v<T, float>) {
    if (packed != nullptr) {
      packed_gemm(m, n, k, a, lda, packed, c, ldc);
      return;
    }
  }
  gemm_strided(false, false, m, n, k, a, lda, b, n, T(0), c, ldc);
}

// packed <- b's panels when the packed product serves (m, n), else nullptr.
template <typename T>
const T* maybe_pack(const T* b, std::int64_t k, std::int64_t n, T* packed) {
  if constexpr (std::is_same_v<T, float>) {
    if (packed_gemm_available(n)) {
      pack_panels(b, k, n, packed);
      return packed;
    }
  }
  return nullptr;
}

// ---- LSTM ------------------------------------------------------------------------------------

// One row of an LSTM step's forward: z holds the pre-activations [h_{t-1} | x_t | 1] @
// [U; W; bias]. Activates the gates, then c = f * c_{t-1} + i * c~ and h = o * act(c).
template <typename T>
KERAS_RNN_ROW_INLINE void lstm_row_forward(std::int64_t u, const T* __restrict cp, T* __restrict z, T* __restrict h,
                                           T* __restrict c, T* __restrict tc, RnnActivation act, RnnActivation rec) {
  activate(rec, z, 2 * u);
  activate(act, z + 2 * u, u);
  activate(rec, z + 3 * u, u);
  for (std::int64_t j = 0; j < u; ++j) {
    const T cn = z[u + j] * cp[j] + z[j] * z[2 * u + j];
    c[j] = cn;
    tc[j] = cn;
  }
  activate(act, tc, u);
  for (std::int64_t j = 0; j < u; ++j) h[j] = z[3 * u + j] * tc[j];
}

// One row of an LSTM step's backward. z: the activated gates i f c~ o; dg: their activation
// derivatives then act'(c_t); tc: act(c_t); cp: c_{t-1}. Writes the pre-activation gradients
// dz and turns dc into dc_{t-1}.
template <typename T>
KERAS_RNN_ROW_INLINE void lstm_row_backward(std::int64_t u, const T* __restrict z, const T* __restrict dg, const T* __restrict tc,
                       const T* __restrict cp, const T* __restrict dh, T* __restrict dc, T* __restrict dz) {
  const T* dtc = dg + 4 * u;
  for (std::int64_t j = 0; j < u; ++j) {
    const T i = z[j], f = z[u + j], gc = z[2 * u + j], o = z[3 * u + j];
    const T dct = dc[j] + dh[j] * o * dtc[j];
    dz[j] = dct * gc * dg[j];
    dz[u + j] = dct * cp[j] * dg[u + j];
    dz[2 * u + j] = dct * i * dg[2 * u + j];
    dz[3 * u + j] = dh[j] * tc[j] * dg[3 * u + j];
    dc[j] = dct * f;
  }
}

// The tape row's blocks (rnn.h): [h | x_next | 1 | c | z | act(c)]; the first `operand`
// columns are the next step's operand.
struct TapeCols {
  std::int64_t x, one, c, z, tc, width, operand;
  explicit TapeCols(const LstmDims& d)
      : x(d.units), one(d.units + d.features), c(one + 1), z(c + d.units), tc(z + 4 * d.units), width(tc + d.units),
        operand(one + 1) {}
};

// first (B, u + F + 1) <- [h0 | x_0 | 1], the operand of step 0's product (later steps read
// theirs from the previous tape rows).
template <typename T>
void first_operand(const T* x, const T* h0, T* first, const LstmDims& d) {
  const std::int64_t u = d.units, F = d.features, K = u + F + 1;
  for (std::int64_t b = 0; b < d.batch; ++b) {
    std::memcpy(first + b * K, h0 + b * u, static_cast<std::size_t>(u) * sizeof(T));
    std::memcpy(first + b * K + u, x + b * d.steps * F, static_cast<std::size_t>(F) * sizeof(T));
    first[b * K + u + F] = T(1);
  }
}

}  // namespace

template <typename T>
void lstm_forward(const T* x, const T* W, const T* bias, const T* h0, const T* c0, const T* U, const bool* mask,
                  T* tape, LstmDims d, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, steps = d.steps, u = d.units, F = d.features, G = 4 * u;
  const TapeCols col(d);
  const std::int64_t S = col.width, K = col.operand;
  if (B == 0 || steps == 0 || u == 0) return;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(2 * K * G + B * K));
  T* work = work_lease.data();
  T* V = work;  // [U; W; bias] (u + F + 1, 4u): step t's gates are [h_{t-1} | x_t | 1] @ V
  T* first = V + K * G;
  T* V_panels = first + B * K;
  std::memcpy(V, U, static_cast<std::size_t>(u * G) * sizeof(T));
  std::memcpy(V + u * G, W, static_cast<std::size_t>(F * G) * sizeof(T));
  std::memcpy(V + (u + F) * G, bias, static_cast<std::size_t>(G) * sizeof(T));
  const T* Vp = maybe_pack(V, K, G, V_panels);
  first_operand(x, h0, first, d);
  // [x_{t+1} | 1] next to h_t: each row then holds the next step's whole operand.
  for (std::int64_t t = 0; t < steps; ++t)
    for (std::int64_t b = 0; b < B; ++b) {
      T* dst = tape + (t * B + b) * S + col.x;
      if (t + 1 < steps) {
        std::memcpy(dst, x + (b * steps + t + 1) * F, static_cast<std::size_t>(F) * sizeof(T));
        dst[F] = T(1);
      } else {
        std::fill(dst, dst + F + 1, T(0));
      }
    }
  for (std::int64_t t = 0; t < steps; ++t) {
    T* st = tape + t * B * S;
    const T* prev = st - B * S;
    const T* operand = t == 0 ? first : prev;
    step_product(B, G, K, operand, t == 0 ? K : S, V, Vp, st + col.z, S);
    const T* hp = t == 0 ? h0 : prev;  // h_{t-1}, c_{t-1}: the initial states or the previous rows
    const T* cp = t == 0 ? c0 : prev + col.c;
    const std::int64_t ld = t == 0 ? u : S;
    for_rows(B, row_grain(S), [&](std::int64_t lo, std::int64_t hi) __attribute__((always_inline)) {
      for (std::int64_t b = lo; b < hi; ++b) {
        T* row = st + b * S;
        if (active(mask, b, t, steps)) {
          lstm_row_forward(u, cp + b * ld, row + col.z, row, row + col.c, row + col.tc, act, rec);
        } else {
          // Carried states; the gate columns of a skipped step are zeros (constants).
          std::memcpy(row, hp + b * ld, static_cast<std::size_t>(u) * sizeof(T));
          std::memcpy(row + col.c, cp + b * ld, static_cast<std::size_t>(u) * sizeof(T));
          std::fill(row + col.z, row + S, T(0));
        }
      }
    });
  }
}

template <typename T>
void lstm_output(const T* tape, T* out, LstmDims d, LstmOutput which) {
  const std::int64_t B = d.batch, steps = d.steps, u = d.units;
  const TapeCols col(d);
  const std::int64_t S = col.width;
  const auto bytes = static_cast<std::size_t>(u) * sizeof(T);
  if (which == LstmOutput::final_states) {
    for (std::int64_t b = 0; b < B; ++b) {
      const T* row = tape + ((steps - 1) * B + b) * S;
      std::memcpy(out + b * 2 * u, row, bytes);
      std::memcpy(out + b * 2 * u + u, row + col.c, bytes);
    }
    return;
  }
  const std::int64_t offset = which == LstmOutput::sequence ? 0 : col.c;
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t t = 0; t < steps; ++t) std::memcpy(out + (b * steps + t) * u, tape + (t * B + b) * S + offset, bytes);
}

template <typename T>
void lstm_backward(const T* x, const T*, const T* h0, const T* c0, const T* U, const bool* mask, const T* tape,
                   const T* grad, LstmOutput which, T* P, LstmDims d, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, steps = d.steps, u = d.units, G = 4 * u;
  const TapeCols col(d);
  const std::int64_t S = col.width, K = col.operand;
  T* dZ = P;
  T* dUWb = P + lstm_grad_row(d, LstmGradPart::recurrent_kernel) * G;  // [dU; dW; dbias]: adjacent blocks
  T* dinit = P + lstm_grad_row(d, LstmGradPart::initial_states) * G;
  std::fill(dUWb, P + lstm_grad_rows(d) * G, T(0));
  if (B == 0 || steps == 0 || u == 0) return;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(2 * G * u + 3 * B * u + B * K));
  T* work = work_lease.data();
  T* Ut = work;  // U^T (4u, u): the per-step product runs as a plain (nn) GEMM
  T* Ut_panels = Ut + G * u;
  T* dh = Ut_panels + G * u;   // the gradient reaching h_t (then h_{t-1})
  T* dc = dh + B * u;
  T* dhp = dc + B * u;  // dz @ U^T, for the processed rows of a masked step
  T* first = dhp + B * u;
  for (std::int64_t i = 0; i < u; ++i)
    for (std::int64_t j = 0; j < G; ++j) Ut[j * u + i] = U[i * G + j];
  const T* Utp = maybe_pack(Ut, G, u, Ut_panels);
  if (which == LstmOutput::final_states) {
    for (std::int64_t b = 0; b < B; ++b) {
      std::memcpy(dh + b * u, grad + b * 2 * u, static_cast<std::size_t>(u) * sizeof(T));
      std::memcpy(dc + b * u, grad + b * 2 * u + u, static_cast<std::size_t>(u) * sizeof(T));
    }
  } else {
    std::fill(dh, dh + 2 * B * u, T(0));
  }
  T* per_step = which == LstmOutput::sequence ? dh : which == LstmOutput::cell_sequence ? dc : nullptr;
  for (std::int64_t t = steps - 1; t >= 0; --t) {
    const T* st = tape + t * B * S;
    const T* cp = t == 0 ? c0 : st - B * S + col.c;
    const std::int64_t ld = t == 0 ? u : S;
    T* dz = dZ + t * B * G;
    for_rows(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) __attribute__((always_inline)) {
      ScratchLease<T, 1> dg_lease(static_cast<std::size_t>(5 * u));
      T* dg = dg_lease.data();
      for (std::int64_t b = lo; b < hi; ++b) {
        if (per_step) {
          const T* g = grad + (b * steps + t) * u;
          T* target = per_step + b * u;
          for (std::int64_t j = 0; j < u; ++j) target[j] += g[j];
        }
        if (t > 0) {
          // This row's columns of step t - 1 (c, the gates, act(c)) are read next: fetching them
          // now overlaps the memory latency with this step's work.
          const char* next = reinterpret_cast<const char*>(st - B * S + b * S + col.c);
          for (std::int64_t i = 0; i < 6 * u * static_cast<std::int64_t>(sizeof(T)); i += 64) __builtin_prefetch(next + i, 0, 3);
        }
        T* dzb = dz + b * G;
        if (!active(mask, b, t, steps)) {
          std::fill(dzb, dzb + G, T(0));  // the states and their gradients carry over
          continue;
        }
        const T* z = st + b * S + col.z;
        const T* tc = st + b * S + col.tc;
        derivatives(rec, z, dg, 2 * u);
        derivatives(act, z + 2 * u, dg + 2 * u, u);
        derivatives(rec, z + 3 * u, dg + 3 * u, u);
        derivatives(act, tc, dg + 4 * u, u);
        lstm_row_backward(u, z, dg, tc, cp + b * ld, dh + b * u, dc + b * u, dzb);
      }
    });
    if (mask == nullptr) {
      step_product(B, u, G, dz, G, Ut, Utp, dh, u);  // dh_{t-1} = dz @ U^T
    } else {
      step_product(B, u, G, dz, G, Ut, Utp, dhp, u);
      for (std::int64_t b = 0; b < B; ++b)
        if (active(mask, b, t, steps)) std::memcpy(dh + b * u, dhp + b * u, static_cast<std::size_t>(u) * sizeof(T));
    }
  }
  for (std::int64_t b = 0; b < B; ++b) {
    std::memcpy(dinit + b * G, dh + b * u, static_cast<std::size_t>(u) * sizeof(T));
    std::memcpy(dinit + b * G + u, dc + b * u, static_cast<std::size_t>(u) * sizeof(T));
  }
  // [dU; dW; dbias] = sum_t [h_{t-1} | x_t | 1]^T dz_t, one product over steps 1.. (their
  // operands are the tape rows of steps 0..T-2) plus step 0's.
  if (steps > 1) gemm_strided(true, false, K, G, (steps - 1) * B, tape, S, dZ + B * G, G, T(0), dUWb, G);
  first_operand(x, h0, first, d);
  gemm_strided(true, false, K, G, B, first, K, dZ, G, steps > 1 ? T(1) : T(0), dUWb, G);
}

template <typename T>
void lstm_input_grad(const T* P, const T* W, T* dx, LstmDims d) {
  const std::int64_t B = d.batch, steps = d.steps, F = d.features, G = 4 * d.units;
  if (B == 0 || F == 0) return;
  if (G == 0) {
    std::fill(dx, dx + B * steps * F, T(0));
    return;
  }
  // Step t's rows of dZ land at column block t of dx's (B, T * F) rows.
  for (std::int64_t t = 0; t < steps; ++t)
    gemm_strided(false, true, B, F, G, P + t * B * G, G, W, G, T(0), dx + t * F, steps * F);
}

// ---- GRU -------------------------------------------------------------------------------------

namespace {

// The recurrent kernel split into its (u, 2u) z|r block and (u, u) h block, contiguous, so
// that each product is a plain GEMM.
template <typename T>
void split_gru_kernel(const T* U, T* U_zr, T* U_h, std::int64_t u) {
  for (std::int64_t i = 0; i < u; ++i) {
    std::memcpy(U_zr + i * 2 * u, U + i * 3 * u, static_cast<std::size_t>(2 * u) * sizeof(T));
    std::memcpy(U_h + i * u, U + i * 3 * u + 2 * u, static_cast<std::size_t>(u) * sizeof(T));
  }
}

// gates (B, 3u) <- [z | r | h~] of step t from h_prev; m_h (B, u) <- the recurrent term the
// reset gate multiplies (h U_h + b_h) with reset_after; rh (B, u) is scratch.
template <typename T>
void gru_gates(const T* xz, const T* U_zr, const T* U_h, const T* bias, const T* h_prev, T* gates, T* m_zr, T* m_h,
               T* rh, RnnDims d, std::int64_t t, bool reset_after, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, u = d.units, G = 3 * u;
  gemm(false, false, B, 2 * u, u, h_prev, U_zr, m_zr);
  if (reset_after) gemm(false, false, B, u, u, h_prev, U_h, m_h);
  parallel_for(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b) {
      T* gb = gates + b * G;
      const T* x = xz + (b * d.steps + t) * G;
      const T* mb = m_zr + b * 2 * u;
      for (std::int64_t j = 0; j < 2 * u; ++j) gb[j] = x[j] + mb[j] + bias[j];
      activate(rec, gb, 2 * u);
      if (!reset_after) {
        for (std::int64_t j = 0; j < u; ++j) rh[b * u + j] = gb[u + j] * h_prev[b * u + j];
      }
    }
  });
  if (!reset_after) gemm(false, false, B, u, u, rh, U_h, m_h);
  parallel_for(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b) {
      T* gb = gates + b * G;
      const T* x = xz + (b * d.steps + t) * G + 2 * u;
      T* mh = m_h + b * u;
      for (std::int64_t j = 0; j < u; ++j) {
        mh[j] += bias[2 * u + j];
        gb[2 * u + j] = x[j] + (reset_after ? gb[u + j] * mh[j] : mh[j]);
      }
      activate(act, gb + 2 * u, u);
    }
  });
}

}  // namespace

template <typename T>
void gru_forward(const T* xz, const T* h0, const T* U, const T* bias, const bool* mask, T* states, RnnDims d,
                 bool reset_after, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, u = d.units, G = 3 * u, S = 5 * u;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(3 * u * u + B * (u + G + 4 * u)));
  T* work = work_lease.data();
  T* U_zr = work;
  T* U_h = U_zr + 2 * u * u;
  T* h = U_h + u * u;
  T* gates = h + B * u;
  T* m_zr = gates + B * G;
  T* m_h = m_zr + 2 * B * u;
  T* rh = m_h + B * u;
  split_gru_kernel(U, U_zr, U_h, u);
  std::memcpy(h, h0, static_cast<std::size_t>(B * u) * sizeof(T));
  for (std::int64_t t = 0; t < d.steps; ++t) {
    gru_gates(xz, U_zr, U_h, bias, h, gates, m_zr, m_h, rh, d, t, reset_after, act, rec);
    parallel_for(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        T* st = states + (b * d.steps + t) * S;
        T* hb = h + b * u;
        if (active(mask, b, t, d.steps)) {
          const T* gb = gates + b * G;
          for (std::int64_t j = 0; j < u; ++j) hb[j] = gb[j] * hb[j] + (T(1) - gb[j]) * gb[2 * u + j];
          std::memcpy(st + u, gb, static_cast<std::size_t>(G) * sizeof(T));
          std::memcpy(st + 4 * u, m_h + b * u, static_cast<std::size_t>(u) * sizeof(T));
        } else {
          std::fill(st + u, st + S, T(0));  // a skipped step's gates are constants
        }
        std::memcpy(st, hb, static_cast<std::size_t>(u) * sizeof(T));
      }
    });
  }
}

template <typename T>
void gru_backward(const T*, const T* h0, const T* U, const T*, const bool* mask, const T* states, const T* grad,
                  T* out, RnnDims d, bool reset_after, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, u = d.units, S = 5 * u, K = 4 * u;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(3 * u * u + B * 10 * u));
  T* work = work_lease.data();
  T* U_zr = work;
  T* U_h = U_zr + 2 * u * u;
  T* hp = U_h + u * u;
  T* dh = hp + B * u;
  T* dmh = dh + B * u;  // gradient of the h block's recurrent term m_h
  T* drh = dmh + B * u;  // gradient of r * h_{t-1} (reset_after = false)
  T* dhp = drh + B * u;
  T* dzr = dhp + B * u;  // (B, 2u)
  T* dgate = dzr + 2 * B * u;  // (B, 3u): the activation derivatives of z, r, h~
  split_gru_kernel(U, U_zr, U_h, u);
  std::fill(dh, dh + B * u, T(0));
  for (std::int64_t t = d.steps - 1; t >= 0; --t) {
    gather_previous(states, h0, hp, d, t, S, 0, u);
    // Pass 1: gradients of z, h~ and m_h (and r, with reset_after); the direct path z * dh.
    parallel_for(B, row_grain(K), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        const T* g = grad + (b * d.steps + t) * S;
        T* dhb = dh + b * u;
        for (std::int64_t j = 0; j < u; ++j) dhb[j] += g[j];
        T* row = out + (b * (d.steps + 1) + t + 1) * K;
        T* dzrb = dzr + b * 2 * u;
        T* dmhb = dmh + b * u;
        if (!active(mask, b, t, d.steps)) {
          std::fill(row, row + K, T(0));
          std::fill(dzrb, dzrb + 2 * u, T(0));
          std::fill(dmhb, dmhb + u, T(0));
          continue;
        }
        const T* st = states + (b * d.steps + t) * S;
        const T* gz = g + u;  // gradient flowing into the stored z, r, h~, m_h
        const T* hpb = hp + b * u;
        T* dgb = dgate + b * 3 * u;
        derivatives(rec, st + u, dgb, 2 * u);
        derivatives(act, st + 3 * u, dgb + 2 * u, u);
        for (std::int64_t j = 0; j < u; ++j) {
          const T z = st[u + j], r = st[2 * u + j], hh = st[3 * u + j], mh = st[4 * u + j];
          const T dah = (dhb[j] * (T(1) - z) + gz[2 * u + j]) * dgb[2 * u + j];
          dzrb[j] = (dhb[j] * (hpb[j] - hh) + gz[j]) * dgb[j];
          dzrb[u + j] = reset_after ? (dah * mh + gz[u + j]) * dgb[u + j] : T(0);
          dmhb[j] = (reset_after ? dah * r : dah) + gz[3 * u + j];
          row[2 * u + j] = dah;
          row[3 * u + j] = dmhb[j];
          dhb[j] *= z;
        }
      }
    });
    if (!reset_after) {
      // h~'s recurrent term is (r * h_{t-1}) U_h + b_h: its gradient reaches r and h_{t-1} too.
      gemm(false, true, B, u, u, dmh, U_h, drh);
      parallel_for(B, row_grain(K), [&](std::int64_t lo, std::int64_t hi) {
        for (std::int64_t b = lo; b < hi; ++b) {
          if (!active(mask, b, t, d.steps)) continue;
          const T* st = states + (b * d.steps + t) * S;
          const T* g = grad + (b * d.steps + t) * S;
          const T* hpb = hp + b * u;
          const T* dgb = dgate + b * 3 * u;
          for (std::int64_t j = 0; j < u; ++j) {
            const T r = st[2 * u + j];
            dzr[b * 2 * u + u + j] = (drh[b * u + j] * hpb[j] + g[2 * u + j]) * dgb[u + j];
            dh[b * u + j] += drh[b * u + j] * r;
          }
        }
      });
    } else {
      gemm(false, true, B, u, u, dmh, U_h, dhp);
      for (std::int64_t b = 0; b < B; ++b)
        if (active(mask, b, t, d.steps))
          for (std::int64_t j = 0; j < u; ++j) dh[b * u + j] += dhp[b * u + j];
    }
    gemm(false, true, B, u, 2 * u, dzr, U_zr, dhp);
    for (std::int64_t b = 0; b < B; ++b) {
      if (!active(mask, b, t, d.steps)) continue;
      T* row = out + (b * (d.steps + 1) + t + 1) * K;
      std::memcpy(row, dzr + b * 2 * u, static_cast<std::size_t>(2 * u) * sizeof(T));
      for (std::int64_t j = 0; j < u; ++j) dh[b * u + j] += dhp[b * u + j];
    }
  }
  for (std::int64_t b = 0; b < B; ++b) {
    T* row = out + b * (d.steps + 1) * K;
    std::memcpy(row, dh + b * u, static_cast<std::size_t>(u) * sizeof(T));
    std::fill(row + u, row + K, T(0));
  }
}

// ---- SimpleRNN -------------------------------------------------------------------------------

template <typename T>
void simple_rnn_forward(const T* xz, const T* h0, const T* U, const bool* mask, T* states, RnnDims d,
                        RnnActivation act) {
  const std::int64_t B = d.batch, u = d.units;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(2 * B * u));
  T* work = work_lease.data();
  T* h = work;
  T* a = h + B * u;
  std::memcpy(h, h0, static_cast<std::size_t>(B * u) * sizeof(T));
  for (std::int64_t t = 0; t < d.steps; ++t) {
    gemm(false, false, B, u, u, h, U, a);
    parallel_for(B, row_grain(u), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        T* hb = h + b * u;
        T* ab = a + b * u;
        if (active(mask, b, t, d.steps)) {
          const T* x = xz + (b * d.steps + t) * u;
          for (std::int64_t j = 0; j < u; ++j) ab[j] += x[j];
          activate(act, ab, u);
          std::memcpy(hb, ab, static_cast<std::size_t>(u) * sizeof(T));
        }
        std::memcpy(states + (b * d.steps + t) * u, hb, static_cast<std::size_t>(u) * sizeof(T));
      }
    });
  }
}

template <typename T>
void simple_rnn_backward(const T* xz, const T* h0, const T* U, const bool* mask, const T* states, const T* grad,
                         T* out, RnnDims d, RnnActivation act) {
  const std::int64_t B = d.batch, u = d.units;
  ScratchLease<T, 0> work_lease(static_cast<std::size_t>(3 * B * u));
  T* work = work_lease.data();
  T* dh = work;
  T* da = dh + B * u;
  T* dhp = da + B * u;
  std::fill(dh, dh + B * u, T(0));
  for (std::int64_t t = d.steps - 1; t >= 0; --t) {
    parallel_for(B, row_grain(u), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        const T* g = grad + (b * d.steps + t) * u;
        T* dhb = dh + b * u;
        T* dab = da + b * u;
        T* row = out + (b * (d.steps + 1) + t + 1) * u;
        const bool on = active(mask, b, t, d.steps);
        const T* h = states + (b * d.steps + t) * u;
        derivatives(act, h, dab, u);
        for (std::int64_t j = 0; j < u; ++j) {
          dhb[j] += g[j];
          dab[j] = on ? dhb[j] * dab[j] : T(0);
          row[j] = dab[j];
        }
      }
    });
    gemm(false, true, B, u, u, da, U, dhp);
    for (std::int64_t b = 0; b < B; ++b)
      if (active(mask, b, t, d.steps)) std::memcpy(dh + b * u, dhp + b * u, static_cast<std::size_t>(u) * sizeof(T));
  }
  for (std::int64_t b = 0; b < B; ++b)
    std::memcpy(out + b * (d.steps + 1) * u, dh + b * u, static_cast<std::size_t>(u) * sizeof(T));
}

// ---- helpers ---------------------------------------------------------------------------------

void reverse_steps(const void* x, void* out, std::int64_t batch, std::int64_t steps, std::int64_t inner,
                   std::int64_t esize) {
  const auto* src = static_cast<const unsigned char*>(x);
  auto* dst = static_cast<unsigned char*>(out);
  const std::int64_t row = inner * esize;
  for (std::int64_t b = 0; b < batch; ++b)
    for (std::int64_t t = 0; t < steps; ++t)
      std::memcpy(dst + (b * steps + t) * row, src + (b * steps + steps - 1 - t) * row, static_cast<std::size_t>(row));
}

void mask_seen(const bool* mask, bool* seen, std::int64_t batch, std::int64_t steps) {
  for (std::int64_t b = 0; b < batch; ++b) {
    bool any = false;
    for (std::int64_t t = 0; t < steps; ++t) {
      any = any || mask[b * steps + t];
      seen[b * steps + t] = any;
    }
  }
}

#define KERAS_RNN_INSTANTIATE(T)                                                                                    \
  template void lstm_forward<T>(const T*, const T*, const T*, const T*, const T*, const T*, const bool*, T*,       \
                                LstmDims, RnnActivation, RnnActivation);                                            \
  template void lstm_output<T>(const T*, T*, LstmDims, LstmOutput);                                                 \
  template void lstm_backward<T>(const T*, const T*, const T*, const T*, const T*, const bool*, const T*, const T*, \
                                 LstmOutput, T*, LstmDims, RnnActivation, RnnActivation);                           \
  template void lstm_input_grad<T>(const T*, const T*, T*, LstmDims);                                              \
  template void gru_forward<T>(const T*, const T*, const T*, const T*, const bool*, T*, RnnDims, bool,             \
                               RnnActivation, RnnActivation);                                                       \
  template void gru_backward<T>(const T*, const T*, const T*, const T*, const bool*, const T*, const T*, T*,       \
                                RnnDims, bool, RnnActivation, RnnActivation);                                       \
  template void simple_rnn_forward<T>(const T*, const T*, const T*, const bool*, T*, RnnDims, RnnActivation);      \
  template void simple_rnn_backward<T>(const T*, const T*, const T*, const bool*, const T*, const T*, T*, RnnDims, \
                                       RnnActivation);

KERAS_RNN_INSTANTIATE(float)
KERAS_RNN_INSTANTIATE(double)
#undef KERAS_RNN_INSTANTIATE

}  // namespace keras::backend::cpu
