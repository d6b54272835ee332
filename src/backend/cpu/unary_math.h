#pragma once
// Branch-free float32 exp/expm1/tanh/sigmoid that GCC vectorises inside unary_map loops
// (glibc's expf is scalar-only without -ffast-math). float64 overloads forward to <cmath>:
// float64 is the precision of gradient checks and reference computations, where exactness
// matters more than speed.
//
// Accuracy (checked against <cmath> in tests/backend/elementwise_kernel_test.cpp): a few
// float32 ulps over the whole range, exact handling of +-inf, NaN, overflow and underflow.
#include <bit>
#include <cmath>
#include <cstdint>

namespace keras::backend::cpu {

// exp(x) = 2^n * exp(r), n = round(x / ln 2), |r| <= ln(2)/2; exp(r) by its Taylor series to
// r^7 (truncation error < 6e-9, below float32 resolution). 2^n is applied in two factors so
// that results in the subnormal range round once, as expf does.
inline float fast_exp(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // few mantissa bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  // Comparisons written so that NaN maps into the range (keeps the int conversion defined);
  // NaN itself is restored at the end.
  float c = x > -104.0f ? x : -104.0f;  // exp(-104) rounds to 0 in float32
  c = c < 89.0f ? c : 89.0f;            // exp(89) overflows to inf
  const float n = (c * kLog2e + kRound) - kRound;
  const float r = (c - n * kLn2Hi) - n * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const std::int32_t ni = static_cast<std::int32_t>(n);
  const std::int32_t n1 = ni >> 1;
  const std::int32_t n2 = ni - n1;
  const float s1 = std::bit_cast<float>((n1 + 127) << 23);
  const float s2 = std::bit_cast<float>((n2 + 127) << 23);
  const float result = (p * s1) * s2;
  return x != x ? x : result;
}
inline double fast_exp(double x) { return std::exp(x); }

// exp(x) - 1 without the cancellation near 0: Taylor series to x^9 for |x| < 0.5 (relative
// error < 1e-9), fast_exp(x) - 1 elsewhere (no significant cancellation there).
inline float fast_expm1(float x) {
  float p = 1.0f / 362880.0f;
  p = p * x + 1.0f / 40320.0f;
  p = p * x + 1.0f / 5040.0f;
  p = p * x + 1.0f / 720.0f;
  p = p * x + 1.0f / 120.0f;
  p = p * x + 1.0f / 24.0f;
  p = p * x + 1.0f / 6.0f;
  p = p * x + 0.5f;
  p = p * x + 1.0f;
  const float small = p * x;
  const float large = fast_exp(x) - 1.0f;
  return (x > -0.5f && x < 0.5f) ? small : large;
}
inline double fast_expm1(double x) { return std::expm1(x); }

// tanh(x) = e / (e + 2) with e = expm1(2x): accurate near 0 (no 1 - 2/(...) cancellation).
// |x| is clamped to 9, where tanh already rounds to +-1 in float32, so e never overflows.
inline float fast_tanh(float x) {
  float c = x > -9.0f ? x : -9.0f;
  c = c < 9.0f ? c : 9.0f;
  const float e = fast_expm1(2.0f * c);
  const float result = e / (e + 2.0f);
  return x != x ? x : result;
}
inline double fast_tanh(double x) { return std::tanh(x); }

// 1 / (1 + exp(-x)): exp overflowing to inf gives exactly 0, so no branch is needed.
template <typename T>
inline T fast_sigmoid(T x) {
  return T(1) / (T(1) + fast_exp(-x));
}

}  // namespace keras::backend::cpu
