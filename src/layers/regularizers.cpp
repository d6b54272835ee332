// keras.regularizers.L1L2 as activity penalties.
#include "keras/layers/regularizers.h"

#include "keras/core/errors.h"
#include "keras/ops/ops.h"

namespace keras::regularizers {

namespace {

// l1 * |x| + l2 * x², element by element (zero factors still give a tensor tied to x).
Tensor elementwise(const L1L2& r, const Tensor& x) {
  if (r.l1 < 0 || r.l2 < 0)
    throw ValueError("L1L2 regularization factors must be non-negative. Received: l1=" + std::to_string(r.l1) +
                     ", l2=" + std::to_string(r.l2));
  Tensor loss;
  if (r.l1 != 0.0) loss = ops::multiply(ops::abs(x), Tensor::scalar(r.l1, x.dtype()));
  if (r.l2 != 0.0) {
    const Tensor l2 = ops::multiply(ops::square(x), Tensor::scalar(r.l2, x.dtype()));
    loss = loss.defined() ? ops::add(loss, l2) : l2;
  }
  return loss.defined() ? loss : ops::multiply(x, Tensor::scalar(0.0, x.dtype()));
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
  j["class_name"] = "L1L2";
  j["config"] = {{"l1", l1}, {"l2", l2}};
  j["registered_name"] = nullptr;
  return j;
}

}  // namespace keras::regularizers
