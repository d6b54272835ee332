#pragma once
/// Function: a C++ function on tensors, traced and compiled into a Plan per input signature
/// (the role of tf.function / jax.jit in Keras's backends).
///
/// On a call with concrete tensors, the body is traced once on placeholders with exactly
/// those shapes and dtypes (inside a TraceScope, so variable assignments are collected as
/// side effects), compiled into a Plan and cached under the signature. Later calls with the
/// same shapes and dtypes reuse the Plan; a new signature (e.g. the last, smaller batch)
/// traces again.
///
/// While tracing, reads of keras::Variable are recorded (not folded into constants), so the
/// compiled plan sees each run's current values, and so are assignments to variables that
/// existed before the trace (even of constant values). Assignments to variables created
/// during the trace (a layer building its weights on the first call) and computations on
/// constants alone are done once, at trace time. Within one run, every read of a variable
/// sees the value it had when the run started: compute new values as tensors, then assign.
///
///   keras::Variable w(keras::ops::ones({3}), "w");
///   keras::Function step([&](const std::vector<keras::Tensor>& in) {
///     keras::Tensor y = in[0] * w;
///     keras::ops::assign(w, w + 1.0f);   // performed after every read of w in the step
///     return std::vector<keras::Tensor>{y};
///   });
///   auto y = step({x})[0];
///   keras::Plan& plan = step.get_plan({x});   // zero-allocation runs: plan.run(ptrs)
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "keras/graph/plan.h"
#include "keras/ops/op_def.h"

namespace keras {

class Function {
 public:
  using Body = std::function<std::vector<Tensor>(const std::vector<Tensor>&)>;

  explicit Function(Body body, PlanOptions options = {}, std::string name = "function");
  ~Function();
  Function(Function&&) noexcept;
  Function& operator=(Function&&) noexcept;

  /// Runs the compiled plan for the inputs' signature (tracing it first if new) and returns
  /// copies of the outputs. Called on symbolic inputs (inside another function's trace), it
  /// calls the body directly, so that it becomes part of the outer graph.
  /// Not thread-safe; results carry no GradientTape history.
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs);

  /// The compiled plan for this signature, traced on first use. The reference stays valid
  /// until clear_cache() or the Function's destruction.
  Plan& get_plan(const std::vector<TensorSpec>& signature);
  Plan& get_plan(const std::vector<Tensor>& inputs);

  /// Number of times the body has been traced (one per distinct signature seen).
  int num_traces() const;
  std::size_t num_cached_plans() const;
  void clear_cache();
  const std::string& name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keras
