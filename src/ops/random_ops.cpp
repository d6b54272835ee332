// In-graph random draws: the `random_uniform` op (Philox numbers from an int64 (2,) state
// [seed, counter] that is read at run time), SeedGenerator (which advances the counter with
// an assignment after each draw) and dropout on top of them.
//
// The op is a pure function of its state input, so the engine needs nothing special: traced,
// the state is a variable read (never folded into a constant) and the counter's advance an
// assignment that the plan performs after every read — each run draws new numbers. Within
// one run the forward pass and the gradient use the same draw (the same node).
#include "random_ops.h"

#include <algorithm>
#include <random>
#include <string>

#include "../backend/cpu/philox.h"
#include "families.h"
#include "keras/backend/parallel.h"
#include "keras/ops/random.h"
#include "keras/ops/trace.h"
#include "op_helpers.h"

namespace keras::ops {
namespace detail {
namespace {

using backend::cpu::Block;
using backend::cpu::philox;
using backend::cpu::unit_24;
using backend::cpu::unit_53;

// Keeps this stream's counter space apart from keras::random's eager draws (tags 1-3) for
// the same seed.
constexpr std::uint32_t kGraphStream = 0x52414E44u;

Block draw(std::uint64_t block, std::uint64_t seed, std::uint64_t counter) {
  return philox(static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32),
                static_cast<std::uint32_t>(counter), static_cast<std::uint32_t>(counter >> 32) ^ kGraphStream, seed);
}

// Elements per Philox block: four 24-bit floats or two 53-bit doubles.
template <typename T>
constexpr std::int64_t kPerBlock = sizeof(T) == 4 ? 4 : 2;

template <typename T>
T unit(const Block& b, std::int64_t j) {
  if constexpr (sizeof(T) == 4) return static_cast<T>(unit_24(b.v[j]));
  else return static_cast<T>(unit_53(b.v[2 * j], b.v[2 * j + 1]));
}

template <typename T>
void fill_uniform(T* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  constexpr std::int64_t per = kPerBlock<T>;
  const std::int64_t blocks = (n + per - 1) / per;
  backend::parallel_for(blocks, 1 << 12, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t b = lo; b < hi; ++b) {
      const Block r = draw(static_cast<std::uint64_t>(b), seed, counter);
      const std::int64_t base = b * per;
      const std::int64_t count = std::min(per, n - base);
      for (std::int64_t j = 0; j < count; ++j) out[base + j] = unit<T>(r, j);
    }
  });
}

template <typename T>
void fill_uniform_reference(T* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  constexpr std::int64_t per = kPerBlock<T>;
  for (std::int64_t i = 0; i < n; ++i) out[i] = unit<T>(draw(static_cast<std::uint64_t>(i / per), seed, counter), i % per);
}

}  // namespace

void random_uniform_f32(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  fill_uniform(out, n, seed, counter);
}
void random_uniform_f64(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  fill_uniform(out, n, seed, counter);
}
void random_uniform_f32_reference(float* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  fill_uniform_reference(out, n, seed, counter);
}
void random_uniform_f64_reference(double* out, std::int64_t n, std::uint64_t seed, std::uint64_t counter) {
  fill_uniform_reference(out, n, seed, counter);
}

}  // namespace detail

namespace {

// random_uniform(like, state): like's shape and floating dtype; state int64 (2,).
TensorSpec random_uniform_infer(const std::vector<TensorSpec>& in, Attrs&) {
  detail::require_floating(in[0], "random_uniform");
  const Shape& s = in[1].shape;
  if (in[1].dtype != DType::int64 || s.rank() != 1 || (s[0] != 2 && s[0] != -1))
    throw TypeError("Op 'random_uniform' expects its state as an int64 tensor of shape (2,) holding [seed, counter] "
                    "(a keras::random::SeedGenerator's). Received: dtype=" + dtype_name(in[1].dtype) +
                    " with shape " + s.to_string());
  return in[0];
}

void random_uniform_kernel(const KernelArgs& k) {
  const auto* state = static_cast<const std::int64_t*>(k.inputs[1]);
  const auto seed = static_cast<std::uint64_t>(state[0]), counter = static_cast<std::uint64_t>(state[1]);
  const std::int64_t n = k.output_shape->num_elements();
  if (k.output_dtype == DType::float64) detail::random_uniform_f64(static_cast<double*>(k.output), n, seed, counter);
  else detail::random_uniform_f32(static_cast<float*>(k.output), n, seed, counter);
}

// Not differentiable: the numbers do not depend on `like`'s values.
const OpDef& random_uniform_op() {
  static const OpDef def{"random_uniform", 2, random_uniform_infer, random_uniform_kernel, nullptr, false};
  return def;
}

Tensor counter_step(std::int64_t steps) { return Tensor::from_vector(std::vector<std::int64_t>{0, steps}, Shape{2}); }

}  // namespace

Tensor random_uniform(const Tensor& like, const Tensor& state) { return apply_op(random_uniform_op(), {like, state}); }

namespace detail {
void register_random_ops(OpList& ops) { ops.push_back(&random_uniform_op()); }
}  // namespace detail

}  // namespace keras::ops

namespace keras::random {

SeedGenerator::SeedGenerator(std::optional<std::uint64_t> seed) {
  const std::uint64_t s = seed ? *seed : (static_cast<std::uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  state_ = Variable(Tensor::from_vector(std::vector<std::int64_t>{static_cast<std::int64_t>(s), 0}, Shape{2}),
                    "seed_generator_state", /*trainable=*/false);
}

Tensor SeedGenerator::next() {
  const TraceScope* scope = TraceScope::current();
  if (!scope) {
    Tensor current = state_.copy();
    state_.assign(ops::add(current, ops::counter_step(1)));
    return current;
  }
  // Every read in one run sees the counter as the run began, so the k-th draw of a trace
  // uses counter + k and the last recorded assignment (they run in order) leaves counter + K.
  if (trace_scope_ != scope || trace_id_ != scope->first_node_id()) {
    trace_scope_ = scope;
    trace_id_ = scope->first_node_id();
    trace_draws_ = 0;
  }
  Tensor current = trace_draws_ == 0 ? Tensor(state_) : ops::add(state_, ops::counter_step(trace_draws_));
  ++trace_draws_;
  ops::assign(state_, ops::add(state_, ops::counter_step(trace_draws_)));
  return current;
}

Tensor uniform_like(const Tensor& like, SeedGenerator& generator, double minval, double maxval) {
  Tensor u = ops::random_uniform(like, generator.next());
  if (minval == 0.0 && maxval == 1.0) return u;
  return ops::add(ops::multiply(u, Tensor::scalar(maxval - minval, like.dtype())), Tensor::scalar(minval, like.dtype()));
}

Tensor dropout(const Tensor& x, double rate, SeedGenerator& generator) {
  if (!(rate >= 0.0 && rate <= 1.0))
    throw ValueError("Invalid value received for argument `rate`. Expected a float value between 0 and 1. Received: "
                     "rate=" + std::to_string(rate));
  if (rate == 0.0) return x;
  if (rate == 1.0) return ops::zeros_like(x);
  const Tensor keep = ops::greater_equal(ops::random_uniform(x, generator.next()), Tensor::scalar(rate, x.dtype()));
  return ops::where(keep, ops::divide(x, Tensor::scalar(1.0 - rate, x.dtype())), ops::zeros_like(x));
}

}  // namespace keras::random
