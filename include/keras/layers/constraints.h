#pragma once
/// keras.constraints: projections applied to a weight after each optimizer update
/// (Keras: variable.assign(constraint(variable))).
///
///   dense->set_weight_constraint("kernel", keras::constraints::max_norm(2.0));
///   // after every optimizer step each kernel column (norm over axis 0) has norm <= 2.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::constraints {

struct Constraint {
  enum class Kind { max_norm, non_neg, unit_norm, min_max_norm } kind = Kind::non_neg;
  double max_value = 2.0;
  double min_value = 0.0;
  double rate = 1.0;
  /// The axes the norm is taken over; `axis_is_list` keeps how Keras's config wrote it.
  std::vector<int> axis{0};
  bool axis_is_list = false;

  /// The constrained value of w (a new tensor).
  Tensor operator()(const Tensor& w) const;
  /// Keras's serialized form ({"module": "keras.constraints", "class_name": "MaxNorm", ...}).
  nlohmann::ordered_json to_json() const;
};

/// keras.constraints.MaxNorm(max_value=2, axis=0).
Constraint max_norm(double max_value = 2.0, std::vector<int> axis = {0});
/// keras.constraints.NonNeg.
Constraint non_neg();
/// keras.constraints.UnitNorm(axis=0).
Constraint unit_norm(std::vector<int> axis = {0});
/// keras.constraints.MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0).
Constraint min_max_norm(double min_value = 0.0, double max_value = 1.0, double rate = 1.0, std::vector<int> axis = {0});

/// Reads a serialized constraint: null (nullopt), Keras's dict form, or a name ("max_norm",
/// "non_neg", "unit_norm", "min_max_norm"). ValueError otherwise.
std::optional<Constraint> from_json(const nlohmann::ordered_json& j);
/// to_json() of the constraint, or null.
nlohmann::ordered_json to_json(const std::optional<Constraint>& c);

/// Keras's `variable.constraint`, which the optimizers apply after updating the variable.
void set_variable_constraint(const Variable& variable, std::optional<Constraint> constraint);
std::optional<Constraint> variable_constraint(const Variable& variable);

}  // namespace keras::constraints
