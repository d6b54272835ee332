#include "keras/core/tensor.h"

#include <atomic>
#include <cstdlib>
#include <cstring>


namespace keras {

namespace {
std::atomic<std::uint64_t> next_node_id{1};

std::shared_ptr<Node> make_concrete_node(const Shape& shape, DType dtype) {
  if (!shape.is_fully_defined())
    throw ValueError("A concrete tensor needs a fully defined shape. Received: shape=" + shape.to_string());
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::constant;
  node->shape = shape;
  node->dtype = dtype;
  node->id = next_node_id++;
  node->value = std::make_shared<Buffer>(static_cast<std::size_t>(shape.num_elements()) * dtype_size(dtype));
  return node;
}

template <typename T>
Tensor tensor_from(const std::vector<T>& values, const Shape& shape) {
  if (static_cast<std::int64_t>(values.size()) != shape.num_elements())
    throw ValueError("Tensor::from_vector expected " + std::to_string(shape.num_elements()) +
                     " values for shape " + shape.to_string() + ". Received: " + std::to_string(values.size()) +
                     " values");
  Tensor t(make_concrete_node(shape, dtype_of<T>::value));
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  return t;
}
}  // namespace

std::uint64_t new_node_id() { return next_node_id++; }

Buffer::Buffer(std::size_t nbytes) : nbytes_(nbytes) {
  // Round up so that aligned_alloc's size requirement holds; never return null for 0 bytes.
  const std::size_t rounded = ((nbytes + 63) / 64) * 64;
  data_ = std::aligned_alloc(64, rounded == 0 ? 64 : rounded);
  if (!data_) throw std::bad_alloc();
}

Buffer::~Buffer() { std::free(data_); }

Tensor::Tensor(float scalar) : Tensor(Tensor::scalar(scalar)) { node_->weak_scalar = true; }
Tensor::Tensor(double scalar) : Tensor(Tensor::scalar(scalar)) { node_->weak_scalar = true; }
Tensor::Tensor(int scalar) : Tensor(Tensor::scalar(scalar)) { node_->weak_scalar = true; }

Tensor Tensor::empty(const Shape& shape, DType dtype) { return Tensor(make_concrete_node(shape, dtype)); }
Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s) { return tensor_from(v, s); }
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s) { return tensor_from(v, s); }
Tensor Tensor::from_vector(const std::vector<std::int32_t>& v, const Shape& s) { return tensor_from(v, s); }
Tensor Tensor::from_vector(const std::vector<std::int64_t>& v, const Shape& s) { return tensor_from(v, s); }

Tensor Tensor::from_bools(const std::vector<bool>& values, const Shape& shape) {
  if (static_cast<std::int64_t>(values.size()) != shape.num_elements())
    throw ValueError("Tensor::from_bools expected " + std::to_string(shape.num_elements()) + " values for shape " +
                     shape.to_string() + ". Received: " + std::to_string(values.size()) + " values");
  Tensor t(make_concrete_node(shape, DType::bool_));
  bool* p = t.data<bool>();
  for (std::size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) {
  Tensor t(make_concrete_node(Shape{}, dtype));
  dispatch_dtype(dtype, [&](auto zero) {
    using T = decltype(zero);
    *static_cast<T*>(t.raw_data()) = static_cast<T>(value);
  });
  return t;
}

Tensor Tensor::placeholder(const Shape& shape, DType dtype, std::string name) {
  auto node = std::make_shared<Node>();
  node->kind = NodeKind::placeholder;
  node->shape = shape;
  node->dtype = dtype;
  node->name = std::move(name);
  node->id = next_node_id++;
  return Tensor(std::move(node));
}

static const Node& checked(const std::shared_ptr<Node>& node) {
  if (!node) throw ValueError("Operation on an undefined (default-constructed) Tensor.");
  return *node;
}

const Shape& Tensor::shape() const { return checked(node_).shape; }
DType Tensor::dtype() const { return checked(node_).dtype; }
bool Tensor::is_symbolic() const { return checked(node_).value == nullptr; }

std::int64_t Tensor::size() const {
  const auto n = shape().num_elements();
  if (n < 0) throw ValueError("size() of a tensor with unknown dimensions. Received: shape=" + shape().to_string());
  return n;
}

const void* Tensor::raw_data() const {
  const Node& n = checked(node_);
  if (!n.value)
    throw ValueError("Cannot read the data of a symbolic tensor (it has no value until the graph runs). Received: shape=" +
                     n.shape.to_string());
  return n.value->data();
}

void* Tensor::raw_data() { return const_cast<void*>(static_cast<const Tensor*>(this)->raw_data()); }

double Tensor::item() const {
  if (size() != 1)
    throw ValueError("item() expects a tensor with exactly one element. Received: shape=" + shape().to_string());
  return dispatch_dtype(dtype(), [&](auto zero) {
    using T = decltype(zero);
    return static_cast<double>(*static_cast<const T*>(raw_data()));
  });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  const auto n = static_cast<std::size_t>(size());
  std::vector<T> out(n);
  dispatch_dtype(dtype(), [&](auto zero) {
    using S = decltype(zero);
    const S* p = static_cast<const S*>(raw_data());
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<T>(p[i]);
  });
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int32_t> Tensor::to_vector<std::int32_t>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;

Tensor Tensor::copy() const {
  Tensor t = Tensor::empty(shape(), dtype());
  std::memcpy(t.raw_data(), raw_data(), static_cast<std::size_t>(size()) * dtype_size(dtype()));
  return t;
}

// ---- Variable --------------------------------------------------------------------------

Variable::Variable(const Tensor& initial_value, std::string name, bool trainable)
    : Tensor(initial_value.copy().node()) {
  Node& n = *node();
  n.kind = NodeKind::variable;
  n.name = std::move(name);
  n.trainable = trainable;
}

const std::string& Variable::name() const { return node()->name; }
bool Variable::trainable() const { return node()->trainable; }
void Variable::set_trainable(bool trainable) { node()->trainable = trainable; }

// assign / assign_add / assign_sub live in src/ops/assign.cpp: they are ops.

}  // namespace keras
