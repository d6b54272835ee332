// Plan: the run loop and the public API. Compilation lives in plan_compile.cpp.
#include "keras/graph/plan.h"

#include <cstring>
#include <sstream>

#include "plan_internal.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace keras {

namespace {
// Compiled plans run with denormals flushed to zero, as TensorFlow (one of Keras's backends)
// runs its kernels: late in training, tiny gradients and Adam's velocities become denormal,
// and arithmetic on them is many times slower on x86. Results differ only below 1.2e-38.
class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | 0x8040u); }  // FTZ | DAZ
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  unsigned saved_;
#endif
};
}  // namespace

// ---- public API -------------------------------------------------------------------------------

Plan::Plan(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
           const std::vector<Tensor>& side_effects, PlanOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  impl_->compile(inputs, outputs, side_effects);
}

Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;

void Plan::run(const void* const* input_ptrs) {
  const FlushDenormals flush;
  Impl& p = *impl_;
  for (const auto& [slot, index] : p.patches) *slot = input_ptrs[index];
  const void* const* values = p.value_ptrs.data();
  for (graph_detail::PlanStep& s : p.steps) {
    if (s.group) graph_detail::run_fused_group(*s.group, values, p.scratch);
    else s.kernel(s.args);
  }
}

void Plan::run_observed(const void* const* input_ptrs, const std::function<void(int, bool)>& observer) {
  const FlushDenormals flush;
  Impl& p = *impl_;
  for (const auto& [slot, index] : p.patches) *slot = input_ptrs[index];
  const void* const* values = p.value_ptrs.data();
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    graph_detail::PlanStep& s = p.steps[i];
    observer(static_cast<int>(i), false);
    if (s.group) graph_detail::run_fused_group(*s.group, values, p.scratch);
    else s.kernel(s.args);
    observer(static_cast<int>(i), true);
  }
}

std::string Plan::step_name(int i) const { return impl_->step_names.at(static_cast<std::size_t>(i)); }

std::vector<Tensor> Plan::run(const std::vector<Tensor>& inputs) {
  const Impl& p = *impl_;
  if (inputs.size() != p.input_shapes.size())
    throw ValueError("The compiled plan expected " + std::to_string(p.input_shapes.size()) +
                     " input(s). Received: " + std::to_string(inputs.size()) + " input(s)");
  std::vector<const void*> ptrs(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const std::string which = "Input " + std::to_string(i) +
                              (p.input_names[i].empty() ? std::string() : " ('" + p.input_names[i] + "')");
    if (!inputs[i].defined()) throw ValueError(which + " of the compiled plan is an undefined tensor.");
    if (inputs[i].shape() != p.input_shapes[i])
      throw ValueError(which + " of the compiled plan is incompatible: expected shape " +
                       p.input_shapes[i].to_string() + ". Received: " + inputs[i].shape().to_string());
    if (inputs[i].dtype() != p.input_dtypes[i])
      throw ValueError(which + " of the compiled plan is incompatible: expected dtype " +
                       dtype_name(p.input_dtypes[i]) + ". Received: " + dtype_name(inputs[i].dtype()) +
                       " with shape " + inputs[i].shape().to_string());
    ptrs[i] = inputs[i].raw_data();
  }
  run(ptrs.data());
  std::vector<Tensor> results;
  results.reserve(p.output_values.size());
  for (int i = 0; i < num_outputs(); ++i) {
    Tensor t = Tensor::empty(output_shape(i), output_dtype(i));
    const std::size_t bytes = static_cast<std::size_t>(t.size()) * dtype_size(t.dtype());
    if (bytes) std::memcpy(t.raw_data(), output_data(i), bytes);
    results.push_back(std::move(t));
  }
  return results;
}

const void* Plan::output_data(int i) const {
  return impl_->value_ptrs[static_cast<std::size_t>(impl_->output_values.at(static_cast<std::size_t>(i)))];
}

int Plan::num_inputs() const { return static_cast<int>(impl_->input_shapes.size()); }
int Plan::num_outputs() const { return static_cast<int>(impl_->output_values.size()); }
const Shape& Plan::input_shape(int i) const { return impl_->input_shapes.at(static_cast<std::size_t>(i)); }
DType Plan::input_dtype(int i) const { return impl_->input_dtypes.at(static_cast<std::size_t>(i)); }
const Shape& Plan::output_shape(int i) const {
  return impl_->values[static_cast<std::size_t>(impl_->output_values.at(static_cast<std::size_t>(i)))].shape;
}
DType Plan::output_dtype(int i) const {
  return impl_->values[static_cast<std::size_t>(impl_->output_values.at(static_cast<std::size_t>(i)))].dtype;
}
int Plan::num_steps() const { return static_cast<int>(impl_->steps.size()); }
int Plan::num_fused_groups() const { return static_cast<int>(impl_->groups.size()); }
int Plan::num_fused_ops() const { return impl_->fused_ops; }
int Plan::num_folded_ops() const { return impl_->folded_ops; }
int Plan::num_view_ops() const { return impl_->view_ops; }
int Plan::num_direct_writes() const { return impl_->direct_writes; }
std::size_t Plan::arena_bytes() const { return impl_->arena_bytes; }
std::size_t Plan::intermediate_bytes() const { return impl_->intermediate_bytes; }

std::string Plan::describe() const {
  std::ostringstream os;
  os << "Plan: " << num_inputs() << " input(s), " << num_outputs() << " output(s), " << num_steps()
     << " step(s), arena " << arena_bytes() << " bytes\n";
  for (std::size_t i = 0; i < impl_->step_text.size(); ++i) os << "  " << i << ": " << impl_->step_text[i] << "\n";
  return os.str();
}

}  // namespace keras
