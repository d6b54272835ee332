#pragma once
/// Collects side effects (variable assignments) recorded while tracing a function, so that
/// a compiled plan can perform them.
#include <cstdint>
#include <vector>

#include "keras/core/tensor.h"

namespace keras {

class TraceScope {
 public:
  TraceScope();
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;
  const std::vector<Tensor>& side_effects() const { return side_effects_; }
  /// The innermost active scope, or nullptr.
  static TraceScope* current();
  void record_side_effect(const Tensor& node) { side_effects_.push_back(node); }
  /// Nodes (and so variables) with an id below this existed before the trace began: writing
  /// one is part of the traced step. A variable created during the trace (a layer built on
  /// its first call) is being initialized, which happens once, at trace time.
  std::uint64_t first_node_id() const { return first_node_id_; }

 private:
  std::vector<Tensor> side_effects_;
  TraceScope* parent_ = nullptr;
  std::uint64_t first_node_id_ = 0;
};

}  // namespace keras
