#pragma once
/// Regularization layers with Keras 3's arguments and configs: SpatialDropout1D/2D/3D,
/// GaussianNoise, GaussianDropout, ActivityRegularization (Dropout is in core.h). All are the
/// identity at inference; in training (`layer(x, /*training=*/true)`):
///   SpatialDropout: drops whole channels (the mask is drawn per sample and channel and
///     broadcast over the spatial dims), scaling the kept ones by 1 / (1 - rate);
///   GaussianNoise: x + N(0, stddev²);  GaussianDropout: x * N(1, rate / (1 - rate)).
/// Noise comes from the layer's SeedGenerator (keras/ops/random.h): a fresh draw per call and
/// per run of a compiled training step; reproducible when `seed` is given.
#include <cstdint>
#include <optional>
#include <string>

#include "keras/layers/layer.h"
#include "keras/ops/random.h"

namespace keras::layers {

/// Keras's BaseSpatialDropout; its config is {rate, seed, name, dtype} (no `trainable`).
class BaseSpatialDropout : public Layer {
 public:
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;
  double rate() const { return rate_; }

 protected:
  BaseSpatialDropout(int rank, const std::string& class_name, double rate, std::string data_format,
                     std::optional<std::uint64_t> seed, LayerOptions options, bool has_data_format);

 private:
  int rank_;
  double rate_;
  std::string data_format_;
  bool has_data_format_;
  std::optional<std::uint64_t> init_seed_;
  random::SeedGenerator seed_generator_;
};

/// (batch, steps, channels): one draw per sample and channel.
class SpatialDropout1D : public BaseSpatialDropout {
 public:
  explicit SpatialDropout1D(double rate, std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
};

class SpatialDropout2D : public BaseSpatialDropout {
 public:
  explicit SpatialDropout2D(double rate, std::string data_format = "channels_last",
                            std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
};

class SpatialDropout3D : public BaseSpatialDropout {
 public:
  explicit SpatialDropout3D(double rate, std::string data_format = "channels_last",
                            std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
};

class GaussianNoise : public Layer {
 public:
  explicit GaussianNoise(double stddev, std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  double stddev_;
  std::optional<std::uint64_t> init_seed_;
  random::SeedGenerator seed_generator_;
};

class GaussianDropout : public Layer {
 public:
  explicit GaussianDropout(double rate, std::optional<std::uint64_t> seed = std::nullopt, LayerOptions options = {});
  Tensor call(const Tensor& x, bool training) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;

 private:
  double rate_;
  std::optional<std::uint64_t> init_seed_;
  random::SeedGenerator seed_generator_;
};

/// The identity, with the activity penalty (l1 * sum(|x|) + l2 * sum(x²)) / batch_size of its
/// input added to the layer's `losses()` on each call (its activity regularizer is
/// L1L2{l1, l2}); fit() adds it to the training loss.
class ActivityRegularization : public Layer {
 public:
  explicit ActivityRegularization(double l1 = 0.0, double l2 = 0.0, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override { return input_shape; }
  Config get_config() const override;
  /// The penalty of the last call's input (undefined before the first call).
  Tensor activity_loss() const;

 private:
  double l1_, l2_;
};

}  // namespace keras::layers
