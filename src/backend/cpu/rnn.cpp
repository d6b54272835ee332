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
#include <vector>

#include "keras/backend/parallel.h"
#include "matmul.h"
#include "unary_math.h"

namespace keras::backend::cpu {
namespace {

// Grow-only per-thread scratch: kernels run by compiled plans must not allocate per call.
template <typename T>
T* scratch(std::size_t n) {
  thread_local std::vector<T> buffer;
  if (buffer.size() < n) buffer.resize(n);
  return buffer.data();
}

template <typename T>
T hard_sigmoid_of(T x) {
  const T y = x + T(3);
  const T r = (y > T(0) || y != y) ? y : T(0);
  return (r > T(6) ? T(6) : r) / T(6);
}

// In place over n contiguous values; the switch sits outside the loops so each vectorises.
template <typename T>
void activate(RnnActivation a, T* x, std::int64_t n) {
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
void derivatives(RnnActivation a, const T* y, T* d, std::int64_t n) {
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

// One row of an LSTM step's backward (restrict: lets the loop vectorise). z: the activated
// gates i f c~ o; dg: their derivatives; tc, dtc: act(c_t) and act'(c_t); gz: the gradient
// flowing into the gates and act(c_t) as outputs; cp: c_{t-1}. Updates dc to dc_{t-1}.
template <typename T>
void lstm_row_backward(std::int64_t u, const T* __restrict z, const T* __restrict dg, const T* __restrict tc,
                       const T* __restrict dtc, const T* __restrict gz, const T* __restrict cp,
                       const T* __restrict dh, T* __restrict dc, T* __restrict dz) {
  for (std::int64_t j = 0; j < u; ++j) {
    const T i = z[j], f = z[u + j], gc = z[2 * u + j], o = z[3 * u + j];
    const T dct = dc[j] + (dh[j] * o + gz[4 * u + j]) * dtc[j];
    dz[j] = (dct * gc + gz[j]) * dg[j];
    dz[u + j] = (dct * cp[j] + gz[u + j]) * dg[u + j];
    dz[2 * u + j] = (dct * i + gz[2 * u + j]) * dg[2 * u + j];
    dz[3 * u + j] = (dh[j] * tc[j] + gz[3 * u + j]) * dg[3 * u + j];
    dc[j] = dct * f;
  }
}

// One row of an LSTM step's forward after the gates: c = f * c + i * c~, written to the carry
// c, the output's c and (to be activated) act(c).
template <typename T>
void lstm_row_carry(std::int64_t u, const T* __restrict z, T* __restrict c, T* __restrict c_out, T* __restrict tc) {
  for (std::int64_t j = 0; j < u; ++j) {
    const T cn = z[u + j] * c[j] + z[j] * z[2 * u + j];
    c[j] = cn;
    c_out[j] = cn;
    tc[j] = cn;
  }
}

// h = o * act(c), written to the output and the carry.
template <typename T>
void lstm_row_output(std::int64_t u, const T* __restrict o, const T* __restrict tc, T* __restrict h_out,
                     T* __restrict h) {
  for (std::int64_t j = 0; j < u; ++j) {
    h_out[j] = o[j] * tc[j];
    h[j] = h_out[j];
  }
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

// ---- LSTM ------------------------------------------------------------------------------------

// z (B, 4u) <- activated gates of step t from the previous h (B, u): i, f, o by the recurrent
// activation, the candidate c~ by the activation.
template <typename T>
void lstm_gates(const T* xz, const T* U, const T* h_prev, T* z, RnnDims d, std::int64_t t, RnnActivation act,
                RnnActivation rec) {
  const std::int64_t u = d.units, G = 4 * u;
  gemm(false, false, d.batch, G, u, h_prev, U, z);
  parallel_for(d.batch, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b) {
      T* zb = z + b * G;
      const T* x = xz + (b * d.steps + t) * G;
      for (std::int64_t j = 0; j < G; ++j) zb[j] += x[j];
      activate(rec, zb, 2 * u);
      activate(act, zb + 2 * u, u);
      activate(rec, zb + 3 * u, u);
    }
  });
}

}  // namespace

template <typename T>
void lstm_forward(const T* xz, const T* h0, const T* c0, const T* U, const bool* mask, T* states, RnnDims d,
                  RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, u = d.units, G = 4 * u, S = 7 * u;
  T* work = scratch<T>(static_cast<std::size_t>(B * (2 * u + G)));
  T* h = work;
  T* c = h + B * u;
  T* z = c + B * u;
  std::memcpy(h, h0, static_cast<std::size_t>(B * u) * sizeof(T));
  std::memcpy(c, c0, static_cast<std::size_t>(B * u) * sizeof(T));
  for (std::int64_t t = 0; t < d.steps; ++t) {
    lstm_gates(xz, U, h, z, d, t, act, rec);
    parallel_for(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        T* st = states + (b * d.steps + t) * S;
        T* hb = h + b * u;
        T* cb = c + b * u;
        if (!active(mask, b, t, d.steps)) {
          // Carried states; the gate columns of a skipped step are zeros (constants).
          std::memcpy(st, hb, static_cast<std::size_t>(u) * sizeof(T));
          std::memcpy(st + u, cb, static_cast<std::size_t>(u) * sizeof(T));
          std::fill(st + 2 * u, st + S, T(0));
          continue;
        }
        const T* zb = z + b * G;
        std::memcpy(st + 2 * u, zb, static_cast<std::size_t>(G) * sizeof(T));
        T* tc = st + 6 * u;  // act(c), kept for the backward
        lstm_row_carry(u, zb, cb, st + u, tc);
        activate(act, tc, u);
        lstm_row_output(u, zb + 3 * u, tc, st, hb);
      }
    });
  }
}

template <typename T>
void lstm_backward(const T*, const T*, const T* c0, const T* U, const bool* mask, const T* states, const T* grad,
                   T* out, RnnDims d, RnnActivation act, RnnActivation rec) {
  const std::int64_t B = d.batch, u = d.units, G = 4 * u, S = 7 * u;
  T* work = scratch<T>(static_cast<std::size_t>(G * u + B * (5 * u + 2 * G)));
  T* Ut = work;         // U^T (4u, u): the per-step product runs as a plain (nn) GEMM
  T* cp = Ut + G * u;   // c_{t-1}
  T* dh = cp + B * u;   // gradient reaching h_t (then h_{t-1})
  T* dc = dh + B * u;
  T* dhp = dc + B * u;  // this step's contribution to dh_{t-1}
  T* dtc = dhp + B * u;  // act'(c_t)
  T* dz = dtc + B * u;
  T* dgate = dz + B * G;  // the gates' activation derivatives
  for (std::int64_t i = 0; i < u; ++i)
    for (std::int64_t j = 0; j < G; ++j) Ut[j * u + i] = U[i * G + j];
  std::fill(dh, dh + 2 * B * u, T(0));
  for (std::int64_t t = d.steps - 1; t >= 0; --t) {
    gather_previous(states, c0, cp, d, t, S, u, u);
    parallel_for(B, row_grain(G), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t b = lo; b < hi; ++b) {
        const T* g = grad + (b * d.steps + t) * S;
        T* dhb = dh + b * u;
        T* dcb = dc + b * u;
        for (std::int64_t j = 0; j < u; ++j) {
          dhb[j] += g[j];
          dcb[j] += g[u + j];
        }
        T* dzb = dz + b * G;
        T* row = out + (b * (d.steps + 1) + t + 1) * G;
        if (!active(mask, b, t, d.steps)) {
          std::fill(dzb, dzb + G, T(0));
          std::fill(row, row + G, T(0));
          continue;
        }
        const T* st = states + (b * d.steps + t) * S;
        const T* zb = st + 2 * u;  // the step's activated gates i f c~ o
        const T* tcb = st + 6 * u;  // act(c_t)
        const T* gz = g + 2 * u;   // gradient flowing into the gates and act(c_t) as outputs
        const T* cpb = cp + b * u;
        T* dtcb = dtc + b * u;
        T* dgb = dgate + b * G;
        derivatives(act, tcb, dtcb, u);
        derivatives(rec, zb, dgb, 2 * u);
        derivatives(act, zb + 2 * u, dgb + 2 * u, u);
        derivatives(rec, zb + 3 * u, dgb + 3 * u, u);
        lstm_row_backward(u, zb, dgb, tcb, dtcb, gz, cpb, dhb, dcb, dzb);
        std::memcpy(row, dzb, static_cast<std::size_t>(G) * sizeof(T));
      }
    });
    gemm(false, false, B, u, G, dz, Ut, dhp);  // dz (B, 4u) @ U^T
    for (std::int64_t b = 0; b < B; ++b)
      if (active(mask, b, t, d.steps)) std::memcpy(dh + b * u, dhp + b * u, static_cast<std::size_t>(u) * sizeof(T));
  }
  for (std::int64_t b = 0; b < B; ++b) {
    T* row = out + b * (d.steps + 1) * G;
    std::memcpy(row, dh + b * u, static_cast<std::size_t>(u) * sizeof(T));
    std::memcpy(row + u, dc + b * u, static_cast<std::size_t>(u) * sizeof(T));
    std::fill(row + 2 * u, row + G, T(0));
  }
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
  T* work = scratch<T>(static_cast<std::size_t>(3 * u * u + B * (u + G + 4 * u)));
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
  T* work = scratch<T>(static_cast<std::size_t>(3 * u * u + B * 10 * u));
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
  T* work = scratch<T>(static_cast<std::size_t>(2 * B * u));
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
  T* work = scratch<T>(static_cast<std::size_t>(3 * B * u));
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
  template void lstm_forward<T>(const T*, const T*, const T*, const T*, const bool*, T*, RnnDims, RnnActivation,   \
                                RnnActivation);                                                                     \
  template void lstm_backward<T>(const T*, const T*, const T*, const T*, const bool*, const T*, const T*, T*,      \
                                 RnnDims, RnnActivation, RnnActivation);                                            \
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
