#pragma once
/// Random draws that stay random inside compiled plans: Keras's SeedGenerator and the
/// random ops that take one (keras.random.uniform(seed=generator), keras.random.dropout).
///
/// keras::random::uniform(shape, ..., seed) (ops.h) draws a concrete tensor once. Inside a
/// traced function such a tensor would be baked into the plan as a constant, so every run
/// would reuse it. A SeedGenerator instead keeps (seed, counter) in an int64 Variable of
/// shape (2,); the `random_uniform` op reads that variable and draws Philox numbers from
/// it, and each draw advances the counter with an assignment. Traced, both are recorded:
/// every run of the plan reads the current counter, draws fresh numbers and advances it.
/// Eagerly, the same code draws at once. Numbers are a pure function of (seed, counter,
/// element index): reproducible on every platform and for any thread count.
///
///   keras::random::SeedGenerator gen(42);
///   keras::Tensor u = keras::random::uniform_like(x, gen);          // [0, 1), x's shape
///   keras::Tensor y = keras::random::dropout(x, 0.5, gen);          // training-mode dropout
#include <cstdint>
#include <optional>

#include "keras/core/tensor.h"

namespace keras {
class TraceScope;
}

namespace keras::random {

class SeedGenerator {
 public:
  /// `seed` unset: drawn from std::random_device.
  explicit SeedGenerator(std::optional<std::uint64_t> seed = std::nullopt);
  /// The int64 (2,) Variable [seed, counter] (non-trainable; not a layer weight).
  const Variable& state() const { return state_; }
  /// The state to draw from now (the variable itself), after recording the counter's advance
  /// (eager: done at once; traced: performed by the plan after its reads).
  Tensor next();

 private:
  Variable state_;
  // Draws recorded in the trace being built (identified by its scope), so that several
  // draws in one traced step use different counters.
  const TraceScope* trace_scope_ = nullptr;
  std::uint64_t trace_id_ = 0;
  std::int64_t trace_draws_ = 0;
};

/// Uniform numbers in [minval, maxval) shaped like `like` (a floating tensor whose values
/// are not read; -1 dims allowed while tracing). Advances `generator`.
Tensor uniform_like(const Tensor& like, SeedGenerator& generator, double minval = 0.0, double maxval = 1.0);

/// Inverted dropout (keras.random.dropout): each entry is zeroed with probability `rate`
/// and the others are scaled by 1 / (1 - rate); rate 1 gives zeros. ValueError unless
/// 0 <= rate <= 1. Advances `generator` (a fresh mask per call and per plan run).
Tensor dropout(const Tensor& x, double rate, SeedGenerator& generator);

}  // namespace keras::random

namespace keras::ops {
/// The op behind SeedGenerator draws: uniform [0, 1) numbers shaped like `like`, with
/// `like`'s floating dtype, drawn from Philox with key state[0] and stream state[1] of an
/// int64 (2,) `state`. A pure function of the state; it does not advance it.
Tensor random_uniform(const Tensor& like, const Tensor& state);
}  // namespace keras::ops
