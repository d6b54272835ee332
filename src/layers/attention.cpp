// Attention and AdditiveAttention (keras/src/layers/attention/{attention,additive_attention}.py).
#include "keras/layers/attention.h"

#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"
#include "attention_internal.h"

namespace keras::layers {
namespace {

std::string shapes_string(const std::vector<Shape>& shapes) {
  std::string s;
  const char* names[] = {"query", "value", "key"};
  for (std::size_t i = 0; i < shapes.size() && i < 3; ++i)
    s += std::string(i ? ", " : "") + names[i] + " shape " + shapes[i].to_string();
  return s;
}

bool dims_match(std::int64_t a, std::int64_t b) { return a < 0 || b < 0 || a == b; }

}  // namespace

Tensor causal_mask(std::int64_t tq, std::int64_t tv, const std::string& layer) {
  if (tq < 0 || tv < 0)
    throw ValueError("Layer \"" + layer + "\": use_causal_mask needs known sequence lengths. Received: Tq=" +
                     std::to_string(tq) + ", Tv=" + std::to_string(tv));
  std::vector<bool> m(static_cast<std::size_t>(tq * tv));
  for (std::int64_t i = 0; i < tq; ++i)
    for (std::int64_t j = 0; j < tv; ++j) m[static_cast<std::size_t>(i * tv + j)] = j <= i;
  return Tensor::from_bools(m, Shape{1, tq, tv});
}

// ---- Attention -------------------------------------------------------------------------------

Attention::Attention(AttentionOptions options) : Attention(std::move(options), "Attention") {}

Attention::Attention(AttentionOptions options, const std::string& class_name)
    : Layer(LayerOptions{.name = options.name, .trainable = options.trainable, .dtype = options.dtype}, class_name),
      options_(std::move(options)), seed_generator_(options_.seed) {
  if (options_.score_mode != "dot" && options_.score_mode != "concat")
    throw ValueError("Invalid value for argument score_mode. Expected one of {'dot', 'concat'}. Received: "
                     "score_mode=" + options_.score_mode);
  if (!(options_.dropout >= 0.0 && options_.dropout <= 1.0))
    throw ValueError("Invalid value received for argument `dropout`. Expected a float value between 0 and 1. "
                     "Received: dropout=" + std::to_string(options_.dropout));
}

void Attention::validate(const std::vector<Shape>& shapes) const {
  const std::string head = "Layer \"" + name() + "\" (" + class_name() + ") ";
  if (shapes.size() < 2 || shapes.size() > 3)
    throw ValueError(head + "accepts inputs list of length 2 or 3, namely [query, value] or [query, value, key]. "
                     "Received length: " + std::to_string(shapes.size()) + ".");
  const Shape& q = shapes[0];
  const Shape& v = shapes[1];
  const Shape& k = shapes.size() > 2 ? shapes[2] : shapes[1];
  const int r = q.rank();
  bool ok = r >= 3 && v.rank() == r && k.rank() == r;
  for (int d = 0; ok && d < r - 2; ++d)
    ok = dims_match(q.dims()[d], v.dims()[d]) && dims_match(q.dims()[d], k.dims()[d]);
  if (!ok)
    throw ValueError(head + "expects query, value and key of the same rank (>= 3), (batch..., steps, dim), with "
                     "the same batch dimensions. Received: " + shapes_string(shapes));
  if (!dims_match(k.dims()[r - 2], v.dims()[r - 2]))
    throw ValueError(head + "expects key and value with the same number of steps (axis -2). Received: " +
                     shapes_string(shapes));
  if (!dims_match(q.dims()[r - 1], k.dims()[r - 1]))
    throw ValueError(head + "expects query and key with the same last dimension, to score them against each other. "
                     "Received: " + shapes_string(shapes));
}

void Attention::build(const std::vector<Shape>& input_shapes) {
  validate(input_shapes);
  if (options_.use_scale) scale_ = add_weight("scale", Shape{}, "ones", true);
  if (options_.score_mode == "concat") concat_score_weight_ = add_weight("concat_score_weight", Shape{}, "ones", true);
}

Tensor Attention::calculate_scores(const Tensor& query, const Tensor& key) {
  if (options_.score_mode == "dot") {
    const int r = key.rank();
    std::vector<int> perm;
    for (int d = 0; d < r; ++d) perm.push_back(d);
    std::swap(perm[static_cast<std::size_t>(r - 1)], perm[static_cast<std::size_t>(r - 2)]);
    Tensor scores = ops::matmul(query, ops::transpose(key, perm));
    return options_.use_scale ? ops::multiply(scores, scale_) : scores;
  }
  // concat: (B, Tq, 1, d) + (B, 1, Tv, d).
  Tensor sum = ops::add(ops::expand_dims(query, -2), ops::expand_dims(key, -3));
  if (options_.use_scale) sum = ops::multiply(scale_, sum);
  return ops::multiply(concat_score_weight_, ops::sum(ops::tanh(sum), -1));
}

Outputs Attention::call(const std::vector<Tensor>& inputs, bool training) {
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) shapes.push_back(t.shape());
  validate(shapes);
  const Tensor& q = inputs[0];
  const Tensor& v = inputs[1];
  const Tensor& k = inputs.size() > 2 ? inputs[2] : inputs[1];
  const Tensor q_mask = get_keras_mask(q), v_mask = get_keras_mask(v);
  Tensor scores = calculate_scores(q, k);
  Tensor scores_mask;
  if (v_mask.defined()) scores_mask = ops::expand_dims(v_mask, -2);  // (B, 1, Tv)
  if (call_options_.use_causal_mask) {
    const Tensor causal = causal_mask(scores.shape()[-2], scores.shape()[-1], name());
    scores_mask = scores_mask.defined() ? ops::logical_and(scores_mask, causal) : causal;
  }
  if (scores_mask.defined()) {
    // Keras subtracts a large number from the masked scores (rather than replacing them).
    scores = ops::where(scores_mask, scores, ops::subtract(scores, Tensor::scalar(1e9, scores.dtype())));
  }
  Tensor weights = ops::softmax(scores, -1);
  if (training && options_.dropout > 0.0) weights = random::dropout(weights, options_.dropout, seed_generator_);
  Tensor out = ops::matmul(weights, v);
  if (q_mask.defined()) {
    out = ops::where(ops::expand_dims(q_mask, -1), out, ops::zeros_like(out));
    set_keras_mask(out, q_mask);
  }
  if (call_options_.return_attention_scores) return Outputs{out, weights};
  return Outputs{out};
}

std::vector<Shape> Attention::compute_output_shape(const std::vector<Shape>& input_shapes) {
  validate(input_shapes);
  const Shape& q = input_shapes[0];
  const Shape& v = input_shapes[1];
  Shape out = q;
  out.dims().back() = v.dims().back();
  if (!call_options_.return_attention_scores) return {out};
  Shape scores = q;
  scores.dims().back() = (input_shapes.size() > 2 ? input_shapes[2] : v).dims()[static_cast<std::size_t>(v.rank() - 2)];
  return {out, scores};
}

Config Attention::get_config() const {
  Config c = base_config();
  c["use_scale"] = options_.use_scale;
  c["score_mode"] = options_.score_mode;
  c["dropout"] = options_.dropout;
  c["seed"] = options_.seed ? Config(*options_.seed) : Config(nullptr);
  return c;
}

// ---- AdditiveAttention -----------------------------------------------------------------------

AdditiveAttention::AdditiveAttention(AttentionOptions options) : Attention(std::move(options), "AdditiveAttention") {}

void AdditiveAttention::build(const std::vector<Shape>& input_shapes) {
  validate(input_shapes);
  const std::int64_t dim = input_shapes[0].dims().back();
  if (dim < 0)
    throw ValueError("Layer \"" + name() + "\" (AdditiveAttention) needs the query's last dimension to be known. "
                     "Received: " + shapes_string(input_shapes));
  if (options_.use_scale) scale_ = add_weight("scale", Shape{dim}, "glorot_uniform", true);
}

Tensor AdditiveAttention::calculate_scores(const Tensor& query, const Tensor& key) {
  Tensor t = ops::tanh(ops::add(ops::expand_dims(query, -2), ops::expand_dims(key, -3)));
  if (options_.use_scale) t = ops::multiply(scale_, t);
  return ops::sum(t, -1);
}

Config AdditiveAttention::get_config() const {
  Config c = Attention::get_config();
  c.erase("score_mode");
  return c;
}

}  // namespace keras::layers
