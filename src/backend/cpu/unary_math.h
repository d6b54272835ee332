#pragma once
// Branch-free float32 exp/expm1/tanh/sigmoid/log1p that GCC vectorises inside unary_map loops
// (glibc's expf is scalar-only without -ffast-math; the selects need -fno-trapping-math,
// set in CMakeLists.txt). float64 overloads forward to <cmath>:
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

// a * b + c, fused (one rounding) where the build targets FMA hardware; elsewhere std::fma
// would be a library call that stops the loops from vectorising.
inline float mul_add(float a, float b, float c) {
#if defined(__FMA__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// exp(x) - 1 without the cancellation near 0, in one branch-free path: x = n ln 2 + r with
// |r| <= ln(2)/2, expm1(r) by its Taylor series to r^7 (truncation < 1.5e-8 relative), then
// expm1(x) = 2^n expm1(r) + (2^n - 1), where 2^n - 1 is exact and the last step rounds once.
// For n = 0 that is expm1(r) itself, so small x keep their relative accuracy.
// The series part of fast_expm1 for c already in [-88, 89] (no clamps, no NaN handling).
inline float expm1_in_range(float c) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // few mantissa bits: n * kLn2Hi is exact
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = mul_add(c, kLog2e, kRound) - kRound;
  const float r = mul_add(n, -kLn2Lo, mul_add(n, -kLn2Hi, c));
  float p = 1.0f / 5040.0f;
  p = mul_add(p, r, 1.0f / 720.0f);
  p = mul_add(p, r, 1.0f / 120.0f);
  p = mul_add(p, r, 1.0f / 24.0f);
  p = mul_add(p, r, 1.0f / 6.0f);
  p = mul_add(p, r, 0.5f);
  const float em1 = mul_add(p * r, r, r);  // r + r^2 (1/2 + r/6 + ...)
  const float scale = std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
  return mul_add(scale, em1, scale - 1.0f);
}

inline float fast_expm1(float x) {
  // expm1(-88) rounds to -1 (2^n underflows to 0 below); expm1(89) overflows to inf. The
  // comparisons map NaN into the range (the int conversion stays defined); it is restored last.
  float c = x > -88.0f ? x : -88.0f;
  c = c < 89.0f ? c : 89.0f;
  const float result = expm1_in_range(c);
  return x != x ? x : result;
}
inline double fast_expm1(double x) { return std::expm1(x); }

// tanh(x) = e / (e + 2) with e = expm1(2x): accurate near 0 (no 1 - 2/(...) cancellation).
// x is clamped to [-10, 10] first, where e / (e + 2) already rounds to exactly +-1 (and
// expm1 needs no clamps of its own); nan stays nan.
inline float fast_tanh(float x) {
  float c = x > -10.0f ? x : -10.0f;
  c = c < 10.0f ? c : 10.0f;
  const float e = expm1_in_range(2.0f * c);
  const float result = e / (e + 2.0f);
  return x != x ? x : result;
}
inline double fast_tanh(double x) { return std::tanh(x); }

// log(1 + t) for t in [0, 1] (softplus's log1p(exp(-|x|))): 2 atanh(s) with s = t / (2 + t)
// in [0, 1/3], by its odd series to s^15 (truncation < 2e-8 relative). Relative accuracy holds
// for tiny t too, where log(1 + t) would lose every digit.
inline float fast_log1p_unit(float t) {
  const float s = t / (2.0f + t);
  const float z = s * s;
  float p = 1.0f / 15.0f;
  p = p * z + 1.0f / 13.0f;
  p = p * z + 1.0f / 11.0f;
  p = p * z + 1.0f / 9.0f;
  p = p * z + 1.0f / 7.0f;
  p = p * z + 1.0f / 5.0f;
  p = p * z + 1.0f / 3.0f;
  p = p * z + 1.0f;
  return 2.0f * s * p;
}
inline double fast_log1p_unit(double t) { return std::log1p(t); }

// 1 / (1 + exp(-x)): exp overflowing to inf gives exactly 0, so no branch is needed.
template <typename T>
inline T fast_sigmoid(T x) {
  return T(1) / (T(1) + fast_exp(-x));
}

}  // namespace keras::backend::cpu
