#pragma once
// Philox-4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), a counter-based generator: the output block is a pure function of a 128-bit
// counter and a 64-bit key, so any element of a stream can be computed independently.
// Integer-only arithmetic: identical bits on every platform.
#include <cmath>
#include <cstdint>

namespace keras::backend::cpu {

struct Block {
  std::uint32_t v[4];
};

// One evaluation: 10 rounds of multiply-xor with a Weyl-sequence key schedule.
inline Block philox(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2, std::uint32_t c3, std::uint64_t key) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  std::uint32_t k0 = static_cast<std::uint32_t>(key), k1 = static_cast<std::uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(kM0) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(kM1) * c2;
    const std::uint32_t hi0 = static_cast<std::uint32_t>(p0 >> 32), lo0 = static_cast<std::uint32_t>(p0);
    const std::uint32_t hi1 = static_cast<std::uint32_t>(p1 >> 32), lo1 = static_cast<std::uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return {{c0, c1, c2, c3}};
}

// [0, 1) with 24 bits (enough for float32) or 53 bits from two words (float64).
inline double unit_24(std::uint32_t x) { return static_cast<double>(x >> 8) * 0x1.0p-24; }
inline double unit_53(std::uint32_t hi, std::uint32_t lo) {
  return static_cast<double>(((static_cast<std::uint64_t>(hi) << 32) | lo) >> 11) * 0x1.0p-53;
}

// Two standard normals from two words (Box-Muller); u1 in (0, 1] keeps the log finite.
inline void box_muller(std::uint32_t a, std::uint32_t b, double& z0, double& z1) {
  const double u1 = (static_cast<double>(a) + 1.0) * 0x1.0p-32;
  const double u2 = static_cast<double>(b) * 0x1.0p-32;
  const double r = std::sqrt(-2.0 * std::log(u1));
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  z0 = r * std::cos(kTwoPi * u2);
  z1 = r * std::sin(kTwoPi * u2);
}

}  // namespace keras::backend::cpu
