// MultiHeadAttention and the EinsumDense projections it is made of
// (keras/src/layers/attention/multi_head_attention.py, keras/src/layers/core/einsum_dense.py).
#include <cmath>
#include <numeric>

#include "attention_internal.h"
#include "keras/layers/attention.h"
#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"

namespace keras::layers {
namespace {

Config partial_shape_json(const std::vector<std::int64_t>& dims) {
  Config list = Config::array();
  for (auto d : dims) list.push_back(d < 0 ? Config(nullptr) : Config(d));
  return list;
}

// x reshaped to (x.shape[:lead], *tail). The leading dims come from x's shape; at most one of
// them may be unknown (it becomes the reshape's -1). Traced plans see concrete shapes.
Tensor reshape_keep_leading(const Tensor& x, int lead, const std::vector<std::int64_t>& tail, const std::string& layer) {
  std::vector<std::int64_t> target;
  int unknown = 0;
  for (int d = 0; d < lead; ++d) {
    const std::int64_t v = x.shape().dims()[static_cast<std::size_t>(d)];
    unknown += v < 0;
    target.push_back(v < 0 ? -1 : v);
  }
  if (unknown > 1)
    throw ValueError("Layer \"" + layer + "\" needs all but one of the leading dimensions of its projections to be "
                     "known. Received: shape " + x.shape().to_string());
  for (auto d : tail) target.push_back(d);
  return ops::reshape(x, Shape(target));
}

std::int64_t product(const std::vector<std::int64_t>& v) {
  return std::accumulate(v.begin(), v.end(), std::int64_t{1}, std::multiplies<>());
}

// Keras's _build_proj_equation: free letters, then bound, then output letters.
std::string projection_equation(int free_dims, int bound_dims, int output_dims, std::string* bias_axes) {
  std::string in, kernel, out;
  int letter = 0;
  for (int i = 0; i < free_dims; ++i, ++letter) in += static_cast<char>('a' + letter), out += static_cast<char>('a' + letter);
  for (int i = 0; i < bound_dims; ++i, ++letter) in += static_cast<char>('a' + letter), kernel += static_cast<char>('a' + letter);
  bias_axes->clear();
  for (int i = 0; i < output_dims; ++i, ++letter) {
    kernel += static_cast<char>('a' + letter);
    out += static_cast<char>('a' + letter);
    *bias_axes += static_cast<char>('a' + letter);
  }
  return in + "," + kernel + "->" + out;
}

// Keras's _get_output_shape: None for the free dims, then the known ones.
std::vector<std::int64_t> partial_output(int output_rank, const std::vector<std::int64_t>& known) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(output_rank) - known.size(), -1);
  out.insert(out.end(), known.begin(), known.end());
  return out;
}

std::vector<int> inverse(const std::vector<int>& perm) {
  std::vector<int> inv(perm.size());
  for (std::size_t i = 0; i < perm.size(); ++i) inv[static_cast<std::size_t>(perm[i])] = static_cast<int>(i);
  return inv;
}

}  // namespace

// ---- EinsumDense -----------------------------------------------------------------------------

EinsumDense::EinsumDense(std::string equation, std::vector<std::int64_t> output_shape, std::string bias_axes,
                         activations::ActivationArg activation, initializers::InitializerArg kernel_initializer,
                         initializers::InitializerArg bias_initializer, LayerOptions options)
    : Layer(std::move(options), "EinsumDense"), equation_(std::move(equation)), bias_axes_(std::move(bias_axes)),
      output_shape_(std::move(output_shape)), activation_(std::move(activation)),
      kernel_initializer_(std::move(kernel_initializer)), bias_initializer_(std::move(bias_initializer)) {
  const auto comma = equation_.find(','), arrow = equation_.find("->");
  const auto unsupported = [&](const std::string& why) {
    return NotImplementedError("EinsumDense \"" + name() + "\" supports equations of the form "
                               "'<free><bound>,<bound><out>-><free><out>' (" + why + "). Received: equation=" + equation_);
  };
  if (comma == std::string::npos || arrow == std::string::npos || arrow < comma) throw unsupported("no ',' and '->'");
  const std::string in = equation_.substr(0, comma), kernel = equation_.substr(comma + 1, arrow - comma - 1),
                    out = equation_.substr(arrow + 2);
  std::string bound;
  for (char c : in)
    if (kernel.find(c) != std::string::npos) bound += c;
  const std::string free = in.substr(0, in.size() - bound.size());
  const std::string outs = kernel.substr(bound.size());
  if (bound.empty() || in != free + bound || kernel != bound + outs || out != free + outs)
    throw unsupported("the bound letters must end the input and start the kernel");
  if (!bias_axes_.empty() && bias_axes_ != outs) throw unsupported("bias over all output letters or none");
  if (output_shape_.size() + 1 != out.size())
    throw ValueError("EinsumDense \"" + name() + "\": output_shape must have one entry per output letter after the "
                     "batch letter. Received: output_shape of " + std::to_string(output_shape_.size()) +
                     " entries for equation " + equation_);
  for (std::size_t i = output_shape_.size() - outs.size(); i < output_shape_.size(); ++i)
    if (output_shape_[i] <= 0)
      throw ValueError("EinsumDense \"" + name() + "\": the output dimensions the kernel creates must be positive. "
                       "Received: output_shape=" + partial_shape_json(output_shape_).dump());
  bound_ = bound.size();
  out_ = outs.size();
  kernel_initializer_.resolve();
  bias_initializer_.resolve("zeros");
}

void EinsumDense::build(const Shape& input_shape) {
  if (static_cast<std::size_t>(input_shape.rank()) != equation_.find(','))
    throw ValueError("EinsumDense \"" + name() + "\": equation " + equation_ + " expects an input of rank " +
                     std::to_string(equation_.find(',')) + ". Received: input_shape=" + input_shape.to_string());
  std::vector<std::int64_t> kernel;
  for (std::size_t i = 0; i < bound_; ++i) {
    const std::int64_t d = input_shape.dims()[input_shape.dims().size() - bound_ + i];
    if (d < 0)
      throw ValueError("EinsumDense \"" + name() + "\" needs the contracted input dimensions to be known. Received: "
                       "input_shape=" + input_shape.to_string());
    kernel.push_back(d);
  }
  const std::vector<std::int64_t> outs(output_shape_.end() - static_cast<std::ptrdiff_t>(out_), output_shape_.end());
  kernel.insert(kernel.end(), outs.begin(), outs.end());
  kernel_ = add_weight("kernel", Shape(kernel), kernel_initializer_, true);
  if (!bias_axes_.empty()) bias_ = add_weight("bias", Shape(outs), bias_initializer_, true);
}

Tensor EinsumDense::call(const Tensor& x) {
  const std::vector<std::int64_t> dims = kernel_.shape().dims();
  const std::vector<std::int64_t> bound(dims.begin(), dims.begin() + static_cast<std::ptrdiff_t>(bound_));
  const std::vector<std::int64_t> outs(dims.begin() + static_cast<std::ptrdiff_t>(bound_), dims.end());
  const int lead = x.rank() - static_cast<int>(bound_);
  const Tensor xm = bound_ == 1 ? x : reshape_keep_leading(x, lead, {product(bound)}, name());
  Tensor y = ops::matmul(xm, ops::reshape(kernel_, Shape{product(bound), product(outs)}));
  if (out_ != 1) y = reshape_keep_leading(y, lead, outs, name());
  if (bias_.defined()) y = ops::add(y, bias_);
  return activation_(y);
}

Shape EinsumDense::compute_output_shape(const Shape& input_shape) {
  Shape out;
  for (int d = 0; d < input_shape.rank() - static_cast<int>(bound_); ++d) out.push_back(input_shape.dims()[d]);
  for (std::size_t i = output_shape_.size() - out_; i < output_shape_.size(); ++i) out.push_back(output_shape_[i]);
  return out;
}

Config EinsumDense::get_config() const {
  Config c = base_config();
  c["output_shape"] = partial_shape_json(output_shape_);
  c["equation"] = equation_;
  c["activation"] = activation_.name();
  c["bias_axes"] = bias_axes_.empty() ? Config(nullptr) : Config(bias_axes_);
  c["kernel_initializer"] = initializers::serialize(*kernel_initializer_.resolve());
  c["bias_initializer"] = initializers::serialize(*bias_initializer_.resolve("zeros"));
  c["kernel_regularizer"] = regularizers::to_json(weight_regularizer("kernel"));
  c["bias_regularizer"] = regularizers::to_json(weight_regularizer("bias"));
  c["activity_regularizer"] = regularizers::to_json(activity_regularizer());
  c["kernel_constraint"] = constraints::to_json(weight_constraint("kernel"));
  c["bias_constraint"] = constraints::to_json(weight_constraint("bias"));
  c["quantization_config"] = nullptr;
  return c;
}

// ---- MultiHeadAttention ----------------------------------------------------------------------

MultiHeadAttention::MultiHeadAttention(std::int64_t num_heads, std::int64_t key_dim, MultiHeadAttentionOptions o)
    : Layer(LayerOptions{.name = o.name, .trainable = o.trainable, .dtype = o.dtype}, "MultiHeadAttention"),
      num_heads_(num_heads), key_dim_(key_dim), value_dim_(o.value_dim.value_or(key_dim)), options_(std::move(o)),
      seed_generator_(options_.seed) {
  if (num_heads <= 0)
    throw ValueError("Layer \"" + name() + "\" (MultiHeadAttention): received an invalid value for argument "
                     "`num_heads`, expected a positive integer. Received: num_heads=" + std::to_string(num_heads));
  if (key_dim <= 0)
    throw ValueError("Layer \"" + name() + "\" (MultiHeadAttention): received an invalid value for argument "
                     "`key_dim`, expected a positive integer. Received: key_dim=" + std::to_string(key_dim));
  if (options_.value_dim && *options_.value_dim <= 0)
    throw ValueError("Received an invalid value for argument `value_dim`, expected a positive integer or `None`. "
                     "Received: value_dim=" + std::to_string(*options_.value_dim));
  if (!(options_.dropout >= 0.0 && options_.dropout <= 1.0))
    throw ValueError("Invalid value received for argument `dropout`. Expected a float value between 0 and 1. "
                     "Received: dropout=" + std::to_string(options_.dropout));
  if (options_.sliding_window && *options_.sliding_window <= 0)
    throw ValueError("`sliding_window` must be `None` or a positive integer. Received: sliding_window=" +
                     std::to_string(*options_.sliding_window));
  for (auto d : options_.output_shape)
    if (d <= 0) throw ValueError("Invalid `output_shape`: its entries must be positive integers.");
  options_.kernel_initializer.resolve();
  options_.bias_initializer.resolve("zeros");
}

std::vector<int> MultiHeadAttention::resolved_axes(int input_rank) const {
  // Axes of the projected (batch, *spatial, heads, dim) tensors, as Keras normalizes them.
  std::vector<int> axes;
  if (options_.attention_axes.empty()) {
    for (int a = 1; a < input_rank - 1; ++a) axes.push_back(a);
    return axes;
  }
  for (int a : options_.attention_axes) {
    const int n = a >= 0 ? a : input_rank + a;
    if (n < 1 || n > input_rank - 2)
      throw ValueError("Layer \"" + name() + "\": attention_axes must be axes between the batch and the feature "
                       "axes of inputs of rank " + std::to_string(input_rank) + ". Received: attention axis " +
                       std::to_string(a));
    axes.push_back(n);
  }
  return axes;
}

void MultiHeadAttention::validate(const std::vector<Shape>& shapes) const {
  const std::string head = "Layer \"" + name() + "\" (MultiHeadAttention): ";
  if (shapes.size() < 2 || shapes.size() > 4)
    throw ValueError(head + "expects [query, value], [query, value, key] or [query, value, key, attention_mask]. "
                     "Received: " + std::to_string(shapes.size()) + " inputs");
  const Shape& q = shapes[0];
  const Shape& v = shapes[1];
  const Shape& k = shapes.size() > 2 ? shapes[2] : v;
  const auto match = [](std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; };
  bool same = v.rank() == k.rank();
  for (int d = 0; same && d + 1 < v.rank(); ++d) same = match(v.dims()[d], k.dims()[d]);
  if (!same)
    throw ValueError(head + "all dimensions of `value` and `key`, except the last one, must be equal. Received: "
                     "value_shape=" + v.to_string() + " and key_shape=" + k.to_string());
  if (q.rank() < 3 || q.rank() != v.rank())
    throw ValueError(head + "expects query and value of the same rank (>= 3): (batch, *steps, features). Received: "
                     "query_shape=" + q.to_string() + " and value_shape=" + v.to_string());
  const std::vector<int> axes = resolved_axes(q.rank());
  for (int d = 0; d + 1 < q.rank(); ++d) {
    const bool attended = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (!attended && !match(q.dims()[d], v.dims()[d]))
      throw ValueError(head + "query and value must agree on the batch and the non-attention axes (axis " +
                       std::to_string(d) + "). Received: query_shape=" + q.to_string() + " and value_shape=" +
                       v.to_string());
  }
  if (q.dims().back() < 0 || k.dims().back() < 0 || v.dims().back() < 0)
    throw ValueError(head + "the feature (last) dimensions of query, value and key must be known. Received: "
                     "query_shape=" + q.to_string() + ", value_shape=" + v.to_string() + ", key_shape=" + k.to_string());
  if (shapes.size() > 3) {
    const Shape& m = shapes[3];
    const bool ok = q.rank() == 3 && m.rank() == 3 && match(m.dims()[0], q.dims()[0]) && match(m.dims()[1], q.dims()[1]) &&
                    match(m.dims()[2], v.dims()[1]);
    if (!ok)
      throw ValueError(head + "attention_mask must have shape (batch, query steps, value steps) = " +
                       Shape{q.dims()[0], q.dims()[1], v.dims()[1]}.to_string() + ". Received: attention_mask shape " +
                       m.to_string());
  }
}

void MultiHeadAttention::build(const std::vector<Shape>& shapes) {
  validate(shapes);
  const Shape& q = shapes[0];
  const Shape& v = shapes[1];
  const Shape& k = shapes.size() > 2 ? shapes[2] : v;
  const bool bias = options_.use_bias;
  auto dense = [&](int rank, int bound, const std::vector<std::int64_t>& known, const std::string& name,
                   activations::ActivationArg activation) {
    std::string bias_axes;
    const std::string eq = projection_equation(rank - 1, bound, static_cast<int>(known.size()), &bias_axes);
    const int output_rank = rank - 1 + static_cast<int>(known.size());
    return std::make_shared<EinsumDense>(eq, partial_output(output_rank - 1, known), bias ? bias_axes : "",
                                         std::move(activation), options_.kernel_initializer, options_.bias_initializer,
                                         LayerOptions{.name = name, .trainable = trainable(), .dtype = dtype()});
  };
  query_ = track(dense(q.rank(), 1, {num_heads_, key_dim_}, "query", {}));
  query_->build_once({q});
  key_ = track(dense(k.rank(), 1, {num_heads_, key_dim_}, "key", {}));
  key_->build_once({k});
  if (options_.use_gate) {
    gate_ = track(dense(q.rank(), 1, {num_heads_, value_dim_}, "gate", "sigmoid"));
    gate_->build_once({q});
  }
  value_ = track(dense(v.rank(), 1, {num_heads_, value_dim_}, "value", {}));
  value_->build_once({v});
  // Keras builds a Softmax and a Dropout layer here: they take their auto-names.
  unique_name("softmax");
  unique_name("dropout");
  const std::vector<std::int64_t> out_dims =
      options_.output_shape.empty() ? std::vector<std::int64_t>{q.dims().back()} : options_.output_shape;
  output_ = track(dense(q.rank(), 2, out_dims, "attention_output", {}));
  Shape projected = query_->compute_output_shape(q);
  projected.dims().back() = value_dim_;
  output_->build_once({projected});
  // Keras stores the resolved axes, and serializes them once built.
  const auto axes = resolved_axes(q.rank());
  options_.attention_axes.assign(axes.begin(), axes.end());
}

Tensor MultiHeadAttention::attention_mask(const std::vector<Tensor>& inputs, const Tensor& query,
                                          const Tensor& value) const {
  const Tensor q_mask = get_keras_mask(query), v_mask = get_keras_mask(value);
  Tensor k_mask;
  if (inputs.size() > 2 && inputs[2].node() != value.node()) k_mask = get_keras_mask(inputs[2]);
  Tensor mask;
  const auto combine = [&](const Tensor& m) { mask = mask.defined() ? ops::logical_and(mask, m) : m; };
  if (q_mask.defined()) combine(ops::expand_dims(q_mask, -1));  // (B, T, 1)
  if (v_mask.defined()) combine(ops::expand_dims(v_mask, -2));  // (B, 1, S)
  if (k_mask.defined()) combine(ops::expand_dims(k_mask, -2));
  const std::int64_t t = query.shape().dims()[1], s = value.shape().dims()[1];
  if (call_options_.use_causal_mask) combine(causal_mask(t, s, name()));
  if (options_.sliding_window) {
    if (t < 0 || s < 0)
      throw ValueError("Layer \"" + name() + "\": sliding_window needs known sequence lengths. Received: query shape " +
                       query.shape().to_string() + ", value shape " + value.shape().to_string());
    std::vector<bool> band(static_cast<std::size_t>(t * s));
    for (std::int64_t i = 0; i < t; ++i)
      for (std::int64_t j = 0; j < s; ++j) band[static_cast<std::size_t>(i * s + j)] = std::abs(i - j) < *options_.sliding_window;
    combine(Tensor::from_bools(band, Shape{1, t, s}));
  }
  if (inputs.size() > 3) {
    const Tensor& given = inputs[3];
    combine(given.dtype() == DType::bool_ ? given : ops::greater(given, Tensor::scalar(0.5, given.dtype())));
  }
  return mask;
}

Outputs MultiHeadAttention::call(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  validate(shapes);
  const Tensor& query = inputs[0];
  const Tensor& value = inputs[1];
  const Tensor& key = inputs.size() > 2 ? inputs[2] : inputs[1];
  const int r = query.rank();
  const std::vector<int> axes = resolved_axes(r);
  const Tensor mask = attention_mask(inputs, query, value);
  if (mask.defined() && r != 3)
    throw NotImplementedError("Layer \"" + name() + "\": masks are supported for inputs of rank 3 (batch, steps, "
                              "features). Received: query_shape=" + query.shape().to_string());

  // Projected (B, *steps, heads, dim) -> (B, *other axes, heads, *attention axes, dim), with the
  // attention axes merged into one so that scores are one batched product.
  std::vector<int> other;
  for (int d = 1; d < r - 1; ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) other.push_back(d);
  std::vector<int> perm{0};
  perm.insert(perm.end(), other.begin(), other.end());
  perm.push_back(r - 1);
  perm.insert(perm.end(), axes.begin(), axes.end());
  perm.push_back(r);
  const int lead = 2 + static_cast<int>(other.size());
  auto to_heads = [&](const Tensor& projected, std::vector<std::int64_t>* attended) {
    Tensor t = ops::transpose(projected, perm);
    attended->assign(t.shape().dims().begin() + lead, t.shape().dims().end() - 1);
    if (axes.size() == 1) return t;
    const std::int64_t n = std::find(attended->begin(), attended->end(), -1) != attended->end() ? -1 : product(*attended);
    return reshape_keep_leading(t, lead, {n, t.shape().dims().back()}, name());
  };
  std::vector<std::int64_t> q_steps, v_steps, k_steps;
  const Tensor q = ops::multiply(to_heads((*query_)(query, training), &q_steps),
                                 Tensor::scalar(1.0 / std::sqrt(static_cast<double>(key_dim_)), query.dtype()));
  const Tensor k = to_heads((*key_)(key, training), &k_steps);
  const Tensor v = to_heads((*value_)(value, training), &v_steps);
  std::vector<int> swap;
  for (int d = 0; d < k.rank(); ++d) swap.push_back(d);
  std::swap(swap[swap.size() - 1], swap[swap.size() - 2]);
  Tensor scores = ops::matmul(q, ops::transpose(k, swap));  // (B, *other, heads, Tq, Tv)
  Tensor m;
  if (mask.defined()) {
    m = ops::expand_dims(mask, 1);  // one mask for every head
    scores = ops::where(m, scores, ops::full_like(scores, -1e9));
  }
  Tensor weights = ops::softmax(scores, -1);
  // Keras's fused dot_product_attention path (no dropout, no scores returned, 3-D inputs)
  // leaves a fully masked row uniform; its Softmax-layer path zeroes it.
  const bool fused_path = options_.dropout == 0.0 && !call_options_.return_attention_scores && r == 3;
  if (m.defined() && !fused_path) weights = ops::where(m, weights, ops::zeros_like(weights));
  if (training && options_.dropout > 0.0) weights = random::dropout(weights, options_.dropout, seed_generator_);
  Tensor out = ops::matmul(weights, v);  // (B, *other, heads, Tq, value_dim)
  if (axes.size() > 1) {
    std::vector<std::int64_t> tail = q_steps;
    tail.push_back(value_dim_);
    out = reshape_keep_leading(out, lead, tail, name());
  }
  out = ops::transpose(out, inverse(perm));  // (B, *steps, heads, value_dim)
  if (gate_) out = ops::multiply(out, (*gate_)(query, training));
  Tensor result = (*output_)(out, training);
  const Tensor q_mask = get_keras_mask(query);
  if (q_mask.defined()) set_keras_mask(result, q_mask);
  if (!call_options_.return_attention_scores) return Outputs{result};
  if (axes.size() > 1) {
    std::vector<std::int64_t> tail = q_steps;
    tail.insert(tail.end(), k_steps.begin(), k_steps.end());
    weights = reshape_keep_leading(weights, lead, tail, name());
  }
  return Outputs{result, weights};
}

std::vector<Shape> MultiHeadAttention::compute_output_shape(const std::vector<Shape>& shapes) {
  validate(shapes);
  const Shape& q = shapes[0];
  const Shape& k = shapes.size() > 2 ? shapes[2] : shapes[1];
  Shape out;
  for (int d = 0; d + 1 < q.rank(); ++d) out.push_back(q.dims()[d]);
  if (options_.output_shape.empty()) out.push_back(q.dims().back());
  for (auto d : options_.output_shape) out.push_back(d);
  if (!call_options_.return_attention_scores) return {out};
  const auto axes = resolved_axes(q.rank());
  Shape scores{q.dims()[0]};
  for (int d = 1; d + 1 < q.rank(); ++d)
    if (std::find(axes.begin(), axes.end(), d) == axes.end()) scores.push_back(q.dims()[d]);
  scores.push_back(num_heads_);
  for (int a : axes) scores.push_back(q.dims()[a]);
  for (int a : axes) scores.push_back(k.dims()[a]);
  return {out, scores};
}

Config MultiHeadAttention::get_config() const {
  Config c = base_config();
  c["num_heads"] = num_heads_;
  c["key_dim"] = key_dim_;
  c["value_dim"] = value_dim_;
  c["dropout"] = options_.dropout;
  c["use_bias"] = options_.use_bias;
  c["use_gate"] = options_.use_gate;
  c["output_shape"] = options_.output_shape.empty() ? Config(nullptr) : partial_shape_json(options_.output_shape);
  if (options_.attention_axes.empty()) {
    c["attention_axes"] = nullptr;
  } else {
    Config axes = Config::array();
    for (int a : options_.attention_axes) axes.push_back(a);
    c["attention_axes"] = axes;
  }
  c["sliding_window"] = options_.sliding_window ? Config(*options_.sliding_window) : Config(nullptr);
  c["kernel_initializer"] = initializers::serialize(*options_.kernel_initializer.resolve());
  c["bias_initializer"] = initializers::serialize(*options_.bias_initializer.resolve("zeros"));
  for (const char* k : {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                        "bias_constraint"})
    c[k] = nullptr;
  c["seed"] = options_.seed ? Config(*options_.seed) : Config(nullptr);
  return c;
}

}  // namespace keras::layers
