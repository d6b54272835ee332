// The Layer base: calling (checks, build on first call, symbolic nodes), weights, naming.
#include "keras/layers/layer.h"

#include <cxxabi.h>

#include <cstdlib>
#include <mutex>
#include <regex>
#include <typeinfo>
#include <unordered_set>

#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"
#include "keras/ops/trace.h"
#include "keras_tensor.h"

namespace keras {

Outputs::operator Tensor() const {
  if (size() != 1)
    throw ValueError("Expected exactly one output tensor to convert to a Tensor. Received: " +
                     std::to_string(size()) + " tensors (index the outputs instead)");
  return front();
}

namespace layers {
namespace {

// ---- automatic names ----

struct NameCounters {
  std::mutex mutex;
  std::map<std::string, int> counts;
};

NameCounters& name_counters() {
  static NameCounters c;
  return c;
}

// ---- the call context: depth of nested layer calls and the training mode in force ----

struct CallContext {
  int depth = 0;
  bool training = false;
};

thread_local CallContext call_context;

class CallScope {
 public:
  explicit CallScope(bool training) : saved_(call_context) {
    ++call_context.depth;
    call_context.training = training;
  }
  ~CallScope() { call_context = saved_; }
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;

 private:
  CallContext saved_;
};

std::string demangled_class_name(const std::type_info& info) {
  int status = 0;
  char* raw = abi::__cxa_demangle(info.name(), nullptr, nullptr, &status);
  std::string name = (status == 0 && raw) ? raw : info.name();
  std::free(raw);
  // Keep the bare class name: drop template arguments and namespaces.
  if (auto lt = name.find('<'); lt != std::string::npos) name.erase(lt);
  if (auto colons = name.rfind("::"); colons != std::string::npos) name.erase(0, colons + 2);
  return name;
}

// Whether a symbolic tensor was computed by raw ops from Keras tensors (such ops are not
// part of the functional graph).
bool derives_from_keras_tensor(const Tensor& t) {
  std::vector<const Node*> stack{t.node().get()};
  std::unordered_set<const Node*> seen;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    for (const auto& in : n->inputs) {
      if (is_keras_tensor(Tensor(in))) return true;
      stack.push_back(in.get());
    }
  }
  return false;
}

std::string shapes_to_string(const std::vector<TensorSpec>& specs) {
  std::string s = "[";
  for (std::size_t i = 0; i < specs.size(); ++i) s += (i ? ", " : "") + specs[i].shape.to_string();
  return s + "]";
}

}  // namespace

std::string to_snake_case(const std::string& name) {
  static const std::regex non_word(R"([^A-Za-z0-9_]+)");
  static const std::regex upper_word("(.)([A-Z][a-z]+)");
  static const std::regex lower_upper("([a-z])([A-Z])");
  std::string s = std::regex_replace(name, non_word, "");
  s = std::regex_replace(s, upper_word, "$1_$2");
  s = std::regex_replace(s, lower_upper, "$1_$2");
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string unique_name(const std::string& prefix) {
  NameCounters& c = name_counters();
  std::lock_guard<std::mutex> lock(c.mutex);
  const int n = c.counts[prefix]++;
  return n == 0 ? prefix : prefix + "_" + std::to_string(n);
}

bool in_training_call() { return call_context.depth > 0 && call_context.training; }

GraphBuildScope::GraphBuildScope() : saved_depth_(call_context.depth), saved_training_(call_context.training) {
  call_context.depth = 0;
  call_context.training = false;
}

GraphBuildScope::~GraphBuildScope() {
  call_context.depth = saved_depth_;
  call_context.training = saved_training_;
}

// ---- construction and properties ----

Layer::Layer(LayerOptions options)
    : name_(std::move(options.name)), trainable_(options.trainable), dtype_(options.dtype) {}

Layer::Layer(LayerOptions options, const std::string& class_name)
    : name_(std::move(options.name)), class_name_hint_(class_name), trainable_(options.trainable),
      dtype_(options.dtype) {
  if (name_.empty()) name_ = unique_name(to_snake_case(class_name));
}

Layer::~Layer() = default;

const std::string& Layer::name() const {
  // User subclasses cannot name themselves in the base constructor (their dynamic type is
  // not known yet), so they take their auto-name on first use.
  if (name_.empty()) name_ = unique_name(to_snake_case(class_name()));
  return name_;
}

std::string Layer::class_name() const { return demangled_class_name(typeid(*this)); }

void Layer::set_trainable(bool trainable) {
  trainable_ = trainable;
  for (Variable& v : trainable_vars_) v.set_trainable(trainable);
  for (auto& layer : sublayers()) layer->set_trainable(trainable);
}

Config Layer::base_config() const {
  Config c;
  c["name"] = name();
  c["trainable"] = trainable_;
  Config policy;
  policy["module"] = "keras";
  policy["class_name"] = "DTypePolicy";
  policy["config"] = Config{{"name", dtype_name(dtype_)}};
  policy["registered_name"] = nullptr;
  c["dtype"] = policy;
  return c;
}

Config Layer::get_config() const { return base_config(); }

// ---- weights ----

Variable Layer::add_weight(const std::string& name, const Shape& shape, const initializers::InitializerArg& initializer,
                           bool trainable, std::optional<DType> dtype) {
  const DType d = dtype.value_or(dtype_);
  if (!shape.is_fully_defined())
    throw ValueError("Cannot create the weight '" + name + "' of layer '" + this->name() +
                     "': expected a fully defined shape. Received: shape=" + shape.to_string());
  auto init = initializer.resolve(is_floating(d) ? "glorot_uniform" : "zeros");
  Variable v((*init)(shape, d), name, trainable);
  (trainable ? trainable_vars_ : non_trainable_vars_).push_back(v);
  const std::string suffix = "_kernel";
  const bool kernel_like = name.size() > suffix.size() && name.ends_with(suffix);
  bind_weight_argument(v, kernel_like ? name.substr(0, name.size() - suffix.size()) : name);
  return v;
}

void Layer::bind_weight_argument(const Variable& weight, const std::string& argument) {
  for (auto it = bound_weights_.begin(); it != bound_weights_.end();)
    it = it->second.node() == weight.node() ? bound_weights_.erase(it) : ++it;
  bound_weights_.emplace_back(argument, weight);
  regularizers::set_variable_regularizer(weight, weight_regularizer(argument));
  constraints::set_variable_constraint(weight, weight_constraint(argument));
}

void Layer::set_weight_regularizer(const std::string& argument, std::optional<regularizers::L1L2> regularizer) {
  if (regularizer) weight_regularizers_[argument] = *regularizer;
  else weight_regularizers_.erase(argument);
  for (const auto& [arg, v] : bound_weights_)
    if (arg == argument) regularizers::set_variable_regularizer(v, regularizer);
}

std::optional<regularizers::L1L2> Layer::weight_regularizer(const std::string& argument) const {
  const auto it = weight_regularizers_.find(argument);
  if (it == weight_regularizers_.end()) return std::nullopt;
  return it->second;
}

void Layer::set_weight_constraint(const std::string& argument, std::optional<constraints::Constraint> constraint) {
  if (constraint) weight_constraints_[argument] = *constraint;
  else weight_constraints_.erase(argument);
  for (const auto& [arg, v] : bound_weights_)
    if (arg == argument) constraints::set_variable_constraint(v, constraint);
}

std::optional<constraints::Constraint> Layer::weight_constraint(const std::string& argument) const {
  const auto it = weight_constraints_.find(argument);
  if (it == weight_constraints_.end()) return std::nullopt;
  return it->second;
}

std::vector<Variable> Layer::weights() const {
  std::vector<Variable> out;
  std::unordered_set<const Node*> seen;
  auto add = [&](const Variable& v) {
    if (seen.insert(v.node().get()).second) out.push_back(v);
  };
  for (const auto& v : trainable_vars_) add(v);
  for (const auto& v : non_trainable_vars_) add(v);
  for (const auto& layer : sublayers())
    for (const auto& v : layer->weights()) add(v);
  return out;
}

std::vector<Variable> Layer::trainable_weights() const {
  if (!trainable_) return {};
  std::vector<Variable> out;
  for (const auto& v : weights())
    if (v.trainable()) out.push_back(v);
  return out;
}

std::vector<Variable> Layer::non_trainable_weights() const {
  if (!trainable_) return weights();
  std::vector<Variable> out;
  for (const auto& v : weights())
    if (!v.trainable()) out.push_back(v);
  return out;
}

std::vector<Tensor> Layer::get_weights() const {
  std::vector<Tensor> out;
  for (const auto& v : weights()) out.push_back(v.value());
  return out;
}

void Layer::set_weights(const std::vector<Tensor>& values) {
  const auto vars = weights();
  if (vars.size() != values.size())
    throw ValueError("You called `set_weights(weights)` on layer '" + name() + "' with a weight list of length " +
                     std::to_string(values.size()) + ", but the layer was expecting " +
                     std::to_string(vars.size()) + " weights.");
  // Check everything before assigning anything, so that a bad list changes nothing.
  for (std::size_t i = 0; i < vars.size(); ++i) {
    if (!values[i].defined() || values[i].is_symbolic())
      throw ValueError("set_weights expects concrete tensors. Received: weight " + std::to_string(i) + " of layer '" +
                       name() + "' is " + (values[i].defined() ? "symbolic" : "undefined"));
    if (vars[i].shape() != values[i].shape())
      throw ValueError("Layer " + name() + " weight shape " + vars[i].shape().to_string() +
                       " is not compatible with provided weight shape " + values[i].shape().to_string() + ".");
  }
  for (std::size_t i = 0; i < vars.size(); ++i) {
    Variable v = vars[i];
    const Tensor& value = values[i];
    v.assign(value.dtype() == v.dtype() ? value : ops::cast(value, v.dtype()));
  }
}

std::int64_t Layer::count_params() const {
  if (!built_)
    throw ValueError("You tried to call `count_params` on layer '" + name() +
                     "', but the layer isn't built. You can build it manually via: `layer.build(input_shape)`.");
  std::int64_t n = 0;
  for (const auto& v : weights()) n += v.size();
  return n;
}

// ---- building ----

void Layer::build(const Shape&) {}

void Layer::build(const std::vector<Shape>& input_shapes) {
  if (input_shapes.size() == 1) build(input_shapes.front());
}

void Layer::build_once(const std::vector<Shape>& input_shapes) {
  if (built_) return;
  const auto n_trainable = trainable_vars_.size();
  const auto n_non_trainable = non_trainable_vars_.size();
  const auto n_sublayers = sublayers_.size();
  try {
    build(input_shapes);
  } catch (...) {
    // A failed build leaves the layer as it was: unbuilt and without half its weights.
    trainable_vars_.resize(n_trainable);
    non_trainable_vars_.resize(n_non_trainable);
    sublayers_.resize(n_sublayers);
    throw;
  }
  build_shapes_ = input_shapes;
  built_ = true;
}

// ---- calling ----

Tensor Layer::call(const Tensor&) {
  throw NotImplementedError("Layer " + class_name() + " ('" + name() +
                            "') does not implement call(): override call(const Tensor&) for one input, or "
                            "call(const std::vector<Tensor>&, bool training) for several.");
}

Tensor Layer::call(const Tensor& x, bool) { return call(x); }

Outputs Layer::call(const std::vector<Tensor>& inputs, bool training) {
  if (inputs.size() != 1)
    throw ValueError("Layer \"" + name() + "\" expects 1 input(s), but it received " + std::to_string(inputs.size()) +
                     " input tensors.");
  return Outputs{call(inputs.front(), training)};
}

Tensor Layer::operator()(const Tensor& x, std::optional<bool> training) {
  if (expects_list_input())
    throw ValueError("A merge layer should be called on a list of inputs. Received: input_shape=" +
                     (x.defined() ? x.shape().to_string() : std::string("<undefined>")) + " (not a list of shapes)");
  Outputs out = dispatch({x}, training);
  if (out.size() != 1)
    throw ValueError("Layer \"" + name() + "\" returned " + std::to_string(out.size()) +
                     " outputs; call it with a vector of inputs to receive all of them.");
  return out.front();
}

Outputs Layer::operator()(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  return dispatch(inputs, training);
}

void Layer::assert_input_compatibility(const std::vector<TensorSpec>& inputs) const {
  if (input_spec_.empty()) return;
  if (input_spec_.size() != inputs.size())
    throw ValueError("Layer \"" + name() + "\" expects " + std::to_string(input_spec_.size()) +
                     " input(s), but it received " + std::to_string(inputs.size()) +
                     " input tensors. Inputs received: " + shapes_to_string(inputs));
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const InputSpec& spec = input_spec_[i];
    const Shape& shape = inputs[i].shape;
    const int ndim = shape.rank();
    const std::string head =
        "Input " + std::to_string(i) + " of layer \"" + name() + "\" is incompatible with the layer: ";
    if (spec.ndim && !spec.allow_last_axis_squeeze && ndim != *spec.ndim)
      throw ValueError(head + "expected ndim=" + std::to_string(*spec.ndim) + ", found ndim=" + std::to_string(ndim) +
                       ". Full shape received: " + shape.to_string());
    if (spec.max_ndim && ndim > *spec.max_ndim)
      throw ValueError(head + "expected max_ndim=" + std::to_string(*spec.max_ndim) +
                       ", found ndim=" + std::to_string(ndim));
    if (spec.min_ndim && ndim < *spec.min_ndim)
      throw ValueError(head + "expected min_ndim=" + std::to_string(*spec.min_ndim) + ", found ndim=" +
                       std::to_string(ndim) + ". Full shape received: " + shape.to_string());
    if (spec.dtype && inputs[i].dtype != *spec.dtype)
      throw ValueError(head + "expected dtype=" + dtype_name(*spec.dtype) + ", found dtype=" +
                       dtype_name(inputs[i].dtype));
    for (const auto& [axis, value] : spec.axes) {
      const int a = axis < 0 ? axis + ndim : axis;
      if (a < 0 || a >= ndim)
        throw ValueError(head + "expected axis " + std::to_string(axis) + " of input shape to have value " +
                         std::to_string(value) + ", but received input with shape " + shape.to_string());
      const std::int64_t d = shape.dims()[a];
      if (d >= 0 && d != value)
        throw ValueError(head + "expected axis " + std::to_string(axis) + " of input shape to have value " +
                         std::to_string(value) + ", but received input with shape " + shape.to_string());
    }
    if (spec.shape) {
      std::vector<std::int64_t> want = spec.shape->dims(), got = shape.dims();
      if (spec.allow_last_axis_squeeze) {
        if (!got.empty() && got.back() == 1) got.pop_back();
        if (!want.empty() && want.back() == 1) want.pop_back();
      }
      for (std::size_t k = 0; k < std::min(want.size(), got.size()); ++k)
        if (want[k] >= 0 && got[k] >= 0 && want[k] != got[k])
          throw ValueError(head + "expected shape=" + spec.shape->to_string() +
                           ", found shape=" + Shape(got).to_string());
    }
  }
}

Outputs Layer::dispatch(const std::vector<Tensor>& inputs, std::optional<bool> training) {
  if (!callable())
    throw ValueError("Layer \"" + name() + "\" (" + class_name() + ") cannot be called on tensors.");
  if (inputs.empty())
    throw ValueError("Layer \"" + name() + "\" was called without inputs. Expected at least one tensor.");
  std::vector<TensorSpec> specs;
  std::vector<Shape> shapes;
  bool any_keras = false, all_keras = true;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      throw ValueError("Input " + std::to_string(i) + " of layer \"" + name() + "\" is an undefined Tensor.");
    specs.push_back({inputs[i].shape(), inputs[i].dtype()});
    shapes.push_back(inputs[i].shape());
    const bool k = is_keras_tensor(inputs[i]);
    any_keras = any_keras || k;
    all_keras = all_keras && k;
  }
  // Only the outermost call on Keras tensors is a node of the functional graph; layers
  // called inside another layer's call see placeholders and just compute.
  const bool record = any_keras && call_context.depth == 0;
  if (record && !all_keras)
    throw ValueError("Layer \"" + name() +
                     "\" was called on a mix of Keras tensors (from keras::Input or a layer call) and other "
                     "tensors. In the functional API every input must be a Keras tensor. Received: " +
                     std::to_string(inputs.size()) + " inputs with shapes " + shapes_to_string(specs));
  if (!any_keras && call_context.depth == 0 && !TraceScope::current())
    for (const Tensor& t : inputs)
      if (t.is_symbolic() && derives_from_keras_tensor(t))
        throw ValueError("Layer \"" + name() + "\" was called on a tensor computed with keras::ops directly from "
                         "Keras tensors; such computations are not part of the functional graph. Wrap them in a "
                         "keras::layers::Lambda layer. Received: a tensor of shape " + t.shape().to_string());
  // A layer the graph cannot own fails here, before anything changes.
  if (record && weak_from_this().expired())
    throw ValueError("Layer \"" + name() +
                     "\" was called on Keras tensors but is not owned by a std::shared_ptr. Create layers for "
                     "the functional API with keras::layers::make<T>(...) or std::make_shared<T>(...).");
  assert_input_compatibility(specs);
  build_once(shapes);
  const bool train = training.value_or(call_context.depth > 0 ? call_context.training : false);
  if (record) return record_node(inputs, compute_output_spec(specs));
  // A new outermost call starts with no losses (Keras clears them on entering a call context).
  if (call_context.depth == 0) clear_losses();
  CallScope scope(train);
  Outputs out = call(inputs, train);
  if (activity_regularizer_)
    for (const Tensor& t : out)
      if (t.defined() && is_floating(t.dtype())) add_loss(activity_regularizer_->per_batch(t));
  if (supports_masking_) {
    std::vector<Tensor> previous;
    bool any = false;
    for (const Tensor& t : inputs) {
      previous.push_back(get_keras_mask(t));
      any = any || previous.back().defined();
    }
    if (any) {
      const Tensor mask = inputs.size() == 1 ? compute_mask(inputs.front(), previous.front()) : compute_mask(inputs, previous);
      if (mask.defined())
        for (const Tensor& t : out)
          if (t.defined() && !get_keras_mask(t).defined()) set_keras_mask(t, mask);
    }
  }
  return out;
}

Tensor Layer::compute_mask(const Tensor&, const Tensor& previous_mask) { return previous_mask; }

Tensor Layer::compute_mask(const std::vector<Tensor>&, const std::vector<Tensor>&) { return Tensor(); }

void Layer::add_loss(const Tensor& loss) {
  if (!loss.defined()) throw ValueError("Layer \"" + name() + "\": add_loss expects a defined tensor.");
  losses_.push_back(loss);
}

void Layer::clear_losses() {
  losses_.clear();
  for (const auto& layer : sublayers())
    if (layer) layer->clear_losses();
}

void Layer::collect_losses(std::vector<Tensor>& out, std::unordered_set<const Layer*>& seen) const {
  if (!seen.insert(this).second) return;
  out.insert(out.end(), losses_.begin(), losses_.end());
  for (const auto& layer : sublayers())
    if (layer) layer->collect_losses(out, seen);
}

std::vector<Tensor> Layer::losses() const {
  std::vector<Tensor> out;
  std::unordered_set<const Layer*> seen;
  collect_losses(out, seen);
  // Keras computes the weight penalties when losses are asked for, from the current values
  // (so inside a traced step they are part of the step), for trainable weights only.
  for (const Variable& v : trainable_weights())
    if (const auto r = regularizers::variable_regularizer(v)) out.push_back((*r)(v));
  return out;
}

std::vector<TensorSpec> Layer::trace_output_specs(const std::vector<TensorSpec>& inputs) {
  std::vector<Tensor> placeholders;
  for (const auto& s : inputs) placeholders.push_back(Tensor::placeholder(s.shape, s.dtype));
  TraceScope trace;  // side effects (e.g. moving statistics) of a shape-only trace are dropped
  CallScope scope(false);
  Outputs out = call(placeholders, false);
  std::vector<TensorSpec> specs;
  for (const auto& t : out) specs.push_back({t.shape(), t.dtype()});
  return specs;
}

Shape Layer::compute_output_shape(const Shape& input_shape) {
  const DType d = pending_dtypes_.size() == 1 ? pending_dtypes_.front() : dtype_;
  auto specs = trace_output_specs({{input_shape, d}});
  traced_specs_ = specs;
  if (specs.empty()) throw ValueError("Layer \"" + name() + "\" returned no outputs.");
  return specs.front().shape;
}

std::vector<Shape> Layer::compute_output_shape(const std::vector<Shape>& input_shapes) {
  std::vector<Shape> out;
  if (input_shapes.size() == 1) {
    traced_specs_.reset();
    Shape s = compute_output_shape(input_shapes.front());
    if (traced_specs_ && traced_specs_->size() > 1) {
      for (const auto& spec : *traced_specs_) out.push_back(spec.shape);
      return out;
    }
    return {s};
  }
  std::vector<TensorSpec> in;
  for (std::size_t i = 0; i < input_shapes.size(); ++i)
    in.push_back({input_shapes[i], i < pending_dtypes_.size() ? pending_dtypes_[i] : dtype_});
  auto specs = trace_output_specs(in);
  traced_specs_ = specs;
  for (const auto& spec : specs) out.push_back(spec.shape);
  return out;
}

std::vector<TensorSpec> Layer::compute_output_spec(const std::vector<TensorSpec>& inputs) {
  std::vector<Shape> shapes;
  pending_dtypes_.clear();
  for (const auto& s : inputs) {
    shapes.push_back(s.shape);
    pending_dtypes_.push_back(s.dtype);
  }
  traced_specs_.reset();
  std::vector<Shape> out_shapes;
  try {
    out_shapes = compute_output_shape(shapes);
  } catch (...) {
    pending_dtypes_.clear();
    traced_specs_.reset();
    throw;
  }
  std::vector<TensorSpec> out;
  const bool traced = traced_specs_ && traced_specs_->size() == out_shapes.size();
  for (std::size_t i = 0; i < out_shapes.size(); ++i)
    out.push_back({out_shapes[i], traced ? (*traced_specs_)[i].dtype : dtype_});
  pending_dtypes_.clear();
  traced_specs_.reset();
  return out;
}

std::shared_ptr<Layer> Layer::owning_pointer() {
  auto self = weak_from_this().lock();
  if (!self)
    throw ValueError("Layer \"" + name() +
                     "\" is used in the functional API but is not owned by a std::shared_ptr. Create it with "
                     "keras::layers::make<T>(...) or std::make_shared<T>(...).");
  return self;
}

Outputs Layer::record_node(const std::vector<Tensor>& inputs, const std::vector<TensorSpec>& output_specs,
                           bool is_input) {
  std::shared_ptr<Layer> self = owning_pointer();
  auto node = std::make_shared<LayerNode>();
  node->layer = this;
  node->index = static_cast<int>(inbound_nodes_.size());
  node->input_tensors = inputs;
  node->output_specs = output_specs;
  node->is_input = is_input;
  Outputs out;
  for (std::size_t i = 0; i < output_specs.size(); ++i)
    out.push_back(detail::make_keras_tensor(output_specs[i], KerasHistory{self, node->index, static_cast<int>(i)},
                                            name()));
  inbound_nodes_.push_back(std::move(node));
  return out;
}

Outputs Layer::node_outputs(int node_index) {
  if (node_index < 0 || node_index >= static_cast<int>(inbound_nodes_.size()))
    throw ValueError("Layer \"" + name() + "\" has " + std::to_string(inbound_nodes_.size()) +
                     " node(s); expected a node index below that. Received: node_index=" + std::to_string(node_index));
  std::shared_ptr<Layer> self = owning_pointer();
  const LayerNode& node = *inbound_nodes_[static_cast<std::size_t>(node_index)];
  Outputs out;
  for (std::size_t i = 0; i < node.output_specs.size(); ++i)
    out.push_back(detail::make_keras_tensor(node.output_specs[i], KerasHistory{self, node_index, static_cast<int>(i)},
                                            name()));
  return out;
}

Tensor Layer::output() {
  if (inbound_nodes_.empty())
    throw ValueError("The layer " + name() + " has never been called and thus has no defined output.");
  Outputs out = node_outputs(0);
  if (out.size() != 1)
    throw ValueError("Layer \"" + name() + "\" has " + std::to_string(out.size()) +
                     " outputs; use node_outputs(0) to get all of them.");
  return out.front();
}

}  // namespace layers

void clear_session() {
  auto& c = layers::name_counters();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.counts.clear();
}

}  // namespace keras
