// Merge layers (keras/src/layers/merging/*).
#include "keras/layers/merge.h"

#include "keras/ops/ops.h"

namespace keras::layers {
namespace {

std::string shapes_list(const std::vector<Shape>& shapes) {
  std::string s = "[";
  for (std::size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapes[i].to_string();
  return s + "]";
}

Shape drop_batch(const Shape& s) {
  if (s.rank() == 0) return s;
  return Shape(std::vector<std::int64_t>(s.dims().begin() + 1, s.dims().end()));
}

}  // namespace

// ---- Merge ---------------------------------------------------------------------------------

void Merge::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty())
    throw ValueError("A merge layer should be called on a list of at least 1 input. Got 0 inputs. Full input_shape "
                     "received: []");
  std::int64_t batch = -1;
  for (const auto& s : input_shapes) {
    if (s.rank() == 0) continue;
    const std::int64_t b = s.dims().front();
    if (b < 0) continue;
    if (batch >= 0 && b != batch)
      throw ValueError("Cannot merge tensors with different batch sizes. Got tensors with shapes " +
                       shapes_list(input_shapes));
    batch = b;
  }
  Shape out = drop_batch(input_shapes.front());
  for (std::size_t i = 1; i < input_shapes.size(); ++i) {
    const Shape next = drop_batch(input_shapes[i]);
    try {
      out = broadcast_shapes(out, next, "merge");
    } catch (const ValueError&) {
      throw ValueError("Inputs have incompatible shapes. Received shapes " + out.to_string() + " and " +
                       next.to_string());
    }
  }
}

Outputs Merge::call(const std::vector<Tensor>& inputs, bool) { return Outputs{merge_function(inputs)}; }

Tensor Merge::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>& previous_masks) {
  Tensor out;
  for (const Tensor& m : previous_masks)
    if (m.defined()) out = out.defined() ? ops::logical_and(out, m) : m;
  return out;
}

Tensor Add::merge_function(const std::vector<Tensor>& inputs) {
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) out = ops::add(out, inputs[i]);
  return out;
}

void Subtract::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 2)
    throw ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape=" +
                     shapes_list(input_shapes));
  Merge::build(input_shapes);
}

Tensor Subtract::merge_function(const std::vector<Tensor>& inputs) {
  if (inputs.size() != 2)
    throw ValueError("A `Subtract` layer should be called on exactly 2 inputs. Received: " +
                     std::to_string(inputs.size()) + " inputs");
  return ops::subtract(inputs[0], inputs[1]);
}

Tensor Multiply::merge_function(const std::vector<Tensor>& inputs) {
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) out = ops::multiply(out, inputs[i]);
  return out;
}

Tensor Average::merge_function(const std::vector<Tensor>& inputs) {
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) out = ops::add(out, inputs[i]);
  return ops::divide(out, static_cast<double>(inputs.size()));
}

Tensor Maximum::merge_function(const std::vector<Tensor>& inputs) {
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) out = ops::maximum(out, inputs[i]);
  return out;
}

Tensor Minimum::merge_function(const std::vector<Tensor>& inputs) {
  Tensor out = inputs.front();
  for (std::size_t i = 1; i < inputs.size(); ++i) out = ops::minimum(out, inputs[i]);
  return out;
}

// ---- Concatenate ---------------------------------------------------------------------------

Concatenate::Concatenate(int axis, LayerOptions options) : Merge(std::move(options), "Concatenate"), axis_(axis) {}

void Concatenate::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.empty())
    throw ValueError("A `Concatenate` layer should be called on a list of at least 1 input. Received: input_shape=[]");
  const std::string err = "A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                          "axis. Received: input_shape=" + shapes_list(input_shapes);
  const int rank = input_shapes.front().rank();
  for (const auto& s : input_shapes)
    if (s.rank() != rank) throw ValueError(err);
  const int axis = input_shapes.front().normalize_axis(axis_);
  for (int a = 0; a < rank; ++a) {
    if (a == axis) continue;
    std::int64_t seen = -1;
    for (const auto& s : input_shapes) {
      const std::int64_t d = s.dims()[a];
      if (d < 0) continue;
      if (seen >= 0 && d != seen) throw ValueError(err);
      seen = d;
    }
  }
}

Tensor Concatenate::merge_function(const std::vector<Tensor>& inputs) { return ops::concatenate(inputs, axis_); }

Tensor Concatenate::compute_mask(const std::vector<Tensor>& inputs, const std::vector<Tensor>& previous_masks) {
  std::vector<Tensor> masks;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    const Tensor& m = previous_masks[i];
    // Element-shaped masks: all true without one; a (batch, steps) mask spread over the features
    // (or-ing with false broadcasts it without needing the concrete shape).
    const Tensor none = ops::cast(ops::zeros_like(x), DType::bool_);
    if (!m.defined()) masks.push_back(ops::logical_not(none));
    else if (m.rank() < x.rank()) masks.push_back(ops::logical_or(none, ops::expand_dims(m, -1)));
    else masks.push_back(m);
  }
  const Tensor joined = ops::cast(ops::concatenate(masks, axis_), DType::float32);
  return ops::greater(ops::max(joined, -1), Tensor::scalar(0.0, DType::float32));
}

Config Concatenate::get_config() const {
  Config c = base_config();
  c["axis"] = axis_;
  return c;
}

// ---- Dot -----------------------------------------------------------------------------------

Dot::Dot(int axes, bool normalize, LayerOptions options)
    : Merge(std::move(options), "Dot"), axes_{axes}, normalize_(normalize) {}

Dot::Dot(std::vector<int> axes, bool normalize, LayerOptions options)
    : Merge(std::move(options), "Dot"), axes_(std::move(axes)), normalize_(normalize) {
  if (axes_.size() != 2)
    throw ValueError("Invalid format for argument `axes`: list should contain exactly 2 elements. Received: " +
                     std::to_string(axes_.size()) + " elements");
}

std::pair<int, int> Dot::resolved_axes(int rank0, int rank1) const {
  int a0 = axes_.size() == 1 ? axes_[0] : axes_[0];
  int a1 = axes_.size() == 1 ? axes_[0] : axes_[1];
  if (a0 < 0) a0 = ((a0 % rank0) + rank0) % rank0;
  if (a1 < 0) a1 = ((a1 % rank1) + rank1) % rank1;
  return {a0, a1};
}

void Dot::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() != 2)
    throw ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: input_shape=" +
                     shapes_list(input_shapes));
  const Shape& s0 = input_shapes[0];
  const Shape& s1 = input_shapes[1];
  if (s0.rank() < 2 || s1.rank() < 2)
    throw ValueError("A `Dot` layer expects inputs of rank >= 2 (batch first). Received: input_shape=" +
                     shapes_list(input_shapes));
  const auto [a0, a1] = resolved_axes(s0.rank(), s1.rank());
  if (a0 <= 0 || a0 >= s0.rank() || a1 <= 0 || a1 >= s1.rank())
    throw ValueError("Dot axes must be non-batch axes of the inputs. Received: axes=(" + std::to_string(a0) + ", " +
                     std::to_string(a1) + ") for input shapes " + shapes_list(input_shapes));
  const auto d0 = s0.dims()[a0], d1 = s1.dims()[a1];
  if (d0 >= 0 && d1 >= 0 && d0 != d1)
    throw ValueError("Incompatible input shapes: axis values " + std::to_string(d0) + " (at axis " +
                     std::to_string(a0) + ") != " + std::to_string(d1) + " (at axis " + std::to_string(a1) +
                     "). Full input shapes: " + s0.to_string() + ", " + s1.to_string());
}

Tensor Dot::merge_function(const std::vector<Tensor>& inputs) {
  if (inputs.size() != 2)
    throw ValueError("A `Dot` layer should be called on a list of 2 inputs. Received: " +
                     std::to_string(inputs.size()) + " inputs");
  Tensor x0 = inputs[0], x1 = inputs[1];
  const auto [a0, a1] = resolved_axes(x0.rank(), x1.rank());
  if (normalize_) {
    // l2_normalize: x / sqrt(max(sum(x^2), 1e-12)).
    auto l2 = [](const Tensor& x, int axis) {
      return ops::divide(x, ops::sqrt(ops::maximum(ops::sum(ops::square(x), axis, true), 1e-12)));
    };
    x0 = l2(x0, a0);
    x1 = l2(x1, a1);
  }
  // Batch dot as one batched matmul: x0 -> (B, M, K) with the contracted axis last,
  // x1 -> (B, K, N) with it first, then reshape (B, M, N) to the remaining axes.
  auto move_axis = [](const Tensor& x, int axis, bool to_last) {
    std::vector<int> perm{0};
    if (!to_last) perm.push_back(axis);
    for (int i = 1; i < x.rank(); ++i)
      if (i != axis) perm.push_back(i);
    if (to_last) perm.push_back(axis);
    bool identity = true;
    for (int i = 0; i < static_cast<int>(perm.size()); ++i) identity = identity && perm[i] == i;
    return identity ? x : ops::transpose(x, perm);
  };
  const Tensor t0 = move_axis(x0, a0, true);
  const Tensor t1 = move_axis(x1, a1, false);
  const std::int64_t batch = x0.shape().dims()[0] >= 0 ? x0.shape().dims()[0] : x1.shape().dims()[0];
  const std::int64_t k = x0.shape().dims()[a0] >= 0 ? x0.shape().dims()[a0] : x1.shape().dims()[a1];
  std::vector<std::int64_t> rest0, rest1;
  std::int64_t m = 1, n = 1;
  for (int i = 1; i < x0.rank(); ++i)
    if (i != a0) {
      rest0.push_back(x0.shape().dims()[i]);
      m *= x0.shape().dims()[i];
    }
  for (int i = 1; i < x1.rank(); ++i)
    if (i != a1) {
      rest1.push_back(x1.shape().dims()[i]);
      n *= x1.shape().dims()[i];
    }
  if (k < 0 || m < 0 || n < 0)
    throw ValueError("Dot needs the non-batch dimensions of its inputs to be known. Received: shapes " +
                     x0.shape().to_string() + " and " + x1.shape().to_string());
  const Tensor r0 = ops::reshape(t0, Shape{batch, m, k});
  const Tensor r1 = ops::reshape(t1, Shape{batch, k, n});
  const Tensor prod = ops::matmul(r0, r1);
  Shape out{batch};
  for (auto d : rest0) out.push_back(d);
  for (auto d : rest1) out.push_back(d);
  if (out.rank() == 1) out.push_back(1);
  return ops::reshape(prod, out);
}

Config Dot::get_config() const {
  Config c = base_config();
  c["axes"] = axes_.size() == 1 ? Config(axes_[0]) : Config(axes_);
  c["normalize"] = normalize_;
  return c;
}

}  // namespace keras::layers
