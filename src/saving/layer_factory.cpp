// from_config for Keras's built-in layers: each reads the keys its get_config() writes
// (Keras 3's names; Keras 2's configs use the same keys for these layers), with Keras's
// defaults for missing ones.
#include "saving/layer_factory.h"

#include <functional>
#include <map>

#include "keras/layers/convolutional.h"
#include "keras/layers/merge.h"
#include "keras/layers/normalization.h"
#include "keras/layers/pooling.h"
#include "saving/config_utils.h"

namespace keras::saving {

layers::LayerOptions layer_options(const Config& config) {
  const std::string where = "Layer config";
  layers::LayerOptions o;
  o.name = detail::get_or<std::string>(config, "name", "", where);
  o.trainable = detail::get_or<bool>(config, "trainable", true, where);
  if (config.is_object() && config.contains("dtype")) o.dtype = detail::dtype_from_json(config["dtype"], where);
  return o;
}

namespace detail {

namespace {

using layers::Ints;
using Factory = BuiltinFactory;
using namespace keras::layers;

std::string where_of(const std::string& cls, const Config& c) {
  return cls + " layer '" + get_or<std::string>(c, "name", "?", cls) + "'";
}

template <class T>
T get(const Config& c, const char* key, const T& fallback, const std::string& where) {
  return get_or<T>(c, key, fallback, where);
}

Ints ints(const Config& c, const char* key, const Ints& fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  return ints_from_json(c[key], where + " `" + key + "`");
}

std::vector<int> axes(const Config& c, const char* key, std::vector<int> fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  std::vector<int> out;
  for (auto v : ints_from_json(c[key], where + " `" + key + "`")) out.push_back(static_cast<int>(v));
  return out;
}

activations::ActivationArg activation(const Config& c, const std::string& where) {
  return c.contains("activation") ? activation_from_json(c["activation"], where) : activations::ActivationArg();
}

initializers::InitializerArg init(const Config& c, const char* key, const char* fallback, const std::string& where) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  return initializer_from_json(c[key], where + " `" + key + "`");
}

std::shared_ptr<Layer> make_input(const Config& c, const LoadOptions&) {
  const std::string where = where_of("InputLayer", c);
  refuse_unsupported(c, {"sparse", "ragged"}, where);
  Shape batch_shape;
  if (c.contains("batch_shape") && !c["batch_shape"].is_null()) {
    batch_shape = shape_from_json(c["batch_shape"], where + " `batch_shape`");
  } else if (c.contains("batch_input_shape") && !c["batch_input_shape"].is_null()) {  // Keras 2
    batch_shape = shape_from_json(c["batch_input_shape"], where + " `batch_input_shape`");
  } else {
    throw ValueError(where + ": the config has no `batch_shape`. Received: " + brief(c));
  }
  DType dtype = c.contains("dtype") ? dtype_from_json(c["dtype"], where) : DType::float32;
  return InputLayer::from_batch_shape(batch_shape, dtype, get<std::string>(c, "name", "", where));
}

std::shared_ptr<Layer> make_dense(const Config& c, const LoadOptions&) {
  const std::string where = where_of("Dense", c);
  refuse_unsupported(c, {"lora_rank", "quantization_config"}, where);
  auto o = layer_options(c);
  DenseOptions d;
  d.activation = activation(c, where);
  d.use_bias = get<bool>(c, "use_bias", true, where);
  d.kernel_initializer = init(c, "kernel_initializer", "glorot_uniform", where);
  d.bias_initializer = init(c, "bias_initializer", "zeros", where);
  d.name = o.name;
  d.trainable = o.trainable;
  d.dtype = o.dtype;
  return with_weight_options(make<Dense>(get_required<std::int64_t>(c, "units", where), d), c, where,
                             {"kernel", "bias"});
}

template <class Options>
Options conv_common(const Config& c, const std::string& where) {
  auto o = layer_options(c);
  Options opt;
  opt.strides = ints(c, "strides", {1}, where);
  opt.padding = get<std::string>(c, "padding", "valid", where);
  opt.data_format = get<std::string>(c, "data_format", "channels_last", where);
  opt.dilation_rate = ints(c, "dilation_rate", {1}, where);
  opt.activation = activation(c, where);
  opt.use_bias = get<bool>(c, "use_bias", true, where);
  opt.bias_initializer = init(c, "bias_initializer", "zeros", where);
  opt.name = o.name;
  opt.trainable = o.trainable;
  opt.dtype = o.dtype;
  return opt;
}

template <class L>
Factory conv_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto opt = conv_common<ConvOptions>(c, where);
    opt.groups = get<std::int64_t>(c, "groups", 1, where);
    opt.kernel_initializer = init(c, "kernel_initializer", "glorot_uniform", where);
    return with_weight_options(
        make<L>(get_required<std::int64_t>(c, "filters", where), ints(c, "kernel_size", {}, where), opt), c, where,
        {"kernel", "bias"});
  };
}

template <class L>
Factory conv_transpose_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto opt = conv_common<ConvTransposeOptions>(c, where);
    if (c.contains("output_padding") && !c["output_padding"].is_null())
      opt.output_padding = ints_from_json(c["output_padding"], where + " `output_padding`");
    opt.kernel_initializer = init(c, "kernel_initializer", "glorot_uniform", where);
    return with_weight_options(
        make<L>(get_required<std::int64_t>(c, "filters", where), ints(c, "kernel_size", {}, where), opt), c, where,
        {"kernel", "bias"});
  };
}

template <class L>
Factory depthwise_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto opt = conv_common<DepthwiseConvOptions>(c, where);
    opt.depth_multiplier = get<std::int64_t>(c, "depth_multiplier", 1, where);
    opt.depthwise_initializer = init(c, "depthwise_initializer", "glorot_uniform", where);
    return with_weight_options(make<L>(ints(c, "kernel_size", {}, where), opt), c, where, {"depthwise", "bias"});
  };
}

template <class L>
Factory separable_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto opt = conv_common<SeparableConvOptions>(c, where);
    opt.depth_multiplier = get<std::int64_t>(c, "depth_multiplier", 1, where);
    opt.depthwise_initializer = init(c, "depthwise_initializer", "glorot_uniform", where);
    opt.pointwise_initializer = init(c, "pointwise_initializer", "glorot_uniform", where);
    return with_weight_options(
        make<L>(get_required<std::int64_t>(c, "filters", where), ints(c, "kernel_size", {}, where), opt), c, where,
        {"depthwise", "pointwise", "bias"});
  };
}

template <class L>
Factory pooling_factory(const char* cls, Ints default_pool) {
  return [cls, default_pool](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto o = layer_options(c);
    PoolingOptions opt;
    opt.strides = ints(c, "strides", {}, where);
    opt.padding = get<std::string>(c, "padding", "valid", where);
    opt.data_format = get<std::string>(c, "data_format", "channels_last", where);
    opt.name = o.name;
    opt.trainable = o.trainable;
    opt.dtype = o.dtype;
    return make<L>(ints(c, "pool_size", default_pool, where), opt);
  };
}

template <class L>
Factory global_pooling_factory(const char* cls) {
  return [cls](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
    const std::string where = where_of(cls, c);
    auto o = layer_options(c);
    GlobalPoolingOptions opt;
    opt.data_format = get<std::string>(c, "data_format", "channels_last", where);
    opt.keepdims = get<bool>(c, "keepdims", false, where);
    opt.name = o.name;
    opt.trainable = o.trainable;
    opt.dtype = o.dtype;
    return make<L>(opt);
  };
}

template <class L>
Factory simple_factory() {
  return [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> { return make<L>(layer_options(c)); };
}

std::shared_ptr<Layer> make_batch_norm(const Config& c, const LoadOptions&) {
  const std::string where = where_of("BatchNormalization", c);
  refuse_unsupported(c, {"renorm"}, where);
  auto o = layer_options(c);
  BatchNormalizationOptions opt;
  auto axis = axes(c, "axis", {-1}, where);
  if (axis.size() != 1) throw NotImplementedError(where + ": only one normalization axis is supported. Received: " + brief(c["axis"]));
  opt.axis = axis[0];
  opt.momentum = get<double>(c, "momentum", 0.99, where);
  opt.epsilon = get<double>(c, "epsilon", 1e-3, where);
  opt.center = get<bool>(c, "center", true, where);
  opt.scale = get<bool>(c, "scale", true, where);
  opt.beta_initializer = init(c, "beta_initializer", "zeros", where);
  opt.gamma_initializer = init(c, "gamma_initializer", "ones", where);
  opt.moving_mean_initializer = init(c, "moving_mean_initializer", "zeros", where);
  opt.moving_variance_initializer = init(c, "moving_variance_initializer", "ones", where);
  opt.name = o.name;
  opt.trainable = o.trainable;
  opt.dtype = o.dtype;
  return with_weight_options(make<BatchNormalization>(opt), c, where, {"beta", "gamma"});
}

std::shared_ptr<Layer> make_layer_norm(const Config& c, const LoadOptions&) {
  const std::string where = where_of("LayerNormalization", c);
  auto o = layer_options(c);
  LayerNormalizationOptions opt;
  opt.axis = axes(c, "axis", {-1}, where);
  opt.epsilon = get<double>(c, "epsilon", 1e-3, where);
  opt.center = get<bool>(c, "center", true, where);
  opt.scale = get<bool>(c, "scale", true, where);
  opt.rms_scaling = get<bool>(c, "rms_scaling", false, where);
  opt.beta_initializer = init(c, "beta_initializer", "zeros", where);
  opt.gamma_initializer = init(c, "gamma_initializer", "ones", where);
  opt.name = o.name;
  opt.trainable = o.trainable;
  opt.dtype = o.dtype;
  return with_weight_options(make<LayerNormalization>(opt), c, where, {"beta", "gamma"});
}

std::shared_ptr<Layer> make_group_norm(const Config& c, const LoadOptions&) {
  const std::string where = where_of("GroupNormalization", c);
  auto o = layer_options(c);
  GroupNormalizationOptions opt;
  opt.groups = get<std::int64_t>(c, "groups", 32, where);
  opt.axis = get<int>(c, "axis", -1, where);
  opt.epsilon = get<double>(c, "epsilon", 1e-3, where);
  opt.center = get<bool>(c, "center", true, where);
  opt.scale = get<bool>(c, "scale", true, where);
  opt.beta_initializer = init(c, "beta_initializer", "zeros", where);
  opt.gamma_initializer = init(c, "gamma_initializer", "ones", where);
  opt.name = o.name;
  opt.trainable = o.trainable;
  opt.dtype = o.dtype;
  return with_weight_options(make<GroupNormalization>(opt), c, where, {"beta", "gamma"});
}

std::shared_ptr<Layer> make_lambda(const Config& c, const LoadOptions& options) {
  auto o = layer_options(c);
  const std::string where = where_of("Lambda", c);
  std::optional<Shape> output_shape;
  bool python_output_shape = false;
  if (c.contains("output_shape") && !c["output_shape"].is_null()) {
    if (c["output_shape"].is_array()) output_shape = shape_from_json(c["output_shape"], where + " `output_shape`");
    else python_output_shape = true;  // a Python function: the C++ function's traced shape is used instead
  }
  const Config fn = c.contains("function") ? c["function"] : Config(nullptr);
  const bool python_lambda = fn.is_object() && fn.value("class_name", "") == "__lambda__";
  std::string fn_name;
  if (fn.is_string()) {
    fn_name = fn.get<std::string>();
  } else if (fn.is_object() && !python_lambda) {
    if (fn.contains("registered_name") && fn["registered_name"].is_string()) fn_name = fn["registered_name"];
    else if (fn.contains("config") && fn["config"].is_string()) fn_name = fn["config"];
  }

  auto replacement = options.lambda_functions.find(o.name);
  if (replacement != options.lambda_functions.end())
    return replacement->second.make_layer(fn_name.empty() ? o.name : fn_name, o, output_shape);
  if (python_lambda)
    throw ValueError(where + " holds a Python lambda (bytecode), which keras.cpp never executes. To load this model, "
                     "supply a C++ function for it: LoadOptions::lambda_functions[\"" + o.name + "\"] = <function>.");
  if (python_output_shape)
    throw ValueError(where + " has a Python `output_shape` function, which keras.cpp never executes.");
  if (fn_name.empty())
    throw ValueError(where + " has no function name in its config. Supply a C++ function for it: "
                     "LoadOptions::lambda_functions[\"" + o.name + "\"] = <function>. Received: " + brief(c));
  if (LambdaFunction registered = find_function(fn_name)) return registered.make_layer(fn_name, o, output_shape);
  throw ValueError(where + " calls the function '" + fn_name + "', which is not registered. Register it with "
                   "keras::saving::register_function(\"" + fn_name + "\", fn), or supply "
                   "LoadOptions::lambda_functions[\"" + o.name + "\"].");
}

const std::map<std::string, Factory>& builtins() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    t["InputLayer"] = make_input;
    t["Dense"] = make_dense;
    t["Activation"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      return make<Activation>(activation(c, where_of("Activation", c)), layer_options(c));
    };
    t["Dropout"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      const std::string where = where_of("Dropout", c);
      refuse_unsupported(c, {"noise_shape"}, where);
      std::optional<std::uint64_t> seed;
      if (c.contains("seed") && c["seed"].is_number_integer()) seed = c["seed"].get<std::uint64_t>();
      return make<Dropout>(get_required<double>(c, "rate", where), seed, layer_options(c));
    };
    t["Flatten"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      return make<Flatten>(get<std::string>(c, "data_format", "channels_last", where_of("Flatten", c)), layer_options(c));
    };
    t["Reshape"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      const std::string where = where_of("Reshape", c);
      if (!c.contains("target_shape")) throw ValueError(where + ": the config has no `target_shape`");
      return make<Reshape>(Shape(ints_from_json(c["target_shape"], where + " `target_shape`")), layer_options(c));
    };
    t["Identity"] = simple_factory<layers::Identity>();
    t["Lambda"] = make_lambda;
    t["Add"] = simple_factory<Add>();
    t["Subtract"] = simple_factory<Subtract>();
    t["Multiply"] = simple_factory<Multiply>();
    t["Average"] = simple_factory<Average>();
    t["Maximum"] = simple_factory<Maximum>();
    t["Minimum"] = simple_factory<Minimum>();
    t["Concatenate"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      return make<Concatenate>(get<int>(c, "axis", -1, where_of("Concatenate", c)), layer_options(c));
    };
    t["Dot"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      const std::string where = where_of("Dot", c);
      bool normalize = get<bool>(c, "normalize", false, where);
      auto a = axes(c, "axes", {-1}, where);
      if (a.size() == 1) return make<Dot>(a[0], normalize, layer_options(c));
      return make<Dot>(a, normalize, layer_options(c));
    };
    t["BatchNormalization"] = make_batch_norm;
    t["LayerNormalization"] = make_layer_norm;
    t["GroupNormalization"] = make_group_norm;
    t["UnitNormalization"] = [](const Config& c, const LoadOptions&) -> std::shared_ptr<Layer> {
      return make<UnitNormalization>(axes(c, "axis", {-1}, where_of("UnitNormalization", c)), layer_options(c));
    };
    t["Conv1D"] = conv_factory<Conv1D>("Conv1D");
    t["Conv2D"] = conv_factory<Conv2D>("Conv2D");
    t["Conv3D"] = conv_factory<Conv3D>("Conv3D");
    t["Conv1DTranspose"] = conv_transpose_factory<Conv1DTranspose>("Conv1DTranspose");
    t["Conv2DTranspose"] = conv_transpose_factory<Conv2DTranspose>("Conv2DTranspose");
    t["Conv3DTranspose"] = conv_transpose_factory<Conv3DTranspose>("Conv3DTranspose");
    t["DepthwiseConv1D"] = depthwise_factory<DepthwiseConv1D>("DepthwiseConv1D");
    t["DepthwiseConv2D"] = depthwise_factory<DepthwiseConv2D>("DepthwiseConv2D");
    t["SeparableConv1D"] = separable_factory<SeparableConv1D>("SeparableConv1D");
    t["SeparableConv2D"] = separable_factory<SeparableConv2D>("SeparableConv2D");
    t["MaxPooling1D"] = pooling_factory<MaxPooling1D>("MaxPooling1D", {2});
    t["MaxPooling2D"] = pooling_factory<MaxPooling2D>("MaxPooling2D", {2, 2});
    t["MaxPooling3D"] = pooling_factory<MaxPooling3D>("MaxPooling3D", {2, 2, 2});
    t["AveragePooling1D"] = pooling_factory<AveragePooling1D>("AveragePooling1D", {2});
    t["AveragePooling2D"] = pooling_factory<AveragePooling2D>("AveragePooling2D", {2, 2});
    t["AveragePooling3D"] = pooling_factory<AveragePooling3D>("AveragePooling3D", {2, 2, 2});
    t["GlobalMaxPooling1D"] = global_pooling_factory<GlobalMaxPooling1D>("GlobalMaxPooling1D");
    t["GlobalMaxPooling2D"] = global_pooling_factory<GlobalMaxPooling2D>("GlobalMaxPooling2D");
    t["GlobalMaxPooling3D"] = global_pooling_factory<GlobalMaxPooling3D>("GlobalMaxPooling3D");
    t["GlobalAveragePooling1D"] = global_pooling_factory<GlobalAveragePooling1D>("GlobalAveragePooling1D");
    t["GlobalAveragePooling2D"] = global_pooling_factory<GlobalAveragePooling2D>("GlobalAveragePooling2D");
    t["GlobalAveragePooling3D"] = global_pooling_factory<GlobalAveragePooling3D>("GlobalAveragePooling3D");
    add_extra_builtins(t);
    add_attention_builtins(t);
    // Keras's aliases of the same classes.
    for (const char* d : {"1D", "2D", "3D"}) {
      t[std::string("MaxPool") + d] = t[std::string("MaxPooling") + d];
      t[std::string("AvgPool") + d] = t[std::string("AveragePooling") + d];
    }
    return t;
  }();
  return table;
}

}  // namespace

bool is_builtin_layer(const std::string& class_name) { return builtins().count(class_name) > 0; }

std::vector<std::string> builtin_layer_names() {
  std::vector<std::string> names;
  for (const auto& entry : builtins()) names.push_back(entry.first);
  return names;
}

std::shared_ptr<layers::Layer> make_builtin_layer(const std::string& class_name, const Config& config,
                                                  const LoadOptions& options) {
  auto it = builtins().find(class_name);
  if (it == builtins().end()) return nullptr;
  if (!config.is_object()) throw TypeError(class_name + " layer: expected a config dict. Received: " + brief(config));
  return it->second(config, options);
}

}  // namespace detail
}  // namespace keras::saving
