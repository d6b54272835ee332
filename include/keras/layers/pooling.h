#pragma once
/// Pooling layers with Keras 3's arguments, defaults and configs: MaxPooling1D/2D/3D,
/// AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D.
///
///   auto pool = keras::layers::make<keras::layers::MaxPooling2D>();    // 2x2 windows, stride 2
///   keras::Tensor y = (*pool)(keras::Input({28, 28, 32}));             // (None, 14, 14, 32)
///
/// Windows never count padded positions: with padding "same" a max ignores them and an
/// average divides by the positions inside the input. Errors (ValueError naming the layer and
/// the shapes): non-positive pool sizes or strides (at construction); an input of the wrong
/// rank, or a window larger than the input under "valid" padding (at the call).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

using Ints = std::vector<std::int64_t>;

struct PoolingOptions {
  Ints strides{};  // empty: pool_size
  std::string padding = "valid";
  std::string data_format = "channels_last";
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Keras's BasePooling: pool_mode "max" or "average".
class BasePooling : public Layer {
 public:
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

  const Ints& pool_size() const { return pool_size_; }
  const Ints& strides() const { return strides_; }

 protected:
  BasePooling(int dims, const std::string& class_name, const std::string& pool_mode, const Ints& pool_size,
              PoolingOptions options);

 private:
  int dims_;
  std::string pool_mode_;
  Ints pool_size_, strides_;
  std::string padding_, data_format_;
};

class MaxPooling1D : public BasePooling {
 public:
  explicit MaxPooling1D(const Ints& pool_size = {2}, PoolingOptions options = {});
  explicit MaxPooling1D(std::int64_t pool_size, PoolingOptions options = {})
      : MaxPooling1D(Ints{pool_size}, std::move(options)) {}
};
class MaxPooling2D : public BasePooling {
 public:
  explicit MaxPooling2D(const Ints& pool_size = {2, 2}, PoolingOptions options = {});
  explicit MaxPooling2D(std::int64_t pool_size, PoolingOptions options = {})
      : MaxPooling2D(Ints{pool_size}, std::move(options)) {}
};
class MaxPooling3D : public BasePooling {
 public:
  explicit MaxPooling3D(const Ints& pool_size = {2, 2, 2}, PoolingOptions options = {});
  explicit MaxPooling3D(std::int64_t pool_size, PoolingOptions options = {})
      : MaxPooling3D(Ints{pool_size}, std::move(options)) {}
};
class AveragePooling1D : public BasePooling {
 public:
  explicit AveragePooling1D(const Ints& pool_size = {2}, PoolingOptions options = {});
  explicit AveragePooling1D(std::int64_t pool_size, PoolingOptions options = {})
      : AveragePooling1D(Ints{pool_size}, std::move(options)) {}
};
class AveragePooling2D : public BasePooling {
 public:
  explicit AveragePooling2D(const Ints& pool_size = {2, 2}, PoolingOptions options = {});
  explicit AveragePooling2D(std::int64_t pool_size, PoolingOptions options = {})
      : AveragePooling2D(Ints{pool_size}, std::move(options)) {}
};
class AveragePooling3D : public BasePooling {
 public:
  explicit AveragePooling3D(const Ints& pool_size = {2, 2, 2}, PoolingOptions options = {});
  explicit AveragePooling3D(std::int64_t pool_size, PoolingOptions options = {})
      : AveragePooling3D(Ints{pool_size}, std::move(options)) {}
};

struct GlobalPoolingOptions {
  std::string data_format = "channels_last";
  bool keepdims = false;  // true: spatial dims kept with size 1
  std::string name{};
  bool trainable = true;
  DType dtype = DType::float32;
};

/// Max or mean over all spatial dims: (batch, *spatial, channels) -> (batch, channels).
class BaseGlobalPooling : public Layer {
 public:
  Tensor call(const Tensor& x) override;
  Shape compute_output_shape(const Shape& input_shape) override;
  Config get_config() const override;

 protected:
  BaseGlobalPooling(int dims, const std::string& class_name, bool max, GlobalPoolingOptions options);

 private:
  int dims_;
  bool max_;
  std::string data_format_;
  bool keepdims_;
};

class GlobalMaxPooling1D : public BaseGlobalPooling {
 public:
  explicit GlobalMaxPooling1D(GlobalPoolingOptions options = {});
};
class GlobalMaxPooling2D : public BaseGlobalPooling {
 public:
  explicit GlobalMaxPooling2D(GlobalPoolingOptions options = {});
};
class GlobalMaxPooling3D : public BaseGlobalPooling {
 public:
  explicit GlobalMaxPooling3D(GlobalPoolingOptions options = {});
};
class GlobalAveragePooling1D : public BaseGlobalPooling {
 public:
  explicit GlobalAveragePooling1D(GlobalPoolingOptions options = {});
};
class GlobalAveragePooling2D : public BaseGlobalPooling {
 public:
  explicit GlobalAveragePooling2D(GlobalPoolingOptions options = {});
};
class GlobalAveragePooling3D : public BaseGlobalPooling {
 public:
  explicit GlobalAveragePooling3D(GlobalPoolingOptions options = {});
};

}  // namespace keras::layers
