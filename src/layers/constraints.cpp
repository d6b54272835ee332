// keras.constraints: MaxNorm, NonNeg, UnitNorm, MinMaxNorm.
#include "keras/layers/constraints.h"

#include "keras/core/errors.h"
#include "keras/ops/ops.h"
#include "serialized_object.h"
#include "variable_table.h"

namespace keras::constraints {

namespace {

// Keras's backend.epsilon(), added to the norms before dividing.
constexpr double kEpsilon = 1e-7;

detail::VariableTable<Constraint>& table() {
  static detail::VariableTable<Constraint> t;
  return t;
}

const char* class_name(Constraint::Kind k) {
  switch (k) {
    case Constraint::Kind::max_norm: return "MaxNorm";
    case Constraint::Kind::non_neg: return "NonNeg";
    case Constraint::Kind::unit_norm: return "UnitNorm";
    case Constraint::Kind::min_max_norm: return "MinMaxNorm";
  }
  return "";
}

Tensor scalar(double v, const Tensor& like) { return Tensor::scalar(v, like.dtype()); }

// The norms over the constraint's axes, kept as size-1 dims so that they broadcast over w.
Tensor norms(const Constraint& c, const Tensor& w) {
  for (int a : c.axis)
    if (a < -w.rank() || a >= w.rank())
      throw ValueError(std::string(class_name(c.kind)) + " constraint: axis " + std::to_string(a) +
                       " is out of bounds for a weight of rank " + std::to_string(w.rank()) +
                       ". Received: weight shape " + w.shape().to_string());
  return ops::sqrt(ops::sum(ops::square(w), c.axis, /*keepdims=*/true));
}

nlohmann::ordered_json axis_json(const Constraint& c) {
  if (!c.axis_is_list && c.axis.size() == 1) return c.axis[0];
  return c.axis;
}

}  // namespace

Tensor Constraint::operator()(const Tensor& w) const {
  if (!is_floating(w.dtype()))
    throw TypeError(std::string(class_name(kind)) + " constraint expects a floating-point weight. Received: dtype " +
                    dtype_name(w.dtype()) + ", shape " + w.shape().to_string());
  switch (kind) {
    case Kind::non_neg:
      return ops::maximum(w, scalar(0.0, w));
    case Kind::unit_norm:
      return ops::divide(w, ops::add(scalar(kEpsilon, w), norms(*this, w)));
    case Kind::max_norm: {
      const Tensor n = norms(*this, w);
      const Tensor desired = ops::clip(n, 0.0, max_value);
      return ops::multiply(w, ops::divide(desired, ops::add(scalar(kEpsilon, w), n)));
    }
    case Kind::min_max_norm: {
      const Tensor n = norms(*this, w);
      const Tensor desired = ops::add(ops::multiply(scalar(rate, w), ops::clip(n, min_value, max_value)),
                                      ops::multiply(scalar(1.0 - rate, w), n));
      return ops::multiply(w, ops::divide(desired, ops::add(scalar(kEpsilon, w), n)));
    }
  }
  return w;
}

nlohmann::ordered_json Constraint::to_json() const {
  nlohmann::ordered_json cfg = nlohmann::ordered_json::object();
  switch (kind) {
    case Kind::non_neg: break;
    case Kind::unit_norm: cfg["axis"] = axis_json(*this); break;
    case Kind::max_norm:
      cfg["max_value"] = max_value;
      cfg["axis"] = axis_json(*this);
      break;
    case Kind::min_max_norm:
      cfg["min_value"] = min_value;
      cfg["max_value"] = max_value;
      cfg["rate"] = rate;
      cfg["axis"] = axis_json(*this);
      break;
  }
  nlohmann::ordered_json j;
  j["module"] = "keras.constraints";
  j["class_name"] = class_name(kind);
  j["config"] = cfg;
  j["registered_name"] = nullptr;
  return j;
}

Constraint max_norm(double max_value, std::vector<int> axis) {
  Constraint c;
  c.kind = Constraint::Kind::max_norm;
  c.max_value = max_value;
  c.axis = std::move(axis);
  return c;
}

Constraint non_neg() { return Constraint{}; }

Constraint unit_norm(std::vector<int> axis) {
  Constraint c;
  c.kind = Constraint::Kind::unit_norm;
  c.axis = std::move(axis);
  return c;
}

Constraint min_max_norm(double min_value, double max_value, double rate, std::vector<int> axis) {
  Constraint c;
  c.kind = Constraint::Kind::min_max_norm;
  c.min_value = min_value;
  c.max_value = max_value;
  c.rate = rate;
  c.axis = std::move(axis);
  return c;
}

std::optional<Constraint> from_json(const nlohmann::ordered_json& j) {
  if (j.is_null()) return std::nullopt;
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "max_norm" || s == "MaxNorm") return max_norm();
    if (s == "non_neg" || s == "NonNeg") return non_neg();
    if (s == "unit_norm" || s == "UnitNorm") return unit_norm();
    if (s == "min_max_norm" || s == "MinMaxNorm") return min_max_norm();
    throw ValueError("Could not interpret constraint identifier: " + s +
                     ". Expected one of 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'. Received: " + j.dump());
  }
  const layers_detail::SerializedObject o = layers_detail::read_serialized_object(j, "keras.constraints", "constraint", "");
  const std::string& cls = o.class_name;
  const nlohmann::ordered_json& cfg = o.config;
  auto num = [&](const char* key, double fallback) { return layers_detail::config_number(o, "Constraint", key, fallback); };
  bool is_list = false;
  auto axes = [&]() {
    if (!cfg.contains("axis") || cfg["axis"].is_null()) return std::vector<int>{0};
    const auto& a = cfg["axis"];
    if (a.is_number_integer()) return std::vector<int>{a.get<int>()};
    if (a.is_array() && !a.empty()) {
      std::vector<int> out;
      for (const auto& e : a) {
        if (!e.is_number_integer())
          throw ValueError("Constraint " + cls + ": `axis` must be an integer or a list of integers. Received: " +
                           a.dump());
        out.push_back(e.get<int>());
      }
      is_list = true;
      return out;
    }
    throw ValueError("Constraint " + cls + ": `axis` must be an integer or a list of integers. Received: " + a.dump());
  };
  Constraint c;
  if (cls == "MaxNorm") c = max_norm(num("max_value", 2.0), axes());
  else if (cls == "NonNeg") c = non_neg();
  else if (cls == "UnitNorm") c = unit_norm(axes());
  else if (cls == "MinMaxNorm") c = min_max_norm(num("min_value", 0.0), num("max_value", 1.0), num("rate", 1.0), axes());
  else
    throw ValueError("Unknown constraint: " + cls + ". Supported: MaxNorm, NonNeg, UnitNorm, MinMaxNorm. Received: " +
                     j.dump());
  c.axis_is_list = is_list;
  return c;
}

nlohmann::ordered_json to_json(const std::optional<Constraint>& c) { return c ? c->to_json() : nlohmann::ordered_json(); }

void set_variable_constraint(const Variable& variable, std::optional<Constraint> constraint) {
  table().set(variable, std::move(constraint));
}

std::optional<Constraint> variable_constraint(const Variable& variable) { return table().get(variable); }

}  // namespace keras::constraints
