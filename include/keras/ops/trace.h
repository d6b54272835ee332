#pragma once
/// Collects side effects (variable assignments) recorded while tracing a function, so that
/// a compiled plan can perform them.
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

 private:
  std::vector<Tensor> side_effects_;
  TraceScope* parent_ = nullptr;
};

}  // namespace keras
