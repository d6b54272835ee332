#pragma once
/// Plan: a traced graph compiled into a flat list of kernel calls.
///
/// Built from the graph's placeholders (inputs), the tensors to return (outputs) and the
/// side-effect nodes recorded by a TraceScope (variable assignments). Compilation:
///   - keeps only the nodes the outputs and side effects depend on (dead-code removal);
///   - schedules every assignment after every read, so all reads in one run see the
///     variables' old values and the writes happen at the end (a returned variable that is
///     also assigned returns its old value);
///   - computes once what depends only on constants and shapes (ones_like(x), the seed of
///     a gradient), and lets reshape-like ops share their input's storage;
///   - fuses single-consumer chains of elementwise ops on same-shaped operands (plus
///     scalars and bias-like trailing-dims rows) into one step that runs the chain over
///     blocks of ~512 elements (PlanOptions::fuse_elementwise);
///   - gives every intermediate a slot in one 64-byte aligned arena, reusing slots whose
///     values are dead (best fit), lets an elementwise op overwrite a dying input, and lets
///     a variable's update (`w - lr * g`) be computed straight into the variable;
///   - reads constants and variables in place and binds placeholders to the caller's
///     pointers at run time.
/// Running is a loop over precomputed kernel calls: no allocation, no hashing, no virtual
/// dispatch.
///
/// Requires: every input is a placeholder with a fully defined shape; every placeholder the
/// outputs depend on is an input. A Plan is not re-entrant: one run at a time.
///
///   auto x = keras::Tensor::placeholder({32, 75});
///   auto y = keras::ops::add(keras::ops::multiply(x, x), 1.0f);
///   keras::Plan plan({x}, {y});
///   std::vector<keras::Tensor> out = plan.run({batch});     // checked, returns copies
///   const void* ptrs[] = {batch.raw_data()};
///   plan.run(ptrs);                                         // no checks, no allocation
///   const float* y_data = static_cast<const float*>(plan.output_data(0));
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/tensor.h"

namespace keras {

struct PlanOptions {
  /// Fuse single-consumer chains of same-shaped elementwise ops into blockwise steps.
  bool fuse_elementwise = true;
  /// Let an elementwise op write over an input that dies at that op, and let the step that
  /// computes a variable's new value write it into the variable directly.
  bool in_place = true;
  /// Concrete shapes for inputs traced with unknown dims (None), one per input; every node's
  /// shape is then re-inferred. Empty: the placeholders' own (fully defined) shapes.
  std::vector<Shape> input_shapes;
};

class Plan {
 public:
  /// Throws ValueError when an input is not a placeholder, has an unknown dimension, is
  /// listed twice, or when the outputs depend on a placeholder that is not an input.
  Plan(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
       const std::vector<Tensor>& side_effects = {}, PlanOptions options = {});
  ~Plan();
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  /// Checks the inputs' count, shapes and dtypes (ValueError / TypeError), runs, and
  /// returns copies of the outputs.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  /// The hot path: `input_ptrs[i]` points at input i's row-major data (shape and dtype as
  /// compiled; not checked). Allocates nothing. Results stay readable through
  /// output_data() until the next run.
  void run(const void* const* input_ptrs);
  /// Output i's data after the last run (an arena slot, a variable's or constant's buffer,
  /// or the caller's input pointer when an output is an input).
  const void* output_data(int i) const;

  int num_inputs() const;
  int num_outputs() const;
  const Shape& input_shape(int i) const;
  DType input_dtype(int i) const;
  const Shape& output_shape(int i) const;
  DType output_dtype(int i) const;

  // ---- introspection (tests, benchmarks, debugging) ----
  /// Steps per run; a fused group counts as one step.
  int num_steps() const;
  /// Number of fused groups, and of ops inside them.
  int num_fused_groups() const;
  int num_fused_ops() const;
  /// Ops computed once at compile time (their inputs were constants or only shapes), ops
  /// that became views of their input's storage, and assignments whose value was written
  /// into the variable directly.
  int num_folded_ops() const;
  int num_view_ops() const;
  int num_direct_writes() const;
  /// Bytes of the single arena (slots after reuse, plus fusion scratch).
  std::size_t arena_bytes() const;
  /// What the intermediates would take with one slot each (no reuse).
  std::size_t intermediate_bytes() const;
  /// One line per step: op names, shapes and where each result lives.
  std::string describe() const;
  /// Step i's name: an op name, "fused[op, op, ...]" or "copy".
  std::string step_name(int i) const;
  /// Runs like run(input_ptrs), calling observer(step, false) before and observer(step, true)
  /// after each step: for profiling and allocation audits, not for the hot path.
  void run_observed(const void* const* input_ptrs, const std::function<void(int step, bool after)>& observer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keras
