#pragma once
// Broadcasting elementwise loops on raw pointers, with their naive reference twins.
// Shapes are validated by the op's infer function before a kernel runs.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "keras/backend/parallel.h"
#include "keras/core/shape.h"
#include "wide_isa.h"
#if KERAS_HAS_WIDE_VARIANT
#include <immintrin.h>
#endif

namespace keras::backend::cpu {

inline constexpr std::int64_t kElementwiseGrain = 1 << 15;

// Strides of `in` viewed in `out`'s rank, 0 along broadcast axes.
inline std::vector<std::int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<std::int64_t> strides(static_cast<std::size_t>(out.rank()), 0);
  std::int64_t s = 1;
  for (int i = in.rank() - 1; i >= 0; --i) {
    const int o = out.rank() - in.rank() + i;
    strides[static_cast<std::size_t>(o)] = in.dims()[i] == 1 ? 0 : s;
    s *= in.dims()[i];
  }
  return strides;
}

// The same strides, held inline up to rank 8: kernels run by a compiled plan must not touch
// the heap.
class BroadcastStrides {
 public:
  BroadcastStrides(const Shape& in, const Shape& out) {
    const int rank = out.rank();
    if (rank > kInline) {
      heap_.resize(static_cast<std::size_t>(rank));
      data_ = heap_.data();
    }
    for (int d = 0; d < rank; ++d) data_[d] = 0;
    std::int64_t s = 1;
    for (int i = in.rank() - 1; i >= 0; --i) {
      data_[out.rank() - in.rank() + i] = in.dims()[i] == 1 ? 0 : s;
      s *= in.dims()[i];
    }
  }
  BroadcastStrides(const BroadcastStrides&) = delete;
  BroadcastStrides& operator=(const BroadcastStrides&) = delete;
  std::int64_t operator[](int d) const { return data_[d]; }

 private:
  static constexpr int kInline = 8;
  std::int64_t inline_[kInline];
  std::vector<std::int64_t> heap_;
  std::int64_t* data_ = inline_;
};

// The contiguous loops of broadcast_binary: a and b advance by a_step and b_step (1, or 0
// for a repeated scalar). Forced inline, so that binary_loop_wide's copy compiles it for
// AVX-512 too.
template <typename A, typename B, typename R, typename F>
[[gnu::always_inline]] inline void binary_loop(const A* a, std::int64_t a_step, const B* b, std::int64_t b_step,
                                               R* out, std::int64_t n, const F& f) {
  if (a_step && b_step)
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  else if (b_step)
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[0], b[i]);
  else
    for (std::int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[0]);
}

#if KERAS_HAS_WIDE_VARIANT
// The same loops 16 floats at a time (wide_isa.h): a fused group's members stream their
// blocks through L1 at one load-or-store per cycle, so the vector width sets their speed.
template <typename A, typename B, typename R, typename F>
KERAS_WIDE_TARGET void binary_loop_wide(const A* a, std::int64_t a_step, const B* b, std::int64_t b_step, R* out,
                                        std::int64_t n, const F& f) {
  binary_loop(a, a_step, b, b_step, out, n, f);
}
#endif

template <typename A, typename B, typename R, typename F>
inline void binary_run(const A* a, std::int64_t a_step, const B* b, std::int64_t b_step, R* out, std::int64_t n,
                       const F& f) {
#if KERAS_HAS_WIDE_VARIANT
  if (wide_isa_available()) return binary_loop_wide(a, a_step, b, b_step, out, n, f);
#endif
  binary_loop(a, a_step, b, b_step, out, n, f);
}

inline constexpr std::int64_t kShortRow = 16;         // rows shorter than one vector of floats
inline constexpr std::int64_t kShortRowRepeats = 16;  // rows per loop call for those

// rows x inner elements of `full` against one repeated row: run(full_chunk, pattern, out,
// count, f) over chunks of kShortRowRepeats rows, the row laid out that many times.
template <typename Full, typename Row, typename R, typename F, typename Run>
void short_rows(const Full* full, const Row* row, R* out, std::int64_t inner, std::int64_t rows, const F& f,
                const Run& run) {
  Row pattern[kShortRow * kShortRowRepeats];
  const std::int64_t span = inner * kShortRowRepeats;
  for (std::int64_t i = 0; i < span; ++i) pattern[i] = row[i % inner];
  const std::int64_t chunks = rows / kShortRowRepeats;
  parallel_for(chunks, std::max<std::int64_t>(1, kElementwiseGrain / span), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t c = lo; c < hi; ++c) run(full + c * span, pattern, out + c * span, span, f);
  });
  const std::int64_t done = chunks * span, rest = rows * inner - done;
  if (rest > 0) run(full + done, pattern, out + done, rest, f);
}

// out (broadcast of a and b) = f(a, b). Fast paths: same shape, scalar operand, and the
// general case as rows of the last axis (bias-add shaped broadcasts stay contiguous).
template <typename A, typename B, typename R, typename F>
void broadcast_binary(const A* a, const Shape& as, const B* b, const Shape& bs, R* out, const Shape& os, F f) {
  const std::int64_t n = os.num_elements();
  if (n == 0) return;
  const std::int64_t na = as.num_elements(), nb = bs.num_elements();
  if ((na == n && (nb == n || nb == 1)) || (nb == n && na == 1)) {
    // Same shape, or one operand a single value.
    const std::int64_t a_step = na == n ? 1 : 0, b_step = nb == n ? 1 : 0;
    parallel_for(n, kElementwiseGrain, [&](std::int64_t lo, std::int64_t hi) {
      binary_run(a + lo * a_step, a_step, b + lo * b_step, b_step, out + lo, hi - lo, f);
    });
    return;
  }
  const int rank = os.rank();
  const BroadcastStrides sa(as, os), sb(bs, os);
  const std::int64_t inner = os.dims()[rank - 1];
  const std::int64_t ia = sa[rank - 1], ib = sb[rank - 1];
  const std::int64_t rows = n / inner;
  // One operand full, the other a vector along the last axis (a bias): rows without unravelling.
  if ((na == n && nb == inner && ib == 1) || (nb == n && na == inner && ia == 1)) {
    const bool a_full = na == n;
    if (inner < kShortRow && rows >= kShortRowRepeats) {
      // Short rows (a 3-unit layer's bias): the row repeated kShortRowRepeats times, so each
      // loop call covers that many rows instead of running a 3-element loop per row.
      const auto a_rows = [](const A* full, const B* row, R* o, std::int64_t m, const F& g) {
        binary_run(full, 1, row, 1, o, m, g);
      };
      const auto b_rows = [](const B* full, const A* row, R* o, std::int64_t m, const F& g) {
        binary_run(row, 1, full, 1, o, m, g);
      };
      if (a_full) short_rows(a, b, out, inner, rows, f, a_rows);
      else short_rows(b, a, out, inner, rows, f, b_rows);
      return;
    }
    parallel_for(rows, std::max<std::int64_t>(1, kElementwiseGrain / inner), [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t r = lo; r < hi; ++r) {
        if (a_full) binary_run(a + r * inner, 1, b, 1, out + r * inner, inner, f);
        else binary_run(a, 1, b + r * inner, 1, out + r * inner, inner, f);
      }
    });
    return;
  }
  parallel_for(rows, std::max<std::int64_t>(1, kElementwiseGrain / inner), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) {
      // Unravel the row number into the outer coordinates.
      std::int64_t rem = r, oa = 0, ob = 0;
      for (int d = rank - 2; d >= 0; --d) {
        const std::int64_t c = rem % os.dims()[d];
        rem /= os.dims()[d];
        oa += c * sa[d];
        ob += c * sb[d];
      }
      R* o = out + r * inner;
      const A* pa = a + oa;
      const B* pb = b + ob;
      if (ia == 1 && ib == 1)
        for (std::int64_t j = 0; j < inner; ++j) o[j] = f(pa[j], pb[j]);
      else if (ia == 1)
        for (std::int64_t j = 0; j < inner; ++j) o[j] = f(pa[j], pb[0]);
      else if (ib == 1)
        for (std::int64_t j = 0; j < inner; ++j) o[j] = f(pa[0], pb[j]);
      else
        for (std::int64_t j = 0; j < inner; ++j) o[j] = f(pa[0], pb[0]);
    }
  });
}

// Reference twin: unravel every output index on its own. Slow and obviously right.
template <typename A, typename B, typename R, typename F>
void broadcast_binary_reference(const A* a, const Shape& as, const B* b, const Shape& bs, R* out, const Shape& os,
                                F f) {
  const std::int64_t n = os.num_elements();
  const auto sa = broadcast_strides(as, os);
  const auto sb = broadcast_strides(bs, os);
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rem = i, oa = 0, ob = 0;
    for (int d = os.rank() - 1; d >= 0; --d) {
      const std::int64_t c = rem % os.dims()[d];
      rem /= os.dims()[d];
      oa += c * sa[d];
      ob += c * sb[d];
    }
    out[i] = f(a[oa], b[ob]);
  }
}

// The last (hi - lo) % kLanes elements go through the vectorised body too, padded to a whole
// vector in a local buffer: the compiler's scalar remainder loop costs more than the vector
// loop for short rows (a Dense layer's 75 outputs: 4 vectors and 11 scalar tanh calls).
// The padding lanes repeat the last element (f of a real input is safe where f of zero might
// not be: an integer reciprocal) and are dropped; lane for lane the arithmetic is the same,
// so the results do not change.
template <int kLanes, typename T, typename R, typename F>
[[gnu::always_inline]] inline void map_tail(const T* x, R* out, std::int64_t count, const F& f) {
  T in[kLanes];
  R res[kLanes];
  for (int i = 0; i < kLanes; ++i) in[i] = x[i < count ? i : count - 1];
  for (int i = 0; i < kLanes; ++i) res[i] = f(in[i]);
  for (std::int64_t i = 0; i < count; ++i) out[i] = res[i];
}

template <typename T, typename R, typename F>
void map_loop(const T* x, R* out, std::int64_t lo, std::int64_t hi, const F& f) {
  constexpr int kLanes = 32 / sizeof(T) > 0 ? static_cast<int>(32 / sizeof(T)) : 1;  // one AVX2 vector
  const std::int64_t body = lo + (hi - lo) / kLanes * kLanes;
  for (std::int64_t i = lo; i < body; ++i) out[i] = f(x[i]);
  if (body < hi) map_tail<kLanes>(x + body, out + body, hi - body, f);
}

#if KERAS_HAS_WIDE_VARIANT
// The same loop for AVX-512 (wide_isa.h): f is inlined and vectorised 16 floats at a time.
template <int kLanes, typename T, typename R, typename F>
KERAS_WIDE_TARGET inline void map_tail_wide(const T* x, R* out, std::int64_t count, const F& f) {
  if constexpr (std::is_same_v<T, float> && std::is_same_v<R, float>) {
    alignas(64) T in[kLanes];
    alignas(64) R res[kLanes];
    // Masked vector moves: element-wise copies into the buffer would stall the vector load
    // that reads it back (a store-forwarding failure). The
    // padding lanes are zeros: float functions of zero do not trap.
    const __mmask16 mask = static_cast<__mmask16>((1u << count) - 1);
    _mm512_store_ps(in, _mm512_maskz_loadu_ps(mask, x));
    for (int i = 0; i < kLanes; ++i) res[i] = f(in[i]);
    _mm512_mask_storeu_ps(out, mask, _mm512_load_ps(res));
  } else {
    map_tail<kLanes>(x, out, count, f);
  }
}

template <typename T, typename R, typename F>
KERAS_WIDE_TARGET void map_loop_wide(const T* x, R* out, std::int64_t lo, std::int64_t hi, const F& f) {
  constexpr int kLanes = static_cast<int>(64 / sizeof(T));  // one AVX-512 vector
  const std::int64_t body = lo + (hi - lo) / kLanes * kLanes;
  for (std::int64_t i = lo; i < body; ++i) out[i] = f(x[i]);
  if (body < hi) map_tail_wide<kLanes>(x + body, out + body, hi - body, f);
}
#endif

// out = f(x), same shape.
template <typename T, typename R, typename F>
void unary_map(const T* x, R* out, std::int64_t n, F f) {
#if KERAS_HAS_WIDE_VARIANT
  if (wide_isa_available()) {
    parallel_for(n, kElementwiseGrain,
                 [&](std::int64_t lo, std::int64_t hi) { map_loop_wide(x, out, lo, hi, f); });
    return;
  }
#endif
  parallel_for(n, kElementwiseGrain, [&](std::int64_t lo, std::int64_t hi) { map_loop(x, out, lo, hi, f); });
}

// unary_map on one block, on the calling thread: a fused step's member (the step itself
// splits its blocks across threads). Element for element the same arithmetic.
template <typename T, typename R, typename F>
void unary_block(const T* x, R* out, std::int64_t n, F f) {
#if KERAS_HAS_WIDE_VARIANT
  if (wide_isa_available()) return map_loop_wide(x, out, 0, n, f);
#endif
  map_loop(x, out, 0, n, f);
}

template <typename T, typename R, typename F>
void unary_map_reference(const T* x, R* out, std::int64_t n, F f) {
  for (std::int64_t i = 0; i < n; ++i) out[i] = f(x[i]);
}

}  // namespace keras::backend::cpu
