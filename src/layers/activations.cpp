// keras.activations on top of keras::ops (keras/src/activations/activations.py).
#include "keras/layers/activations.h"

#include <map>

#include "keras/ops/ops.h"

namespace keras::activations {
namespace {

using namespace keras::ops;  // NOLINT(google-build-using-namespace): the formulas read like Keras's

Tensor celu(const Tensor& x) {  // alpha = 1
  return maximum(x, 0.0) + minimum(exp(x) - 1.0, 0.0);
}

Tensor mish(const Tensor& x) { return x * tanh(softplus(x)); }

Tensor log_sigmoid(const Tensor& x) { return negative(softplus(negative(x))); }

Tensor hard_silu(const Tensor& x) { return x * hard_sigmoid(x); }

Tensor glu(const Tensor& x) {  // axis = -1
  if (x.rank() == 0 || (x.shape().dims().back() >= 0 && x.shape().dims().back() % 2 != 0))
    throw ValueError("glu expects the last axis to have an even size. Received: shape=" + x.shape().to_string());
  auto halves = split(x, 2, -1);
  return halves[0] * sigmoid(halves[1]);
}

Tensor tanh_shrink(const Tensor& x) { return x - tanh(x); }

Tensor hard_tanh(const Tensor& x) { return clip(x, -1.0, 1.0); }

Tensor soft_shrink(const Tensor& x) {  // threshold = 0.5
  return where(greater(x, 0.5), x - 0.5, where(less(x, -0.5), x + 0.5, zeros_like(x)));
}

Tensor hard_shrink(const Tensor& x) {  // threshold = 0.5
  return where(greater(abs(x), 0.5), x, zeros_like(x));
}

Tensor sparse_plus(const Tensor& x) {
  return where(less_equal(x, -1.0), zeros_like(x), where(greater_equal(x, 1.0), x, square(x + 1.0) * 0.25));
}

Tensor squareplus(const Tensor& x) {  // b = 4
  return (x + sqrt(square(x) + 4.0)) * 0.5;
}

Tensor softmax_activation(const Tensor& x) {
  if (x.rank() <= 1)
    throw ValueError("Cannot apply softmax to a tensor that is 1D. Received input: shape=" + x.shape().to_string());
  return softmax(x, -1);
}

Tensor log_softmax_activation(const Tensor& x) { return log_softmax(x, -1); }

const std::map<std::string, Function>& table() {
  static const std::map<std::string, Function> t = {
      {"linear", [](const Tensor& x) { return x; }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"relu6", [](const Tensor& x) { return relu6(x); }},
      {"elu", [](const Tensor& x) { return elu(x, 1.0); }},
      {"selu", [](const Tensor& x) { return selu(x); }},
      {"celu", celu},
      {"softplus", [](const Tensor& x) { return softplus(x); }},
      {"softsign", [](const Tensor& x) { return softsign(x); }},
      {"silu", [](const Tensor& x) { return silu(x); }},
      {"swish", [](const Tensor& x) { return silu(x); }},
      {"gelu", [](const Tensor& x) { return gelu(x, /*approximate=*/false); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"exponential", [](const Tensor& x) { return exp(x); }},
      {"hard_sigmoid", [](const Tensor& x) { return hard_sigmoid(x); }},
      {"hard_silu", hard_silu},
      {"hard_swish", hard_silu},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.2); }},
      {"mish", mish},
      {"log_sigmoid", log_sigmoid},
      {"log_softmax", log_softmax_activation},
      {"softmax", softmax_activation},
      {"glu", glu},
      {"tanh_shrink", tanh_shrink},
      {"hard_tanh", hard_tanh},
      {"soft_shrink", soft_shrink},
      {"hard_shrink", hard_shrink},
      {"sparse_plus", sparse_plus},
      {"squareplus", squareplus},
  };
  return t;
}

}  // namespace

const std::vector<std::string>& names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (const auto& [name, fn] : table()) v.push_back(name);
    return v;
  }();
  return n;
}

Function get(const std::string& name) {
  const std::string key = name.empty() ? "linear" : name;
  auto it = table().find(key);
  if (it == table().end()) {
    std::string known;
    for (const auto& n : names()) known += (known.empty() ? "" : ", ") + n;
    throw ValueError("Could not interpret activation function identifier: expected one of " + known +
                     ". Received: " + name);
  }
  return it->second;
}

ActivationArg::ActivationArg(const char* name) : ActivationArg(std::string(name ? name : "linear")) {}

ActivationArg::ActivationArg(std::string name) : name_(name.empty() ? "linear" : std::move(name)) {
  if (name_ != "linear") fn_ = get(name_);
  else get(name_);
}

}  // namespace keras::activations
