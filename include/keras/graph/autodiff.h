#pragma once
/// Reverse-mode autodiff as a graph transform: gradient rules are written with ops, so the
/// same code differentiates eager computations (recorded under a GradientTape) and traced
/// graphs (producing new symbolic nodes that a Plan compiles). Gradients of gradients work.
#include <vector>

#include "keras/core/tensor.h"

namespace keras {

/// d(target)/d(source) for each source. `target` is reduced as if summed (seed of ones)
/// unless `seed` is given. A source the target does not depend on gets zeros.
/// Throws ValueError when target is undefined or an eager target has no recorded history
/// for any source (compute it under a GradientTape).
std::vector<Tensor> gradients(const Tensor& target, const std::vector<Tensor>& sources,
                              const Tensor& seed = Tensor());

/// Records eager ops while alive so that `gradient` can walk back through them — Keras's
/// GradientTape role.
///
///   keras::GradientTape tape;
///   auto loss = keras::ops::sum(keras::ops::square(w * x));
///   auto grads = tape.gradient(loss, {w});
class GradientTape {
 public:
  GradientTape();
  ~GradientTape();
  GradientTape(const GradientTape&) = delete;
  GradientTape& operator=(const GradientTape&) = delete;
  std::vector<Tensor> gradient(const Tensor& target, const std::vector<Tensor>& sources,
                               const Tensor& seed = Tensor()) const;

 private:
  bool active_ = true;
};

/// True while any GradientTape is alive on this thread.
bool tape_is_recording();

/// Sums `grad` over broadcast axes so that it has `shape` (the engine's one place for
/// undoing broadcasting).
Tensor sum_to_shape(const Tensor& grad, const Shape& shape);

}  // namespace keras
