#pragma once
/// keras::initializers — Keras 3's weight initializers, by class and by name.
///
/// An initializer maps (shape, dtype) to a new concrete tensor. Random initializers take
/// an optional seed: with a seed, every call draws the same numbers (as in Keras 3); without
/// one, a seed is drawn once when the initializer is created, so the object stays
/// deterministic but two objects differ.
///
///   auto w = keras::initializers::GlorotUniform()({75, 3}, keras::DType::float32);
///   auto init = keras::initializers::get("uniform");   // RandomUniform(-0.05, 0.05)
///
/// Formulas follow keras/src/initializers: VarianceScaling divides `scale` by the fan
/// (`fan_in`, `fan_out` or their mean; kernels (..., in, out) multiply the receptive field
/// into both fans) and draws from a truncated normal (stddev corrected by
/// 0.87962566103423978, the stddev of a unit normal truncated at two sigmas), a normal, or
/// a uniform with limit sqrt(3 * scale).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "keras/core/tensor.h"

namespace keras::initializers {

using Config = nlohmann::ordered_json;

class Initializer {
 public:
  virtual ~Initializer() = default;
  /// A new concrete tensor of `shape` (fully defined) and `dtype`.
  virtual Tensor operator()(const Shape& shape, DType dtype = DType::float32) const = 0;
  /// Keras's class name, e.g. "GlorotUniform".
  virtual std::string class_name() const = 0;
  /// The `config` dict Keras serializes, e.g. {"seed": null, ...}.
  virtual Config get_config() const { return Config::object(); }
};

using InitializerPtr = std::shared_ptr<const Initializer>;

/// (fan_in, fan_out) of a weight shape, as keras.src.initializers.random_initializers.compute_fans.
std::pair<double, double> compute_fans(const Shape& shape);

// ---- constant initializers ------------------------------------------------------------------

class Zeros : public Initializer {
 public:
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "Zeros"; }
};

class Ones : public Initializer {
 public:
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "Ones"; }
};

/// Fills with `value`; a tensor value is broadcast to the weight's shape (Keras's
/// `Constant([0, 1, 2])` on a (1, 3) weight).
class Constant : public Initializer {
 public:
  explicit Constant(double value = 0.0);
  explicit Constant(const Tensor& value);
  explicit Constant(const std::vector<double>& values);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "Constant"; }
  Config get_config() const override;

 private:
  Tensor value_;  // concrete, float64
};

/// gain * identity; 2-D shapes only.
class Identity : public Initializer {
 public:
  explicit Identity(double gain = 1.0) : gain_(gain) {}
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "IdentityInitializer"; }
  Config get_config() const override;

 private:
  double gain_;
};

// ---- random initializers ----------------------------------------------------------------------

class RandomInitializer : public Initializer {
 public:
  explicit RandomInitializer(std::optional<std::uint64_t> seed);
  /// The seed given by the user (null in the config when none was given).
  std::optional<std::uint64_t> init_seed() const { return init_seed_; }

 protected:
  std::uint64_t seed_;  // the effective seed
  std::optional<std::uint64_t> init_seed_;
  Config seed_config() const;
};

class RandomUniform : public RandomInitializer {
 public:
  explicit RandomUniform(double minval = -0.05, double maxval = 0.05, std::optional<std::uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "RandomUniform"; }
  Config get_config() const override;

 private:
  double minval_, maxval_;
};

class RandomNormal : public RandomInitializer {
 public:
  explicit RandomNormal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "RandomNormal"; }
  Config get_config() const override;

 private:
  double mean_, stddev_;
};

/// Normal draws redrawn until within two standard deviations of the mean.
class TruncatedNormal : public RandomInitializer {
 public:
  explicit TruncatedNormal(double mean = 0.0, double stddev = 0.05, std::optional<std::uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "TruncatedNormal"; }
  Config get_config() const override;

 private:
  double mean_, stddev_;
};

/// mode: "fan_in", "fan_out", "fan_avg"; distribution: "truncated_normal",
/// "untruncated_normal" (or "normal"), "uniform". Invalid values raise ValueError.
class VarianceScaling : public RandomInitializer {
 public:
  explicit VarianceScaling(double scale = 1.0, std::string mode = "fan_in", std::string distribution = "truncated_normal",
                           std::optional<std::uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "VarianceScaling"; }
  Config get_config() const override;
  double scale() const { return scale_; }
  const std::string& mode() const { return mode_; }
  const std::string& distribution() const { return distribution_; }

 private:
  double scale_;
  std::string mode_, distribution_;
};

/// The named VarianceScaling presets; their config is just the seed, as in Keras.
class GlorotUniform : public VarianceScaling {
 public:
  explicit GlorotUniform(std::optional<std::uint64_t> seed = std::nullopt) : VarianceScaling(1.0, "fan_avg", "uniform", seed) {}
  std::string class_name() const override { return "GlorotUniform"; }
  Config get_config() const override;
};
class GlorotNormal : public VarianceScaling {
 public:
  explicit GlorotNormal(std::optional<std::uint64_t> seed = std::nullopt)
      : VarianceScaling(1.0, "fan_avg", "truncated_normal", seed) {}
  std::string class_name() const override { return "GlorotNormal"; }
  Config get_config() const override;
};
class HeUniform : public VarianceScaling {
 public:
  explicit HeUniform(std::optional<std::uint64_t> seed = std::nullopt) : VarianceScaling(2.0, "fan_in", "uniform", seed) {}
  std::string class_name() const override { return "HeUniform"; }
  Config get_config() const override;
};
class HeNormal : public VarianceScaling {
 public:
  explicit HeNormal(std::optional<std::uint64_t> seed = std::nullopt)
      : VarianceScaling(2.0, "fan_in", "truncated_normal", seed) {}
  std::string class_name() const override { return "HeNormal"; }
  Config get_config() const override;
};
class LecunUniform : public VarianceScaling {
 public:
  explicit LecunUniform(std::optional<std::uint64_t> seed = std::nullopt) : VarianceScaling(1.0, "fan_in", "uniform", seed) {}
  std::string class_name() const override { return "LecunUniform"; }
  Config get_config() const override;
};
class LecunNormal : public VarianceScaling {
 public:
  explicit LecunNormal(std::optional<std::uint64_t> seed = std::nullopt)
      : VarianceScaling(1.0, "fan_in", "truncated_normal", seed) {}
  std::string class_name() const override { return "LecunNormal"; }
  Config get_config() const override;
};

/// Orthogonal matrix (QR of a normal draw, signs fixed by R's diagonal) times `gain`,
/// reshaped from (prod(shape[:-1]), shape[-1]). Shapes of rank >= 2.
class Orthogonal : public RandomInitializer {
 public:
  explicit Orthogonal(double gain = 1.0, std::optional<std::uint64_t> seed = std::nullopt);
  Tensor operator()(const Shape& shape, DType dtype = DType::float32) const override;
  std::string class_name() const override { return "Orthogonal"; }  // Keras 3 serializes the class as "Orthogonal"
  Config get_config() const override;

 private:
  double gain_;
};

/// By Keras name: "zeros"/"zero", "ones"/"one", "constant", "uniform"/"random_uniform",
/// "normal"/"random_normal", "truncated_normal", "glorot_uniform", "glorot_normal",
/// "he_uniform", "he_normal", "lecun_uniform", "lecun_normal", "orthogonal", "identity",
/// "variance_scaling", or a class name ("GlorotUniform", ...). Unknown: ValueError listing
/// the known names.
InitializerPtr get(const std::string& name);

/// What `add_weight` and layer constructors accept: a name, an initializer object, or
/// nothing (the default for the weight's dtype: glorot_uniform for floats, zeros else).
class InitializerArg {
 public:
  InitializerArg() = default;
  InitializerArg(const char* name) : name_(name) {}          // NOLINT(google-explicit-constructor)
  InitializerArg(std::string name) : name_(std::move(name)) {}  // NOLINT(google-explicit-constructor)
  InitializerArg(InitializerPtr init) : init_(std::move(init)) {}  // NOLINT(google-explicit-constructor)
  template <class I, std::enable_if_t<std::is_base_of_v<Initializer, I>, int> = 0>
  InitializerArg(const I& init) : init_(std::make_shared<I>(init)) {}  // NOLINT(google-explicit-constructor)

  bool empty() const { return !init_ && name_.empty(); }
  /// The initializer (looked up by name now: an unknown name raises ValueError), or
  /// `fallback` when empty.
  InitializerPtr resolve(const std::string& fallback = "glorot_uniform") const;

 private:
  std::string name_;
  InitializerPtr init_;
};

/// The serialized form Keras writes: {"module": "keras.initializers", "class_name",
/// "config", "registered_name": null}.
Config serialize(const Initializer& init);

}  // namespace keras::initializers
