#pragma once
/// Reshaping layers with Keras 3's arguments and configs: Permute, RepeatVector,
/// Cropping1D/2D, ZeroPadding1D/2D, UpSampling1D/2D (Flatten and Reshape are in core.h).
///
///   auto pad = keras::layers::make<keras::layers::ZeroPadding2D>(std::vector<keras::layers::Ints>{{1}, {2, 0}});
///   // (None, 4, 4, 3) -> (None, 6, 6, 3): one row above and below, two columns on the left
///
/// Pairs are (before, after); a single value means the same on both sides. Errors
/// (ValueError naming the layer and the shapes): negative sizes, crops that leave nothing,
/// inputs of the wrong rank.
#include <cstdint>
#include <string>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

using Ints = std::vector<std::int64_t>;

/// Permutes the non-batch axes: dims is a permutation of 1..rank-1, e.g. {2, 1}.
class Permute : public Layer {
 public:
  explicit Permute(std::vector<int> dims, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::vector<int> dims_;
};

/// (batch, features) -> (batch, n, features).
class RepeatVector : public Layer {
 public:
  explicit RepeatVector(std::int64_t n, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::int64_t n_;
};

/// Removes cropping = (before, after) steps of a (batch, steps, features) input.
class Cropping1D : public Layer {
 public:
  explicit Cropping1D(const Ints& cropping = {1, 1}, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  Ints cropping_;
};

/// cropping = {{top, bottom}, {left, right}} (each entry one or two values).
class Cropping2D : public Layer {
 public:
  explicit Cropping2D(const std::vector<Ints>& cropping = {{0, 0}, {0, 0}}, std::string data_format = "channels_last",
                      LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::vector<Ints> cropping_;
  std::string data_format_;
};

class ZeroPadding1D : public Layer {
 public:
  explicit ZeroPadding1D(const Ints& padding = {1}, std::string data_format = "channels_last",
                         LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  Ints padding_;
  std::string data_format_;
};

/// padding = {{top, bottom}, {left, right}} (each entry one or two values).
class ZeroPadding2D : public Layer {
 public:
  explicit ZeroPadding2D(const std::vector<Ints>& padding = {{1}, {1}}, std::string data_format = "channels_last",
                         LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::vector<Ints> padding_;
  std::string data_format_;
};

/// Repeats each step `size` times: (batch, steps, features) -> (batch, steps * size, features).
class UpSampling1D : public Layer {
 public:
  explicit UpSampling1D(std::int64_t size = 2, LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  std::int64_t size_;
};

/// Upsamples rows and columns by integer factors: "nearest" repeats them; "bilinear" blends
/// the two nearest input pixels with half-pixel centers, as keras.ops.image.resize (edges
/// repeat the border value). Other Keras interpolations raise NotImplementedError.
class UpSampling2D : public Layer {
 public:
  explicit UpSampling2D(const Ints& size = {2, 2}, std::string data_format = "channels_last",
                        std::string interpolation = "nearest", LayerOptions options = {});
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 private:
  Ints size_;
  std::string data_format_, interpolation_;
};

}  // namespace keras::layers
