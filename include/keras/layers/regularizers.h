#pragma once
/// keras.regularizers.L1L2 (L1 and L2 are L1L2 with one factor zero): penalty(x) =
/// l1 * sum(|x|) + l2 * sum(x²). Used as a layer's activity regularizer and as a weight
/// regularizer (kernel_regularizer, bias_regularizer, ...).
///
///   dense->set_activity_regularizer(keras::regularizers::L1L2{.l2 = 1e-4});
///   // each call adds penalty(output) / batch_size to dense->losses(); fit() adds the sum
///   // of model.losses() to the compiled loss, as Keras does.
///   dense->set_weight_regularizer("kernel", keras::regularizers::l2(0.01));
///   // dense->losses() then also holds penalty(kernel) (not divided by the batch size).
#include <optional>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::regularizers {

struct L1L2 {
  double l1 = 0.0;
  double l2 = 0.0;
  /// Which Keras class this is (it decides the serialized class_name and config keys).
  enum class Kind { l1l2, l1, l2 } kind = Kind::l1l2;

  /// The penalty as a scalar of x's dtype.
  Tensor operator()(const Tensor& x) const;
  /// The penalty divided by the batch size (axis 0) as Keras's activity regularization does:
  /// mean over the batch of the per-sample penalty, so an unknown batch works in plans too.
  Tensor per_batch(const Tensor& x) const;
  /// Keras's serialized form ({"module": "keras.regularizers", "class_name": "L1L2", ...}).
  nlohmann::ordered_json to_json() const;
};

/// keras.regularizers.l1 / L1 (default 0.01).
L1L2 l1(double l1 = 0.01);
/// keras.regularizers.l2 / L2 (default 0.01).
L1L2 l2(double l2 = 0.01);
/// keras.regularizers.l1_l2 / L1L2 (Keras 3's defaults are 0.0 for both).
L1L2 l1_l2(double l1 = 0.0, double l2 = 0.0);

/// Reads a serialized regularizer: null (nullopt), Keras's dict form for L1, L2 and L1L2
/// (module keras.regularizers), or a name ("l1", "l2", "l1_l2"). ValueError otherwise.
std::optional<L1L2> from_json(const nlohmann::ordered_json& j);
/// to_json() of the regularizer, or null.
nlohmann::ordered_json to_json(const std::optional<L1L2>& r);

/// Keras's `variable.regularizer`: the regularizer attached to a variable (nullopt removes
/// it). Layer::losses() adds regularizer(variable) for each trainable weight that has one.
void set_variable_regularizer(const Variable& variable, std::optional<L1L2> regularizer);
std::optional<L1L2> variable_regularizer(const Variable& variable);

}  // namespace keras::regularizers
