#pragma once
/// Tensor: a cheap handle to a node of the computation graph.
///
/// A tensor is either *concrete* (it owns a row-major buffer: eager results, constants,
/// variables) or *symbolic* (a placeholder or the result of an op on symbolic inputs,
/// recorded while tracing). Ops accept both; a custom layer writes `call` once.
///
///   keras::Tensor x = keras::Tensor::from_vector({0, 1, 2}, {1, 3});
///   std::cout << x;   // [[0. 1. 2.]]
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "keras/core/dtype.h"
#include "keras/core/errors.h"
#include "keras/core/shape.h"

namespace keras {

struct OpDef;

/// Flat, 64-byte aligned storage. Never resized after creation: compiled plans keep raw
/// pointers into it.
class Buffer {
 public:
  explicit Buffer(std::size_t nbytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  void* data() { return data_; }
  const void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  void* data_ = nullptr;
  std::size_t nbytes_ = 0;
};

/// Operation attributes. Each op documents which fields it reads; keeping them plain
/// makes a compiled plan step a struct copy, not a map lookup.
struct Attrs {
  std::vector<std::int64_t> ints;  // axes, target shape, permutation, split sizes, ...
  std::vector<double> floats;      // alpha, clip bounds, scalar operands, ...
  bool flag = false;               // keepdims, transpose flags, ...
  std::int64_t i = 0;              // single integer (axis, depth, seed, ...)
  DType dtype = DType::float32;    // target dtype (cast, creation)
};

enum class NodeKind : std::uint8_t { constant, placeholder, variable, op };

struct Node {
  NodeKind kind = NodeKind::constant;
  const OpDef* op = nullptr;  // set when kind == op
  std::vector<std::shared_ptr<Node>> inputs;
  Attrs attrs;
  Shape shape;
  DType dtype = DType::float32;
  std::shared_ptr<Buffer> value;  // null for symbolic nodes
  std::string name;               // variables and placeholders
  bool trainable = true;          // variables only
  bool weak_scalar = false;       // a C++ literal: adopts the other operand's dtype
  std::uint64_t id = 0;           // creation order; unique per process
};

/// Process-unique, increasing node id (creation order).
std::uint64_t new_node_id();

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<Node> node) : node_(std::move(node)) {}
  /// A float32 scalar, so that `x * 2.0f` style code reads naturally.
  Tensor(float scalar);   // NOLINT(google-explicit-constructor)
  Tensor(double scalar);  // NOLINT(google-explicit-constructor) float32 too (Keras's floatx)
  Tensor(int scalar);     // NOLINT(google-explicit-constructor) float32 too

  // --- construction of concrete tensors ---
  /// Uninitialized concrete tensor (contents unspecified).
  static Tensor empty(const Shape& shape, DType dtype = DType::float32);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<std::int32_t>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<std::int64_t>& values, const Shape& shape);
  static Tensor from_bools(const std::vector<bool>& values, const Shape& shape);
  static Tensor scalar(double value, DType dtype = DType::float32);
  /// A symbolic input of the traced graph (`shape` may contain -1 for None).
  static Tensor placeholder(const Shape& shape, DType dtype = DType::float32, std::string name = "");

  bool defined() const { return node_ != nullptr; }
  const Shape& shape() const;
  DType dtype() const;
  int rank() const { return shape().rank(); }
  /// Number of elements; throws ValueError on a symbolic tensor with unknown dims.
  std::int64_t size() const;
  bool is_symbolic() const;
  bool is_concrete() const { return !is_symbolic(); }

  /// Typed access to a concrete tensor's data; throws TypeError on a dtype mismatch and
  /// ValueError on a symbolic tensor.
  template <typename T> T* data();
  template <typename T> const T* data() const;
  void* raw_data();
  const void* raw_data() const;
  /// The single element of a size-1 tensor, converted to double.
  double item() const;
  /// All elements converted to T (any dtype).
  template <typename T> std::vector<T> to_vector() const;

  /// Deep copy of a concrete tensor (new buffer, no graph history).
  Tensor copy() const;

  const std::shared_ptr<Node>& node() const { return node_; }
  std::string to_string() const;  // NumPy-style, as operator<<

 private:
  std::shared_ptr<Node> node_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& tensor);
std::ostream& operator<<(std::ostream& os, const Shape& shape);

/// A mutable, named tensor: model weights and optimizer state. Ops read it like any
/// tensor; `assign` writes in place (the buffer never moves, so compiled plans that read
/// it see the new value). `trainable` is the weight's own flag, separate from the
/// call-time `training` mode.
class Variable : public Tensor {
 public:
  Variable() = default;
  Variable(const Tensor& initial_value, std::string name, bool trainable = true);
  const std::string& name() const;
  bool trainable() const;
  void set_trainable(bool trainable);
  /// Copies `value` into the variable. Throws ValueError naming both shapes on mismatch.
  /// Inside a trace this records an assignment that a compiled plan performs.
  void assign(const Tensor& value);
  void assign_add(const Tensor& delta);
  void assign_sub(const Tensor& delta);
  /// A concrete snapshot of the current value.
  Tensor value() const { return copy(); }
};

template <typename T>
T* Tensor::data() {
  return const_cast<T*>(static_cast<const Tensor*>(this)->data<T>());
}

template <typename T>
const T* Tensor::data() const {
  if (dtype() != dtype_of<T>::value)
    throw TypeError("Tensor::data<" + dtype_name(dtype_of<T>::value) + ">() called on a tensor of dtype " +
                    dtype_name(dtype()) + ". Received: shape=" + shape().to_string());
  return static_cast<const T*>(raw_data());
}

}  // namespace keras
