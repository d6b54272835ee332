#pragma once
/// keras.regularizers.L1L2 (L1 and L2 are L1L2 with one factor zero), used as a layer's
/// activity regularizer: penalty(x) = l1 * sum(|x|) + l2 * sum(x²).
///
///   dense->set_activity_regularizer(keras::regularizers::L1L2{.l2 = 1e-4});
///   // each call adds penalty(output) / batch_size to dense->losses(); fit() adds the sum
///   // of model.losses() to the compiled loss, as Keras does.
#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::regularizers {

struct L1L2 {
  double l1 = 0.0;
  double l2 = 0.0;

  /// The penalty as a scalar of x's dtype.
  Tensor operator()(const Tensor& x) const;
  /// The penalty divided by the batch size (axis 0) as Keras's activity regularization does:
  /// mean over the batch of the per-sample penalty, so an unknown batch works in plans too.
  Tensor per_batch(const Tensor& x) const;
  /// Keras's serialized form ({"module": "keras.regularizers", "class_name": "L1L2", ...}).
  nlohmann::ordered_json to_json() const;
};

}  // namespace keras::regularizers
