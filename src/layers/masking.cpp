// Keras masks attached to tensors, and the Masking layer.
#include <mutex>
#include <unordered_map>

#include "keras/layers/core_extra.h"
#include "keras/ops/ops.h"

namespace keras::layers {
namespace {

// Keras keeps a mask as an attribute of the tensor object. A Node has no such field, so the
// masks live here, keyed by node and checked against a weak reference: a node that died
// (and whose address may be reused) never hands its mask to a newcomer.
struct MaskEntry {
  std::weak_ptr<Node> owner;
  Tensor mask;
};

struct MaskTable {
  std::mutex mutex;
  std::unordered_map<const Node*, MaskEntry> entries;
  std::size_t sweep_at = 64;
};

MaskTable& mask_table() {
  static MaskTable table;
  return table;
}

}  // namespace

void set_keras_mask(const Tensor& tensor, const Tensor& mask) {
  if (!tensor.defined()) throw ValueError("set_keras_mask: the tensor is undefined.");
  if (mask.defined() && mask.dtype() != DType::bool_)
    throw TypeError("A Keras mask must be a bool tensor. Received: dtype=" + dtype_name(mask.dtype()) +
                    " with shape " + mask.shape().to_string());
  MaskTable& t = mask_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  if (!mask.defined()) {
    t.entries.erase(tensor.node().get());
    return;
  }
  t.entries[tensor.node().get()] = MaskEntry{tensor.node(), mask};
  // Drop the masks of tensors that are gone, amortized over insertions.
  if (t.entries.size() >= t.sweep_at) {
    for (auto it = t.entries.begin(); it != t.entries.end();)
      it = it->second.owner.expired() ? t.entries.erase(it) : std::next(it);
    t.sweep_at = std::max<std::size_t>(64, 2 * t.entries.size());
  }
}

Tensor get_keras_mask(const Tensor& tensor) {
  if (!tensor.defined()) return Tensor();
  MaskTable& t = mask_table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.entries.find(tensor.node().get());
  if (it == t.entries.end()) return Tensor();
  if (it->second.owner.lock() != tensor.node()) {
    t.entries.erase(it);
    return Tensor();
  }
  return it->second.mask;
}

// ---- Masking -------------------------------------------------------------------------------

Masking::Masking(double mask_value, LayerOptions options)
    : Layer(std::move(options), "Masking"), mask_value_(mask_value) {}

Tensor Masking::call(const Tensor& x) {
  if (x.rank() < 1)
    throw ValueError("Layer \"" + name() + "\" (Masking) expects inputs with a feature axis. Received: shape " +
                     x.shape().to_string());
  // any(x != mask_value, axis=-1): max over the features of the comparison as 0/1.
  const Tensor differs = ops::cast(ops::not_equal(x, Tensor::scalar(mask_value_, x.dtype())), x.dtype());
  const Tensor keep = ops::greater(ops::max(differs, -1, /*keepdims=*/true), Tensor::scalar(0.0, x.dtype()));
  Tensor out = ops::where(keep, x, ops::zeros_like(x));
  set_keras_mask(out, ops::squeeze(keep, {-1}));
  return out;
}

Config Masking::get_config() const {
  Config c = base_config();
  c["mask_value"] = mask_value_;
  return c;
}

}  // namespace keras::layers
