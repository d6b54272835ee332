// keras::random: seeded uniform / normal / truncated normal draws.
//
// Bits come from Philox-4x32-10 (src/backend/cpu/philox.h), a counter-based generator:
// element i's bits are a pure function of (seed, i), so draws are reproducible on every
// platform, independent of thread count, and parallel for free. These create concrete
// tensors (like Keras initializers), so no op is registered.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "../backend/cpu/philox.h"
#include "keras/backend/parallel.h"
#include "keras/ops/ops.h"

namespace keras::random {
namespace {

using backend::cpu::Block;
using backend::cpu::box_muller;
using backend::cpu::philox;
using backend::cpu::unit_24;
using backend::cpu::unit_53;

// Stream tags keep the distributions' counter spaces apart for one seed.
enum Stream : std::uint32_t { kUniform = 1, kNormal = 2, kTruncated = 3 };

Block draw(std::uint64_t index, std::uint32_t attempt, Stream stream, std::uint64_t seed) {
  return philox(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), attempt, stream, seed);
}

void check_request(const Shape& shape, DType dtype, const char* name) {
  if (!shape.is_fully_defined())
    throw ValueError(std::string("keras::random::") + name + " needs a fully defined shape. Received: shape=" +
                     shape.to_string());
  for (auto d : shape)
    if (d < 0)
      throw ValueError(std::string("keras::random::") + name + " needs non-negative dimensions. Received: shape=" +
                       shape.to_string());
  if (!is_floating(dtype))
    throw TypeError(std::string("keras::random::") + name +
                    " only supports floating-point dtypes (float32, float64). Received: dtype=" + dtype_name(dtype));
}

// Fills `shape` with value(i) for every element i, in parallel, as `dtype`.
template <typename F>
Tensor generate(const Shape& shape, DType dtype, F value) {
  Tensor out = Tensor::empty(shape, dtype);
  const std::int64_t n = out.size();
  dispatch_floating(dtype, "keras::random", [&](auto zero) {
    using T = decltype(zero);
    T* p = out.data<T>();
    backend::parallel_for(n, 1 << 14, [&](std::int64_t lo, std::int64_t hi) {
      for (std::int64_t i = lo; i < hi; ++i) p[i] = value(static_cast<std::uint64_t>(i), T{});
    });
  });
  return out;
}

}  // namespace

Tensor uniform(const Shape& shape, double minval, double maxval, DType dtype, std::uint64_t seed) {
  check_request(shape, dtype, "uniform");
  // Element i uses word i % 4 of block i / 4 (float32) or words 2(i%2), 2(i%2)+1 of block i / 2.
  return generate(shape, dtype, [&](std::uint64_t i, auto zero) {
    using T = decltype(zero);
    double u;
    if constexpr (std::is_same_v<T, float>) {
      u = unit_24(draw(i / 4, 0, kUniform, seed).v[i % 4]);
    } else {
      const Block b = draw(i / 2, 0, kUniform, seed);
      u = unit_53(b.v[2 * (i % 2)], b.v[2 * (i % 2) + 1]);
    }
    T v = static_cast<T>(minval + (maxval - minval) * u);
    // Rounding to T can land on maxval; Keras's interval is half-open.
    if (maxval > minval && v >= static_cast<T>(maxval)) v = std::nextafter(static_cast<T>(maxval), static_cast<T>(minval));
    return v;
  });
}

Tensor normal(const Shape& shape, double mean, double stddev, DType dtype, std::uint64_t seed) {
  check_request(shape, dtype, "normal");
  // Each block gives two pairs, i.e. four normals.
  return generate(shape, dtype, [&](std::uint64_t i, auto zero) {
    using T = decltype(zero);
    const Block b = draw(i / 4, 0, kNormal, seed);
    const int pair = static_cast<int>(i % 4) / 2;
    double z0, z1;
    box_muller(b.v[2 * pair], b.v[2 * pair + 1], z0, z1);
    return static_cast<T>(mean + stddev * ((i % 2) ? z1 : z0));
  });
}

Tensor truncated_normal(const Shape& shape, double mean, double stddev, DType dtype, std::uint64_t seed) {
  check_request(shape, dtype, "truncated_normal");
  // Element i owns the blocks (i, attempt): redraws never disturb other elements. A draw
  // is kept with probability 0.954, so more than a few attempts practically never happen.
  return generate(shape, dtype, [&](std::uint64_t i, auto zero) {
    using T = decltype(zero);
    for (std::uint32_t attempt = 0;; ++attempt) {
      const Block b = draw(i, attempt, kTruncated, seed);
      double z[4];
      box_muller(b.v[0], b.v[1], z[0], z[1]);
      box_muller(b.v[2], b.v[3], z[2], z[3]);
      for (double v : z)
        if (std::abs(v) <= 2.0) return static_cast<T>(mean + stddev * v);
    }
  });
}

}  // namespace keras::random
