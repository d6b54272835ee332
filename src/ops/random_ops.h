#pragma once
// Kernels of the in-graph random op (src/ops/random_ops.cpp), exposed for the kernel tests.
#include <cstdint>

namespace keras::ops::detail {

// out[i] = uniform [0, 1) number i of the stream (seed, counter): float32 takes word i % 4 of
// Philox block i / 4 (24 bits), float64 two words of block i / 2 (53 bits).
// Threaded over blocks of elements.
void random_uniform_f32(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter);
void random_uniform_f64(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter);
// The naive twins: one element at a time, one Philox evaluation per element.
void random_uniform_f32_reference(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter);
void random_uniform_f64_reference(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter);

}  // namespace keras::ops::detail
