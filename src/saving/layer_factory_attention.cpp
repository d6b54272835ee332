// from_config for the attention layers: Attention, AdditiveAttention, EinsumDense and
// MultiHeadAttention (the keys of keras/src/layers/attention/*.py and core/einsum_dense.py).
#include <map>

#include "keras/layers/attention.h"
#include "saving/config_utils.h"
#include "saving/layer_factory.h"

namespace keras::saving::detail {

namespace {

using namespace keras::layers;

std::string where_of(const std::string& cls, const Config& c) {
  return cls + " layer '" + get_or<std::string>(c, "name", "?", cls) + "'";
}

std::optional<std::uint64_t> seed(const Config& c, const std::string& where) {
  if (!c.contains("seed") || c["seed"].is_null()) return std::nullopt;
  if (!c["seed"].is_number_integer()) throw TypeError(where + ": `seed` must be an int or null. Received: " + brief(c["seed"]));
  return static_cast<std::uint64_t>(c["seed"].get<std::int64_t>());
}

initializers::InitializerArg init(const Config& c, const char* key, const char* fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  return initializer_from_json(c[key], where + " `" + key + "`");
}

// An int, or a list of ints and nulls (Keras's partial shapes); null -> -1.
std::vector<std::int64_t> partial_dims(const Config& v, const std::string& what) {
  if (v.is_number_integer()) return {v.get<std::int64_t>()};
  if (!v.is_array()) throw TypeError(what + ": expected an int or a list of ints and nulls. Received: " + brief(v));
  std::vector<std::int64_t> out;
  for (const auto& d : v) {
    if (d.is_null()) out.push_back(-1);
    else if (d.is_number_integer()) out.push_back(d.get<std::int64_t>());
    else throw TypeError(what + ": expected an int or a list of ints and nulls. Received: " + brief(v));
  }
  return out;
}

// Keras 2 configs of Attention had `causal` (later a call argument, use_causal_mask).
template <class L>
std::shared_ptr<Layer> attention_from(const Config& c, const char* cls, bool default_scale) {
  const std::string where = where_of(cls, c);
  const auto o = layer_options(c);
  AttentionOptions a;
  a.use_scale = get_or<bool>(c, "use_scale", default_scale, where);
  a.score_mode = get_or<std::string>(c, "score_mode", "dot", where);
  a.dropout = get_or<double>(c, "dropout", 0.0, where);
  a.seed = seed(c, where);
  a.name = o.name;
  a.trainable = o.trainable;
  a.dtype = o.dtype;
  auto layer = make<L>(a);
  if (get_or<bool>(c, "causal", false, where)) layer->set_call_options({.use_causal_mask = true});
  return layer;
}

std::shared_ptr<Layer> make_einsum_dense(const Config& c, const LoadOptions&) {
  const std::string where = where_of("EinsumDense", c);
  refuse_unsupported(c, {"lora_rank", "quantization_config", "gptq_unpacked_column_size"}, where);
  const auto equation = get_required<std::string>(c, "equation", where);
  if (!c.contains("output_shape") || c["output_shape"].is_null())
    throw ValueError(where + ": the config has no 'output_shape'. Received: " + brief(c));
  const auto output_shape = partial_dims(c["output_shape"], where + " `output_shape`");
  const auto bias_axes = get_or<std::string>(c, "bias_axes", "", where);
  activations::ActivationArg activation;
  if (c.contains("activation")) activation = activation_from_json(c["activation"], where);
  return with_weight_options(make<EinsumDense>(equation, output_shape, bias_axes, activation,
                                               init(c, "kernel_initializer", "glorot_uniform", where),
                                               init(c, "bias_initializer", "zeros", where), layer_options(c)),
                             c, where, {"kernel", "bias"});
}

std::shared_ptr<Layer> make_multi_head_attention(const Config& c, const LoadOptions&) {
  const std::string where = where_of("MultiHeadAttention", c);
  refuse_unsupported(c, {"kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                         "bias_constraint"},
                     where);
  const auto o = layer_options(c);
  MultiHeadAttentionOptions m;
  if (c.contains("value_dim") && !c["value_dim"].is_null()) m.value_dim = get_or<std::int64_t>(c, "value_dim", 0, where);
  m.dropout = get_or<double>(c, "dropout", 0.0, where);
  m.use_bias = get_or<bool>(c, "use_bias", true, where);
  if (c.contains("output_shape") && !c["output_shape"].is_null())
    m.output_shape = partial_dims(c["output_shape"], where + " `output_shape`");
  if (c.contains("attention_axes") && !c["attention_axes"].is_null())
    for (auto a : partial_dims(c["attention_axes"], where + " `attention_axes`")) m.attention_axes.push_back(static_cast<int>(a));
  if (c.contains("sliding_window") && !c["sliding_window"].is_null())
    m.sliding_window = get_or<std::int64_t>(c, "sliding_window", 0, where);
  m.kernel_initializer = init(c, "kernel_initializer", "glorot_uniform", where);
  m.bias_initializer = init(c, "bias_initializer", "zeros", where);
  m.use_gate = get_or<bool>(c, "use_gate", false, where);
  m.seed = seed(c, where);
  m.name = o.name;
  m.trainable = o.trainable;
  m.dtype = o.dtype;
  return make<MultiHeadAttention>(get_required<std::int64_t>(c, "num_heads", where),
                                  get_required<std::int64_t>(c, "key_dim", where), m);
}

}  // namespace

void add_attention_builtins(std::map<std::string, BuiltinFactory>& t) {
  t["Attention"] = [](const Config& c, const LoadOptions&) { return attention_from<Attention>(c, "Attention", false); };
  t["AdditiveAttention"] = [](const Config& c, const LoadOptions&) {
    return attention_from<AdditiveAttention>(c, "AdditiveAttention", true);
  };
  t["EinsumDense"] = make_einsum_dense;
  t["MultiHeadAttention"] = make_multi_head_attention;
}

}  // namespace keras::saving::detail
