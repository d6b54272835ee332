#pragma once
/// Merge layers (keras.layers.Add, Subtract, Multiply, Average, Maximum, Minimum,
/// Concatenate, Dot): called on a list of tensors, they return one tensor.
///
///   auto add = keras::layers::make<keras::layers::Add>();
///   keras::Tensor y = (*add)({a, b});
///
/// Elementwise merges broadcast their inputs' non-batch dimensions (ValueError
/// "Inputs have incompatible shapes" otherwise) and require equal batch sizes.
#include <cstdint>
#include <string>
#include <vector>

#include "keras/layers/layer.h"

namespace keras::layers {

class Merge : public Layer {
 public:
  using Layer::Layer;
  void build(const std::vector<Shape>& input_shapes) override;
  using Layer::build;
  Outputs call(const std::vector<Tensor>& inputs, bool training) override;
  using Layer::call;
  /// Keras's Merge.compute_mask: a step is kept where every masked input keeps it.
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& previous_masks) override;
  using Layer::compute_mask;

 protected:
  Merge(LayerOptions options, const std::string& class_name) : Layer(std::move(options), class_name) {
    set_supports_masking(true);
  }
  bool expects_list_input() const override { return true; }
  virtual Tensor merge_function(const std::vector<Tensor>& inputs) = 0;
};

class Add : public Merge {
 public:
  explicit Add(LayerOptions options = {}) : Merge(std::move(options), "Add") {}

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

/// Exactly two inputs: inputs[0] - inputs[1].
class Subtract : public Merge {
 public:
  explicit Subtract(LayerOptions options = {}) : Merge(std::move(options), "Subtract") {}
  void build(const std::vector<Shape>& input_shapes) override;
  using Merge::build;

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

class Multiply : public Merge {
 public:
  explicit Multiply(LayerOptions options = {}) : Merge(std::move(options), "Multiply") {}

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

class Average : public Merge {
 public:
  explicit Average(LayerOptions options = {}) : Merge(std::move(options), "Average") {}

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

class Maximum : public Merge {
 public:
  explicit Maximum(LayerOptions options = {}) : Merge(std::move(options), "Maximum") {}

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

class Minimum : public Merge {
 public:
  explicit Minimum(LayerOptions options = {}) : Merge(std::move(options), "Minimum") {}

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;
};

/// Concatenates along `axis`; all other dimensions must match.
class Concatenate : public Merge {
 public:
  explicit Concatenate(int axis = -1, LayerOptions options = {});
  explicit Concatenate(LayerOptions options) : Concatenate(-1, std::move(options)) {}
  void build(const std::vector<Shape>& input_shapes) override;
  using Merge::build;
  Config get_config() const override;
  /// Keras's Concatenate.compute_mask: each input's mask (all true where it has none) spread
  /// over its features, concatenated along `axis`, then any() over the last axis.
  Tensor compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& previous_masks) override;
  using Merge::compute_mask;

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;

 private:
  int axis_;
};

/// Batchwise dot product of two inputs along `axes` (one axis for both, or one per input;
/// negative axes count from the end); `normalize` L2-normalizes both along those axes first
/// (cosine proximity). Output: the remaining axes of input 0 then of input 1, or (batch, 1).
class Dot : public Merge {
 public:
  explicit Dot(int axes, bool normalize = false, LayerOptions options = {});
  Dot(std::vector<int> axes, bool normalize = false, LayerOptions options = {});
  void build(const std::vector<Shape>& input_shapes) override;
  using Merge::build;
  Config get_config() const override;
  /// Keras's Dot outputs no mask.
  Tensor compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>&) override { return Tensor(); }
  using Merge::compute_mask;

 protected:
  Tensor merge_function(const std::vector<Tensor>& inputs) override;

 private:
  std::pair<int, int> resolved_axes(int rank0, int rank1) const;
  std::vector<int> axes_;
  bool normalize_;
};

}  // namespace keras::layers
