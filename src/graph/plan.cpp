// Plan compilation (schedule, fusion, arena slots, precomputed kernel args) and the run loop.
#include "keras/graph/plan.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "plan_internal.h"

namespace keras {

using graph_detail::FusedGroup;
using graph_detail::storage_node;

namespace {

constexpr std::size_t kAlign = 64;
std::size_t align_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Copies input 0 into the output: snapshots a variable that an assignment later overwrites.
void copy_kernel(const KernelArgs& k) {
  const auto bytes = static_cast<std::size_t>(k.output_shape->num_elements()) * dtype_size(k.output_dtype);
  if (bytes) std::memcpy(k.output, k.inputs[0], bytes);
}

struct ValueInfo {
  enum class Kind : std::uint8_t { fixed, placeholder, arena };
  Kind kind = Kind::arena;
  Shape shape;
  DType dtype = DType::float32;
  std::size_t bytes = 0;
  int input = -1;           // placeholder: input index
  const void* fixed = nullptr;
  std::size_t offset = 0;   // arena
  int last_use = -1;
  bool output = false;
  std::string label;
};

// One entry of the schedule before it becomes a Step.
struct Unit {
  enum class Kind : std::uint8_t { op, fused, copy, effect };
  Kind kind = Kind::op;
  const Node* node = nullptr;  // op / effect
  int group = -1;              // fused
  std::vector<int> reads;      // values read, in kernel operand order (fused: leaves, unique)
  int out = -1;                // value written (effect: the variable)
};

// Greedy best-fit over a free list kept sorted by offset; freed neighbours merge.
class SlotAllocator {
 public:
  std::size_t allocate(std::size_t bytes) {
    std::size_t best = free_.size();
    for (std::size_t i = 0; i < free_.size(); ++i)
      if (free_[i].size >= bytes && (best == free_.size() || free_[i].size < free_[best].size)) best = i;
    if (best < free_.size()) {
      const std::size_t offset = free_[best].offset;
      free_[best].offset += bytes;
      free_[best].size -= bytes;
      if (free_[best].size == 0) free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
      return offset;
    }
    // Grow the arena, starting inside a free block that ends at the top.
    if (!free_.empty() && free_.back().offset + free_.back().size == end_) {
      const std::size_t offset = free_.back().offset;
      free_.pop_back();
      end_ = offset + bytes;
      return offset;
    }
    const std::size_t offset = end_;
    end_ += bytes;
    return offset;
  }
  void release(std::size_t offset, std::size_t bytes) {
    auto it = std::lower_bound(free_.begin(), free_.end(), offset,
                               [](const Block& b, std::size_t o) { return b.offset < o; });
    it = free_.insert(it, Block{offset, bytes});
    if (it + 1 != free_.end() && it->offset + it->size == (it + 1)->offset) {
      it->size += (it + 1)->size;
      free_.erase(it + 1);
    }
    if (it != free_.begin() && (it - 1)->offset + (it - 1)->size == it->offset) {
      (it - 1)->size += it->size;
      free_.erase(it);
    }
  }
  std::size_t end() const { return end_; }

 private:
  struct Block {
    std::size_t offset, size;
  };
  std::vector<Block> free_;
  std::size_t end_ = 0;
};

bool computed(const Node* n) { return n->kind == NodeKind::op && !n->value; }

std::string node_label(const Node* n) {
  switch (n->kind) {
    case NodeKind::placeholder: return "input";
    case NodeKind::variable: return "variable '" + n->name + "'";
    default: return "constant";
  }
}

}  // namespace

struct Plan::Impl {
  struct Step {
    KernelFn kernel = nullptr;
    KernelArgs args;
    FusedGroup* group = nullptr;
  };

  PlanOptions options;
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  std::vector<std::string> input_names;
  std::vector<int> output_values;
  std::vector<ValueInfo> values;
  std::vector<const void*> value_ptrs;
  std::vector<std::shared_ptr<Buffer>> keep_alive;
  std::unique_ptr<Buffer> arena;
  std::size_t arena_bytes = 0;
  std::size_t intermediate_bytes = 0;
  unsigned char* scratch = nullptr;

  std::vector<Step> steps;
  std::vector<std::string> step_text;
  std::vector<std::string> step_names;
  // Flat storage the steps' KernelArgs point into.
  std::vector<const void*> arg_ptrs;
  std::vector<Shape> arg_shapes;
  std::vector<DType> arg_dtypes;
  std::vector<Shape> out_shapes;
  std::vector<Attrs> attrs;
  std::vector<std::unique_ptr<FusedGroup>> groups;
  int fused_ops = 0;
  // Where each run writes the caller's input pointers.
  std::vector<std::pair<const void**, int>> patches;

  void compile(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               const std::vector<Tensor>& side_effects);
};

void Plan::Impl::compile(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const std::vector<Tensor>& side_effects) {
  // ---- inputs -----------------------------------------------------------------------------
  std::unordered_map<const Node*, int> value_of;
  auto add_value = [&](ValueInfo v) {
    values.push_back(std::move(v));
    return static_cast<int>(values.size()) - 1;
  };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || t.node()->kind != NodeKind::placeholder)
      throw ValueError("Plan inputs must be placeholders (keras::Tensor::placeholder). Received: input " +
                       std::to_string(i) + (t.defined() ? " with shape " + t.shape().to_string() : " undefined"));
    const Node* n = t.node().get();
    if (!n->shape.is_fully_defined())
      throw ValueError("A Plan is compiled for concrete input shapes. Expected input " + std::to_string(i) +
                       " to have a fully defined shape. Received: shape=" + n->shape.to_string());
    if (value_of.count(n))
      throw ValueError("Plan input " + std::to_string(i) + " is listed twice. Received: the same placeholder with shape " +
                       n->shape.to_string());
    ValueInfo v;
    v.kind = ValueInfo::Kind::placeholder;
    v.shape = n->shape;
    v.dtype = n->dtype;
    v.bytes = static_cast<std::size_t>(n->shape.num_elements()) * dtype_size(n->dtype);
    v.input = static_cast<int>(i);
    v.label = "input " + std::to_string(i);
    value_of[n] = add_value(std::move(v));
    input_shapes.push_back(n->shape);
    input_dtypes.push_back(n->dtype);
    input_names.push_back(n->name);
  }

  // ---- reachable nodes in execution order (dead-code removal) -----------------------------
  std::vector<const Node*> roots;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    if (!outputs[i].defined()) throw ValueError("Plan output " + std::to_string(i) + " is an undefined tensor.");
    roots.push_back(outputs[i].node().get());
  }
  for (const Tensor& e : side_effects) {
    if (!e.defined() || e.node()->kind != NodeKind::op || !e.node()->op->side_effect)
      throw ValueError("Plan side effects must be nodes of side-effect ops (e.g. assign) recorded by a TraceScope.");
    roots.push_back(e.node().get());
  }
  std::vector<const Node*> order;
  std::vector<const Node*> leaves;
  {
    std::unordered_set<const Node*> seen;
    std::vector<std::pair<const Node*, std::size_t>> stack;
    for (const Node* root : roots) {
      if (!seen.insert(root).second) continue;
      stack.push_back({root, 0});
      while (!stack.empty()) {
        auto& [node, next] = stack.back();
        if (computed(node) && next < node->inputs.size()) {
          const Node* child = node->inputs[next++].get();
          if (seen.insert(child).second) stack.push_back({child, 0});
          continue;
        }
        (computed(node) ? order : leaves).push_back(node);
        stack.pop_back();
      }
    }
  }
  for (const Node* n : leaves) {
    if (n->kind == NodeKind::placeholder) {
      if (!value_of.count(n))
        throw ValueError("The graph depends on a placeholder that is not among the Plan's inputs. Received: "
                         "placeholder" + (n->name.empty() ? std::string() : " '" + n->name + "'") + " with shape " +
                         n->shape.to_string());
      continue;
    }
    ValueInfo v;
    v.kind = ValueInfo::Kind::fixed;
    v.shape = n->shape;
    v.dtype = n->dtype;
    v.bytes = n->value->nbytes();
    v.fixed = n->value->data();
    v.label = node_label(n);
    keep_alive.push_back(n->value);
    value_of[n] = add_value(std::move(v));
  }

  // Side effects run last, in the order they were recorded.
  std::vector<const Node*> compute, effects;
  {
    std::unordered_set<const Node*> in_order(order.begin(), order.end());
    std::unordered_set<const Node*> listed;
    for (const Tensor& e : side_effects)
      if (listed.insert(e.node().get()).second) effects.push_back(e.node().get());
    for (const Node* n : order) {
      if (!n->op->side_effect) compute.push_back(n);
      else if (!listed.count(n)) effects.push_back(n);
    }
  }

  // ---- graph facts for fusion and copies ---------------------------------------------------
  std::unordered_map<const Node*, int> consumers;
  for (const auto* list : {&compute, &effects})
    for (const Node* n : *list) {
      std::unordered_set<const Node*> distinct;
      for (const auto& in : n->inputs) distinct.insert(storage_node(in.get()));
      for (const Node* in : distinct) ++consumers[in];
    }
  std::unordered_set<const Node*> output_nodes;
  for (const Tensor& t : outputs) output_nodes.insert(storage_node(t.node().get()));
  std::unordered_set<const Node*> assigned;  // variables some effect writes
  for (const Node* e : effects) assigned.insert(storage_node(e->inputs[0].get()));

  std::unordered_map<const Node*, int> root_group;
  std::unordered_set<const Node*> absorbed;
  std::vector<FusedGroup> formed;
  if (options.fuse_elementwise)
    formed = graph_detail::form_fused_groups(compute, consumers, output_nodes, root_group, absorbed);
  for (auto& g : formed) {
    fused_ops += static_cast<int>(g.members.size());
    groups.push_back(std::make_unique<FusedGroup>(std::move(g)));
  }

  // ---- schedule ------------------------------------------------------------------------------
  auto arena_value = [&](const Node* n, const std::string& label) {
    ValueInfo v;
    v.shape = n->shape;
    v.dtype = n->dtype;
    v.bytes = static_cast<std::size_t>(n->shape.num_elements()) * dtype_size(n->dtype);
    v.label = label;
    intermediate_bytes += align_up(v.bytes);
    return add_value(std::move(v));
  };
  std::vector<Unit> units;
  for (const Node* n : compute) {
    if (absorbed.count(n)) continue;
    Unit u;
    u.node = n;
    auto g = root_group.find(n);
    if (g != root_group.end()) {
      u.kind = Unit::Kind::fused;
      u.group = g->second;
    }
    u.out = value_of[n] = arena_value(n, n->op->name);
    units.push_back(std::move(u));
  }
  // Reads after this point must not see the assignments: snapshot any assigned variable that
  // is returned or that another assignment reads.
  std::unordered_map<const Node*, int> snapshot;
  auto snapshot_of = [&](const Node* var) {
    auto found = snapshot.find(var);
    if (found != snapshot.end()) return found->second;
    Unit u;
    u.kind = Unit::Kind::copy;
    u.node = var;
    u.reads = {value_of.at(var)};
    u.out = arena_value(var, "copy of " + node_label(var));
    units.push_back(u);
    return snapshot[var] = u.out;
  };
  for (const Tensor& t : outputs) {
    const Node* n = storage_node(t.node().get());
    output_values.push_back(assigned.count(n) ? snapshot_of(n) : value_of.at(n));
  }
  for (const Node* e : effects) {
    Unit u;
    u.kind = Unit::Kind::effect;
    u.node = e;
    const Node* var = storage_node(e->inputs[0].get());
    const Node* val = storage_node(e->inputs[1].get());
    u.out = value_of.at(var);
    u.reads = {u.out, assigned.count(val) ? snapshot_of(val) : value_of.at(val)};
    value_of[e] = u.out;
    units.push_back(std::move(u));
  }
  // Effects must follow every snapshot.
  std::stable_partition(units.begin(), units.end(), [](const Unit& u) { return u.kind != Unit::Kind::effect; });

  for (Unit& u : units) {
    if (u.kind == Unit::Kind::op) {
      for (const auto& in : u.node->inputs) u.reads.push_back(value_of.at(storage_node(in.get())));
    } else if (u.kind == Unit::Kind::fused) {
      for (const auto& m : groups[static_cast<std::size_t>(u.group)]->members)
        for (const auto& op : m.operands)
          if (op.producer < 0) {
            const int v = value_of.at(op.node);
            if (std::find(u.reads.begin(), u.reads.end(), v) == u.reads.end()) u.reads.push_back(v);
          }
    }
  }

  // ---- liveness and arena slots ------------------------------------------------------------
  for (int v : output_values) values[static_cast<std::size_t>(v)].output = true;
  for (std::size_t i = 0; i < units.size(); ++i)
    for (int v : units[i].reads) values[static_cast<std::size_t>(v)].last_use = static_cast<int>(i);
  SlotAllocator slots;
  auto dies_here = [&](int v, std::size_t i) {
    const ValueInfo& info = values[static_cast<std::size_t>(v)];
    return info.kind == ValueInfo::Kind::arena && !info.output && info.last_use == static_cast<int>(i);
  };
  for (std::size_t i = 0; i < units.size(); ++i) {
    Unit& u = units[i];
    if (u.kind == Unit::Kind::effect) continue;
    ValueInfo& out = values[static_cast<std::size_t>(u.out)];
    int reused = -1;
    const bool elementwise = u.kind == Unit::Kind::fused || (u.kind == Unit::Kind::op && u.node->op->elementwise);
    if (options.in_place && elementwise) {
      for (int v : u.reads) {
        const ValueInfo& in = values[static_cast<std::size_t>(v)];
        if (dies_here(v, i) && in.shape == out.shape && dtype_size(in.dtype) == dtype_size(out.dtype)) {
          reused = v;
          break;
        }
      }
    }
    const std::size_t size = align_up(out.bytes);
    if (reused >= 0) out.offset = values[static_cast<std::size_t>(reused)].offset;
    else if (size > 0) out.offset = slots.allocate(size);
    for (int v : u.reads) {
      ValueInfo& in = values[static_cast<std::size_t>(v)];
      if (v == reused || !dies_here(v, i)) continue;
      if (in.bytes > 0) slots.release(in.offset, align_up(in.bytes));
      in.last_use = -2;  // released: an operand read twice (x * x) is released once
    }
    if (out.last_use < 0 && !out.output && size > 0 && reused < 0) slots.release(out.offset, size);
  }
  int scratch_buffers = 0;
  for (const auto& g : groups) scratch_buffers = std::max(scratch_buffers, g->scratch_buffers);
  const std::size_t scratch_offset = align_up(slots.end());
  arena_bytes = scratch_offset + static_cast<std::size_t>(scratch_buffers) * graph_detail::kFuseScratchStride;
  arena = std::make_unique<Buffer>(arena_bytes);
  auto* base = static_cast<unsigned char*>(arena->data());
  scratch = base + scratch_offset;

  value_ptrs.resize(values.size());
  for (std::size_t v = 0; v < values.size(); ++v) {
    const ValueInfo& info = values[v];
    if (info.kind == ValueInfo::Kind::fixed) value_ptrs[v] = info.fixed;
    else if (info.kind == ValueInfo::Kind::arena) value_ptrs[v] = base + info.offset;
    else value_ptrs[v] = nullptr;
  }

  // ---- steps with precomputed kernel args -----------------------------------------------------
  struct Pending {
    std::size_t first_arg, num_args, out_shape, attrs;
  };
  std::vector<Pending> pending;
  for (const Unit& u : units) {
    Step s;
    Pending p{arg_ptrs.size(), 0, out_shapes.size(), attrs.size()};
    std::ostringstream text;
    const ValueInfo& out = values[static_cast<std::size_t>(u.out)];
    if (u.kind == Unit::Kind::fused) {
      FusedGroup& g = *groups[static_cast<std::size_t>(u.group)];
      graph_detail::prepare_fused_group(g, value_of);
      s.group = &g;
      text << "fused[";
      for (std::size_t m = 0; m < g.members.size(); ++m) text << (m ? ", " : "") << g.members[m].op->name;
      text << "]";
    } else {
      s.kernel = u.kind == Unit::Kind::copy ? copy_kernel : u.node->op->kernel;
      text << (u.kind == Unit::Kind::copy ? std::string("copy") : u.node->op->name);
      for (int v : u.reads) {
        const ValueInfo& in = values[static_cast<std::size_t>(v)];
        arg_ptrs.push_back(value_ptrs[static_cast<std::size_t>(v)]);
        arg_shapes.push_back(in.shape);
        arg_dtypes.push_back(in.dtype);
      }
      p.num_args = u.reads.size();
      s.args.num_inputs = static_cast<int>(u.reads.size());
      s.args.output = const_cast<void*>(value_ptrs[static_cast<std::size_t>(u.out)]);
      s.args.output_dtype = out.dtype;
      attrs.push_back(u.kind == Unit::Kind::copy ? Attrs{} : u.node->attrs);
    }
    out_shapes.push_back(out.shape);
    step_names.push_back(text.str());
    text << " -> " << out.shape.to_string() << " " << dtype_name(out.dtype) << " at ";
    if (out.kind == ValueInfo::Kind::arena) text << "arena+" << out.offset;
    else text << out.label;
    step_text.push_back(text.str());
    steps.push_back(s);
    pending.push_back(p);
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    Step& s = steps[i];
    const Pending& p = pending[i];
    if (s.group) continue;
    s.args.inputs = arg_ptrs.data() + p.first_arg;
    s.args.input_shapes = arg_shapes.data() + p.first_arg;
    s.args.input_dtypes = arg_dtypes.data() + p.first_arg;
    s.args.output_shape = &out_shapes[p.out_shape];
    s.args.attrs = &attrs[p.attrs];
    for (std::size_t a = 0; a < p.num_args; ++a) {
      const ValueInfo& in = values[static_cast<std::size_t>(units[i].reads[a])];
      if (in.kind == ValueInfo::Kind::placeholder) patches.push_back({&arg_ptrs[p.first_arg + a], in.input});
    }
  }
  for (std::size_t v = 0; v < values.size(); ++v)
    if (values[v].kind == ValueInfo::Kind::placeholder) patches.push_back({&value_ptrs[v], values[v].input});
}

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
  Impl& p = *impl_;
  for (const auto& [slot, index] : p.patches) *slot = input_ptrs[index];
  const void* const* values = p.value_ptrs.data();
  for (Impl::Step& s : p.steps) {
    if (s.group) graph_detail::run_fused_group(*s.group, values, p.scratch);
    else s.kernel(s.args);
  }
}

void Plan::run_observed(const void* const* input_ptrs, const std::function<void(int, bool)>& observer) {
  Impl& p = *impl_;
  for (const auto& [slot, index] : p.patches) *slot = input_ptrs[index];
  const void* const* values = p.value_ptrs.data();
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    Impl::Step& s = p.steps[i];
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
