#pragma once
// Wider vectors for the hot loops where the build's baseline ISA leaves speed behind.
//
// GCC 12 builds keras.cpp with AVX-512 switched off (CMakeLists.txt: it miscompiles some
// 64-bit vector initialisers under AVX-512). A few loops gain almost 2x from 512-bit vectors
// (tanh, exp and sigmoid are arithmetic-bound), so those are compiled a second time for
// AVX-512 with a function attribute and chosen at run time when the CPU has it. Lane for
// lane the two versions do the same arithmetic: results are identical, only faster.
#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__AVX512F__)
#define KERAS_HAS_WIDE_VARIANT 1
#define KERAS_WIDE_TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,prefer-vector-width=512")))
#else
#define KERAS_HAS_WIDE_VARIANT 0
#define KERAS_WIDE_TARGET
#endif

namespace keras::backend::cpu {

/// True when the wide (AVX-512) variants can run on this CPU.
inline bool wide_isa_available() {
#if KERAS_HAS_WIDE_VARIANT
  static const bool available = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                                __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  return available;
#else
  return false;
#endif
}

}  // namespace keras::backend::cpu
