#pragma once
/// keras::activations — Keras 3's activation functions by name, built from keras::ops.
///
///   auto f = keras::activations::get("gelu");   // keras.activations.gelu (erf form)
///   keras::Tensor y = f(x);
///
/// Names: linear, relu, relu6, elu, selu, celu, softplus, softsign, silu, swish, gelu,
/// tanh, sigmoid, exponential, hard_sigmoid, hard_silu, hard_swish, leaky_relu, mish,
/// log_sigmoid, log_softmax, softmax, glu, tanh_shrink, hard_tanh, soft_shrink,
/// hard_shrink, sparse_plus, squareplus. Defaults are keras.activations' (gelu is the
/// exact erf form, leaky_relu's slope 0.2, softmax over the last axis).
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "keras/core/tensor.h"

namespace keras::activations {

using Function = std::function<Tensor(const Tensor&)>;

/// The activation called `name`; ValueError listing the known names otherwise.
Function get(const std::string& name);
/// All names `get` accepts.
const std::vector<std::string>& names();

/// What layers accept as `activation`: a Keras name, or any C++ callable (saved under
/// `name`). Default: "linear" (no activation).
class ActivationArg {
 public:
  ActivationArg() = default;
  ActivationArg(const char* name);   // NOLINT(google-explicit-constructor)
  ActivationArg(std::string name);   // NOLINT(google-explicit-constructor)
  template <class F, std::enable_if_t<std::is_invocable_r_v<Tensor, F, const Tensor&> &&
                                          !std::is_convertible_v<F, std::string>, int> = 0>
  ActivationArg(F fn, std::string name = "custom_activation")  // NOLINT(google-explicit-constructor)
      : name_(std::move(name)), fn_(std::move(fn)), builtin_(false) {}

  const std::string& name() const { return name_; }
  bool is_linear() const { return !fn_ && (name_ == "linear" || name_.empty()); }
  /// The Keras activation `name()` names (not a callable that was given a name).
  bool is_builtin() const { return builtin_; }
  Tensor operator()(const Tensor& x) const { return fn_ ? fn_(x) : x; }

 private:
  std::string name_ = "linear";
  Function fn_;
  bool builtin_ = true;
};

}  // namespace keras::activations
