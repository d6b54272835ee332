// keras.regularizers.L1L2 as activity and weight penalties.
#include "keras/layers/regularizers.h"

#include <mutex>
#include <unordered_map>

#include "keras/core/errors.h"
#include "serialized_object.h"
#include "variable_table.h"
#include "keras/ops/ops.h"

namespace keras::regularizers {

namespace {

void validate(const L1L2& r) {
  if (r.l1 < 0 || r.l2 < 0)
    throw ValueError("L1L2 regularization factors must be non-negative. Received: l1=" + std::to_string(r.l1) +
                     ", l2=" + std::to_string(r.l2));
}

// l1 * |x| + l2 * x², element by element (zero factors still give a tensor tied to x).
Tensor elementwise(const L1L2& r, const Tensor& x) {
  validate(r);
  Tensor loss;
  if (r.l1 != 0.0) loss = ops::multiply(ops::abs(x), Tensor::scalar(r.l1, x.dtype()));
  if (r.l2 != 0.0) {
    const Tensor l2 = ops::multiply(ops::square(x), Tensor::scalar(r.l2, x.dtype()));
    loss = loss.defined() ? ops::add(loss, l2) : l2;
  }
  return loss.defined() ? loss : ops::multiply(x, Tensor::scalar(0.0, x.dtype()));
}

detail::VariableTable<L1L2>& table() {
  static detail::VariableTable<L1L2> t;
  return t;
}

}  // namespace

Tensor L1L2::operator()(const Tensor& x) const { return ops::sum(elementwise(*this, x)); }

Tensor L1L2::per_batch(const Tensor& x) const {
  const Tensor e = elementwise(*this, x);
  if (x.rank() <= 1) return x.rank() == 0 ? e : ops::mean(e);
  ops::Axes rest;
  for (int a = 1; a < x.rank(); ++a) rest.push_back(a);
  return ops::mean(ops::sum(e, rest));
}

nlohmann::ordered_json L1L2::to_json() const {
  nlohmann::ordered_json j;
  j["module"] = "keras.regularizers";
  switch (kind) {
    case Kind::l1:
      j["class_name"] = "L1";
      j["config"] = {{"l1", l1}};
      break;
    case Kind::l2:
      j["class_name"] = "L2";
      j["config"] = {{"l2", l2}};
      break;
    case Kind::l1l2:
      j["class_name"] = "L1L2";
      j["config"] = {{"l1", l1}, {"l2", l2}};
      break;
  }
  j["registered_name"] = nullptr;
  return j;
}

L1L2 l1(double v) {
  L1L2 r{v, 0.0, L1L2::Kind::l1};
  validate(r);
  return r;
}
L1L2 l2(double v) {
  L1L2 r{0.0, v, L1L2::Kind::l2};
  validate(r);
  return r;
}
L1L2 l1_l2(double a, double b) {
  L1L2 r{a, b, L1L2::Kind::l1l2};
  validate(r);
  return r;
}

std::optional<L1L2> from_json(const nlohmann::ordered_json& j) {
  if (j.is_null()) return std::nullopt;
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "l1" || s == "L1") return l1();
    if (s == "l2" || s == "L2") return l2();
    if (s == "l1_l2" || s == "L1L2") return l1_l2(0.01, 0.01);  // Keras's string identifier: both 0.01
    throw ValueError("Could not interpret regularizer identifier: " + s +
                     ". Expected one of 'l1', 'l2', 'l1_l2'. Received: " + j.dump());
  }
  const layers_detail::SerializedObject o =
      layers_detail::read_serialized_object(j, "keras.regularizers", "regularizer", " (L1, L2 or L1L2)");
  const std::string& cls = o.class_name;
  auto num = [&](const char* key, double fallback) { return layers_detail::config_number(o, "Regularizer", key, fallback); };
  if (cls == "L1") return l1(num("l1", 0.01));
  if (cls == "L2") return l2(num("l2", 0.01));
  if (cls == "L1L2") return l1_l2(num("l1", 0.0), num("l2", 0.0));
  if (cls == "OrthogonalRegularizer")
    throw NotImplementedError("keras.regularizers.OrthogonalRegularizer is not supported by keras.cpp yet. Received: " +
                              j.dump());
  throw ValueError("Unknown regularizer: " + cls + ". Supported: L1, L2, L1L2. Received: " + j.dump());
}

nlohmann::ordered_json to_json(const std::optional<L1L2>& r) { return r ? r->to_json() : nlohmann::ordered_json(); }

void set_variable_regularizer(const Variable& variable, std::optional<L1L2> regularizer) {
  if (regularizer) validate(*regularizer);
  table().set(variable, std::move(regularizer));
}

std::optional<L1L2> variable_regularizer(const Variable& variable) { return table().get(variable); }

}  // namespace keras::regularizers
