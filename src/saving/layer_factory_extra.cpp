// from_config for the recurrent, embedding, activation, regularization and reshaping layers
// (see layer_factory.cpp for the core ones).
#include <functional>
#include <map>

#include "keras/layers/activation_layers.h"
#include "keras/layers/core_extra.h"
#include "keras/layers/embedding.h"
#include "keras/layers/preprocessing.h"
#include "keras/layers/recurrent.h"
#include "keras/layers/regularization.h"
#include "keras/layers/reshaping.h"
#include "saving/config_utils.h"
#include "saving/layer_factory.h"

namespace keras::saving::detail {

namespace {

using namespace keras::layers;

std::string where_of(const std::string& cls, const Config& c) {
  return cls + " layer '" + get_or<std::string>(c, "name", "?", cls) + "'";
}

template <class T>
T get(const Config& c, const char* key, const T& fallback, const std::string& where) {
  return get_or<T>(c, key, fallback, where);
}

std::optional<std::uint64_t> seed(const Config& c) {
  if (c.contains("seed") && c["seed"].is_number_integer()) return c["seed"].get<std::uint64_t>();
  return std::nullopt;
}

std::vector<int> int_list(const Config& c, const char* key, std::vector<int> fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  std::vector<int> out;
  for (auto v : ints_from_json(c[key], where + " `" + key + "`")) out.push_back(static_cast<int>(v));
  return out;
}

initializers::InitializerArg init(const Config& c, const char* key, const char* fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  return initializer_from_json(c[key], where + " `" + key + "`");
}

activations::ActivationArg act(const Config& c, const char* key, const char* fallback, const std::string& where) {
  if (!c.contains(key)) return fallback;
  return activation_from_json(c[key], where);
}

// Keras's recurrent configs (layer or cell): the same keys on both.
RecurrentOptions recurrent_options(const Config& c, const std::string& where) {
  auto o = layer_options(c);
  RecurrentOptions r;
  r.activation = act(c, "activation", "tanh", where);
  r.recurrent_activation = act(c, "recurrent_activation", "sigmoid", where);
  r.use_bias = get<bool>(c, "use_bias", true, where);
  r.kernel_initializer = init(c, "kernel_initializer", "glorot_uniform", where);
  r.recurrent_initializer = init(c, "recurrent_initializer", "orthogonal", where);
  r.bias_initializer = init(c, "bias_initializer", "zeros", where);
  r.unit_forget_bias = get<bool>(c, "unit_forget_bias", true, where);
  r.reset_after = get<bool>(c, "reset_after", true, where);
  r.dropout = get<double>(c, "dropout", 0.0, where);
  r.recurrent_dropout = get<double>(c, "recurrent_dropout", 0.0, where);
  r.seed = seed(c);
  r.return_sequences = get<bool>(c, "return_sequences", false, where);
  r.return_state = get<bool>(c, "return_state", false, where);
  r.go_backwards = get<bool>(c, "go_backwards", false, where);
  r.stateful = get<bool>(c, "stateful", false, where);
  r.unroll = get<bool>(c, "unroll", false, where);
  r.zero_output_for_mask = get<bool>(c, "zero_output_for_mask", false, where);
  r.name = o.name;
  r.trainable = o.trainable;
  r.dtype = o.dtype;
  return r;
}

template <class L>
BuiltinFactory recurrent_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    if (get<bool>(c, "time_major", false, where))
      throw NotImplementedError(where + ": time_major=True (a Keras 2 option) is not supported");
    return with_weight_options(make<L>(get_required<std::int64_t>(c, "units", where), recurrent_options(c, where)),
                               c, where, {"kernel", "recurrent", "bias"});
  };
}

// A nested serialized layer ({"class_name", "config", ...}) of the type the wrapper needs.
template <class L>
std::shared_ptr<L> nested(const Config& c, const char* key, const LoadOptions& options, const std::string& where) {
  if (!c.contains(key) || !c[key].is_object())
    throw ValueError(where + ": the config has no `" + key + "` layer. Received: " + brief(c));
  auto layer = std::dynamic_pointer_cast<L>(deserialize_layer(c[key], options));
  if (!layer) throw TypeError(where + ": `" + key + "` is not a layer of the expected kind. Received: " + brief(c[key]));
  return layer;
}

std::vector<Ints> pairs(const Config& c, const char* key, std::vector<Ints> fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  const Config& v = c[key];
  if (v.is_number_integer()) return {{v.get<std::int64_t>()}, {v.get<std::int64_t>()}};
  std::vector<Ints> out;
  if (!v.is_array()) throw TypeError(where + ": `" + key + "` must be a list. Received: " + brief(v));
  for (const auto& e : v) out.push_back(ints_from_json(e, where + " `" + key + "`"));
  return out;
}

// A number or nested lists as a float64 tensor (numpy's tolist() form).
Tensor tensor_from_json(const Config& v, const std::string& where) {
  std::vector<double> values;
  std::vector<std::int64_t> shape;
  std::function<void(const Config&, std::size_t)> walk = [&](const Config& x, std::size_t depth) {
    if (x.is_number()) {
      values.push_back(x.get<double>());
      return;
    }
    if (!x.is_array()) throw TypeError(where + ": expected numbers or nested lists. Received: " + brief(v));
    if (shape.size() <= depth) shape.push_back(static_cast<std::int64_t>(x.size()));
    else if (shape[depth] != static_cast<std::int64_t>(x.size()))
      throw ValueError(where + ": expected a rectangular nested list. Received: " + brief(v));
    for (const auto& e : x) walk(e, depth + 1);
  };
  walk(v, 0);
  return Tensor::from_vector(values, Shape(shape));
}

}  // namespace

void add_extra_builtins(std::map<std::string, BuiltinFactory>& t) {
  t["Embedding"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Embedding", c);
    refuse_unsupported(c, {"lora_rank", "quantization_config"}, where);
    auto o = layer_options(c);
    EmbeddingOptions e;
    e.embeddings_initializer = init(c, "embeddings_initializer", "uniform", where);
    e.mask_zero = get<bool>(c, "mask_zero", false, where);
    e.name = o.name;
    e.trainable = o.trainable;
    e.dtype = o.dtype;
    return with_weight_options(make<Embedding>(get_required<std::int64_t>(c, "input_dim", where),
                                               get_required<std::int64_t>(c, "output_dim", where), e),
                               c, where, {"embeddings"});
  };
  t["SimpleRNN"] = recurrent_factory<SimpleRNN>("SimpleRNN");
  t["LSTM"] = recurrent_factory<LSTM>("LSTM");
  t["GRU"] = recurrent_factory<GRU>("GRU");
  t["SimpleRNNCell"] = recurrent_factory<SimpleRNNCell>("SimpleRNNCell");
  t["LSTMCell"] = recurrent_factory<LSTMCell>("LSTMCell");
  t["GRUCell"] = recurrent_factory<GRUCell>("GRUCell");
  t["RNN"] = [](const Config& c, const LoadOptions& options) -> std::shared_ptr<Layer> {
    const std::string where = where_of("RNN", c);
    return make<RNN>(nested<RNNCell>(c, "cell", options, where), recurrent_options(c, where));
  };
  t["Bidirectional"] = [](const Config& c, const LoadOptions& options) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Bidirectional", c);
    auto forward = nested<RNN>(c, "layer", options, where);
    std::shared_ptr<RNN> backward;
    if (c.contains("backward_layer") && c["backward_layer"].is_object())
      backward = nested<RNN>(c, "backward_layer", options, where);
    std::string merge = c.contains("merge_mode") && c["merge_mode"].is_string() ? c["merge_mode"].get<std::string>() : "";
    return make<Bidirectional>(forward, merge, backward, layer_options(c));
  };
  t["TimeDistributed"] = [](const Config& c, const LoadOptions& options) -> std::shared_ptr<Layer> {
    const std::string where = where_of("TimeDistributed", c);
    return make<TimeDistributed>(nested<Layer>(c, "layer", options, where), layer_options(c));
  };
  t["Rescaling"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Rescaling", c);
    auto values = [&](const char* key, double fallback) {
      if (!c.contains(key) || c[key].is_null()) return std::vector<double>{fallback};
      if (c[key].is_number()) return std::vector<double>{c[key].get<double>()};
      return get<std::vector<double>>(c, key, {fallback}, where);
    };
    const bool scalar = !c.contains("scale") || c["scale"].is_number();
    const bool scalar_offset = !c.contains("offset") || c["offset"].is_number() || c["offset"].is_null();
    if (scalar && scalar_offset) return make<Rescaling>(values("scale", 1.0)[0], values("offset", 0.0)[0], layer_options(c));
    return make<Rescaling>(values("scale", 1.0), values("offset", 0.0), layer_options(c));
  };
  t["Normalization"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Normalization", c);
    auto o = layer_options(c);
    NormalizationOptions n;
    n.axis = c.contains("axis") && c["axis"].is_null() ? std::vector<int>{} : int_list(c, "axis", {-1}, where);
    if (c.contains("mean") && !c["mean"].is_null()) n.mean = tensor_from_json(c["mean"], where + " `mean`");
    if (c.contains("variance") && !c["variance"].is_null())
      n.variance = tensor_from_json(c["variance"], where + " `variance`");
    n.invert = get<bool>(c, "invert", false, where);
    n.name = o.name;
    n.trainable = o.trainable;
    n.dtype = o.dtype;
    return make<Normalization>(n);
  };
  t["Masking"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<Masking>(get<double>(c, "mask_value", 0.0, where_of("Masking", c)), layer_options(c));
  };
  t["ReLU"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("ReLU", c);
    std::optional<double> max_value;
    if (c.contains("max_value") && !c["max_value"].is_null()) max_value = get<double>(c, "max_value", 0.0, where);
    return make<ReLU>(max_value, get<double>(c, "negative_slope", 0.0, where), get<double>(c, "threshold", 0.0, where),
                      layer_options(c));
  };
  t["LeakyReLU"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("LeakyReLU", c);
    double slope = c.contains("negative_slope") ? get<double>(c, "negative_slope", 0.3, where)
                                                : get<double>(c, "alpha", 0.3, where);  // Keras 2's name
    return make<LeakyReLU>(slope, layer_options(c));
  };
  t["PReLU"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("PReLU", c);
    refuse_unsupported(c, {"alpha_regularizer", "alpha_constraint"}, where);
    std::optional<std::vector<int>> shared;
    if (c.contains("shared_axes") && !c["shared_axes"].is_null()) shared = int_list(c, "shared_axes", {}, where);
    return make<PReLU>(init(c, "alpha_initializer", "zeros", where), shared, layer_options(c));
  };
  t["ELU"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<ELU>(get<double>(c, "alpha", 1.0, where_of("ELU", c)), layer_options(c));
  };
  t["Softmax"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<Softmax>(int_list(c, "axis", {-1}, where_of("Softmax", c)), layer_options(c));
  };
  t["SpatialDropout1D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<SpatialDropout1D>(get_required<double>(c, "rate", where_of("SpatialDropout1D", c)), seed(c),
                                  layer_options(c));
  };
  t["SpatialDropout2D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("SpatialDropout2D", c);
    return make<SpatialDropout2D>(get_required<double>(c, "rate", where),
                                  get<std::string>(c, "data_format", "channels_last", where), seed(c), layer_options(c));
  };
  t["SpatialDropout3D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("SpatialDropout3D", c);
    return make<SpatialDropout3D>(get_required<double>(c, "rate", where),
                                  get<std::string>(c, "data_format", "channels_last", where), seed(c), layer_options(c));
  };
  t["GaussianNoise"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<GaussianNoise>(get_required<double>(c, "stddev", where_of("GaussianNoise", c)), seed(c), layer_options(c));
  };
  t["GaussianDropout"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<GaussianDropout>(get_required<double>(c, "rate", where_of("GaussianDropout", c)), seed(c),
                                 layer_options(c));
  };
  t["ActivityRegularization"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("ActivityRegularization", c);
    return make<ActivityRegularization>(get<double>(c, "l1", 0.0, where), get<double>(c, "l2", 0.0, where),
                                        layer_options(c));
  };
  t["Permute"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Permute", c);
    if (!c.contains("dims")) throw ValueError(where + ": the config has no `dims`");
    return make<Permute>(int_list(c, "dims", {}, where), layer_options(c));
  };
  t["RepeatVector"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<RepeatVector>(get_required<std::int64_t>(c, "n", where_of("RepeatVector", c)), layer_options(c));
  };
  t["Cropping1D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Cropping1D", c);
    Ints cropping = c.contains("cropping") ? ints_from_json(c["cropping"], where + " `cropping`") : Ints{1, 1};
    return make<Cropping1D>(cropping, layer_options(c));
  };
  t["Cropping2D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("Cropping2D", c);
    return make<Cropping2D>(pairs(c, "cropping", {{0, 0}, {0, 0}}, where),
                            get<std::string>(c, "data_format", "channels_last", where), layer_options(c));
  };
  t["ZeroPadding1D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("ZeroPadding1D", c);
    Ints padding = c.contains("padding") ? ints_from_json(c["padding"], where + " `padding`") : Ints{1};
    return make<ZeroPadding1D>(padding, get<std::string>(c, "data_format", "channels_last", where), layer_options(c));
  };
  t["ZeroPadding2D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("ZeroPadding2D", c);
    return make<ZeroPadding2D>(pairs(c, "padding", {{1}, {1}}, where),
                               get<std::string>(c, "data_format", "channels_last", where), layer_options(c));
  };
  t["UpSampling1D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    return make<UpSampling1D>(get<std::int64_t>(c, "size", 2, where_of("UpSampling1D", c)), layer_options(c));
  };
  t["UpSampling2D"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of("UpSampling2D", c);
    Ints size = c.contains("size") ? ints_from_json(c["size"], where + " `size`") : Ints{2, 2};
    return make<UpSampling2D>(size, get<std::string>(c, "data_format", "channels_last", where),
                              get<std::string>(c, "interpolation", "nearest", where), layer_options(c));
  };
}

}  // namespace keras::saving::detail
