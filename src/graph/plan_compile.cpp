// Plan compilation: schedule (dead-code removal, side effects last), shape specialization,
// constant folding, views, fusion, direct variable writes, arena slots by liveness, and the
// precomputed kernel arguments of every step.
#include <algorithm>
#include <cstring>
#include <sstream>

#include "plan_internal.h"

namespace keras {

using namespace graph_detail;

namespace {

constexpr std::size_t kAlign = 64;
std::size_t align_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Copies input 0 into the output: snapshots a variable that an assignment later overwrites,
// and performs views the plan cannot alias.
void copy_kernel(const KernelArgs& k) {
  const auto bytes = static_cast<std::size_t>(k.output_shape->num_elements()) * dtype_size(k.output_dtype);
  if (bytes) std::memcpy(k.output, k.inputs[0], bytes);
}

// Ops whose kernels copy input 0's bytes unchanged (row-major order kept), so that the result
// may share the input's storage.
bool is_view_op(const OpDef* op) {
  return op->name == "reshape" || op->name == "reshape_like" || op->name == "expand_dims" || op->name == "squeeze";
}

// Inputs that an op's kernel reads only for their shape: a result that depends on nothing
// else is a constant once the shapes are fixed.
bool reads_only_shape(const OpDef* op, std::size_t input) {
  if (op->name == "fill_like") return input == 0;
  if (op->name == "broadcast_like" || op->name == "reshape_like") return input == 1;
  return false;
}

// One entry of the schedule before it becomes a step.
struct Unit {
  enum class Kind : std::uint8_t { op, fused, copy, effect };
  Kind kind = Kind::op;
  const Node* node = nullptr;  // op / effect
  int group = -1;              // fused
  std::vector<int> reads;      // values read, in kernel operand order (fused: leaves, unique)
  int out = -1;                // value written (effect: the variable)
  bool removed = false;
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
bool is_constant_leaf(const Node* n) {
  return n->value && n->kind != NodeKind::variable && n->kind != NodeKind::placeholder;
}

std::string node_label(const Node* n) {
  switch (n->kind) {
    case NodeKind::placeholder: return "input";
    case NodeKind::variable: return "variable '" + n->name + "'";
    default: return "constant";
  }
}

bool compatible(const Shape& traced, const Shape& concrete) {
  if (traced.rank() != concrete.rank()) return false;
  for (int i = 0; i < traced.rank(); ++i)
    if (traced.dims()[i] >= 0 && traced.dims()[i] != concrete.dims()[i]) return false;
  return true;
}

}  // namespace

void Plan::Impl::compile(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
                         const std::vector<Tensor>& side_effects) {
  std::unordered_map<const Node*, int> value_of;
  Facts facts;
  auto add_value = [&](ValueInfo v) {
    values.push_back(std::move(v));
    return static_cast<int>(values.size()) - 1;
  };
  auto fixed_value = [&](const Node* n, const std::shared_ptr<Buffer>& buffer, const std::string& label) {
    ValueInfo v;
    v.kind = ValueInfo::Kind::fixed;
    v.shape = facts.at(n).shape;
    v.dtype = facts.at(n).dtype;
    v.bytes = buffer->nbytes();
    v.fixed = buffer->data();
    v.label = label;
    keep_alive.push_back(buffer);
    return value_of[n] = add_value(std::move(v));
  };

  // ---- inputs ---------------------------------------------------------------------------------
  if (!options.input_shapes.empty() && options.input_shapes.size() != inputs.size())
    throw ValueError("PlanOptions::input_shapes needs one shape per input: expected " + std::to_string(inputs.size()) +
                     ". Received: " + std::to_string(options.input_shapes.size()));
  bool specialized = false;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || t.node()->kind != NodeKind::placeholder)
      throw ValueError("Plan inputs must be placeholders (keras::Tensor::placeholder). Received: input " +
                       std::to_string(i) + (t.defined() ? " with shape " + t.shape().to_string() : " undefined"));
    const Node* n = t.node().get();
    if (value_of.count(n))
      throw ValueError("Plan input " + std::to_string(i) + " is listed twice. Received: the same placeholder with shape " +
                       n->shape.to_string());
    Shape shape = n->shape;
    if (!options.input_shapes.empty()) {
      shape = options.input_shapes[i];
      if (!compatible(n->shape, shape) || !shape.is_fully_defined())
        throw ValueError("Plan input " + std::to_string(i) + " was traced with shape " + n->shape.to_string() +
                         "; expected a fully defined shape compatible with it. Received: " + shape.to_string());
      specialized = specialized || shape != n->shape;
    }
    if (!shape.is_fully_defined())
      throw ValueError("A Plan is compiled for concrete input shapes. Expected input " + std::to_string(i) +
                       " to have a fully defined shape (or PlanOptions::input_shapes to give one). Received: shape=" +
                       shape.to_string());
    facts[n] = {shape, n->dtype, {}};
    ValueInfo v;
    v.kind = ValueInfo::Kind::placeholder;
    v.shape = shape;
    v.dtype = n->dtype;
    v.bytes = static_cast<std::size_t>(shape.num_elements()) * dtype_size(n->dtype);
    v.input = static_cast<int>(i);
    v.label = "input " + std::to_string(i);
    value_of[n] = add_value(std::move(v));
    input_shapes.push_back(shape);
    input_dtypes.push_back(n->dtype);
    input_names.push_back(n->name);
  }

  // ---- reachable nodes in execution order (dead-code removal) -----------------------------------
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
  std::vector<const Node*> order, leaves;
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
    facts[n] = {n->shape, n->dtype, {}};
    fixed_value(n, n->value, node_label(n));
  }

  // ---- shapes: the traced ones, or re-inferred for concrete input shapes -------------------------
  for (const Node* n : order) {
    if (!specialized) {
      facts[n] = {n->shape, n->dtype, n->attrs};
    } else {
      std::vector<TensorSpec> specs;
      for (const auto& in : n->inputs) specs.push_back({facts.at(in.get()).shape, facts.at(in.get()).dtype});
      Attrs attrs = n->attrs;
      const TensorSpec out = n->op->infer(specs, attrs);
      facts[n] = {out.shape, out.dtype, std::move(attrs)};
    }
    if (!facts[n].shape.is_fully_defined())
      throw ValueError("Op '" + n->op->name + "' has a result of unknown shape " + facts[n].shape.to_string() +
                       " in a plan for concrete inputs.");
  }

  // Side effects run last, in the order they were recorded.
  std::vector<const Node*> compute, effects;
  {
    std::unordered_set<const Node*> listed;
    for (const Tensor& e : side_effects)
      if (listed.insert(e.node().get()).second) effects.push_back(e.node().get());
    for (const Node* n : order) {
      if (!n->op->side_effect) compute.push_back(n);
      else if (!listed.count(n)) effects.push_back(n);
    }
  }

  // ---- constant folding: results that depend on constants and shapes only ------------------------
  std::unordered_set<const Node*> folded;
  for (const Node* n : compute) {
    bool constant = true;
    for (std::size_t i = 0; i < n->inputs.size() && constant; ++i) {
      const Node* in = n->inputs[i].get();
      constant = reads_only_shape(n->op, i) || folded.count(in) || is_constant_leaf(in);
    }
    if (!constant) continue;
    const NodeFacts& f = facts.at(n);
    auto buffer = std::make_shared<Buffer>(static_cast<std::size_t>(f.shape.num_elements()) * dtype_size(f.dtype));
    std::vector<const void*> ptrs;
    std::vector<Shape> shapes;
    std::vector<DType> dtypes;
    for (std::size_t i = 0; i < n->inputs.size(); ++i) {
      const Node* in = n->inputs[i].get();
      const auto found = value_of.find(in);
      const bool readable = found != value_of.end() && values[static_cast<std::size_t>(found->second)].kind ==
                                                           ValueInfo::Kind::fixed;
      ptrs.push_back(readable ? values[static_cast<std::size_t>(found->second)].fixed : nullptr);
      shapes.push_back(facts.at(in).shape);
      dtypes.push_back(facts.at(in).dtype);
    }
    KernelArgs args;
    args.inputs = ptrs.data();
    args.input_shapes = shapes.data();
    args.input_dtypes = dtypes.data();
    args.num_inputs = static_cast<int>(ptrs.size());
    args.output = buffer->data();
    args.output_shape = &f.shape;
    args.output_dtype = f.dtype;
    args.attrs = &f.attrs;
    n->op->kernel(args);
    folded.insert(n);
    fixed_value(n, buffer, "folded " + n->op->name);
    ++folded_ops;
  }

  // Folding can leave nodes that only fed a shape (x in ones_like(x)) without readers.
  {
    std::unordered_set<const Node*> live;
    std::vector<const Node*> stack(roots.begin(), roots.end());
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!live.insert(n).second || !computed(n) || folded.count(n)) continue;
      for (const auto& in : n->inputs) stack.push_back(in.get());
    }
    compute.erase(std::remove_if(compute.begin(), compute.end(), [&](const Node* n) { return !live.count(n); }),
                  compute.end());
  }

  // ---- views: reshape-like results share their input's storage ----------------------------------
  // Not over variables (an assignment would show through) or placeholders (bound per run).
  std::unordered_set<const Node*> views;
  for (const Node* n : compute) {
    if (folded.count(n) || !is_view_op(n->op)) continue;
    const Node* source = n->inputs[0].get();
    if (computed(source) ? source->op->side_effect : !is_constant_leaf(source)) continue;
    views.insert(n);
  }

  // ---- graph facts for fusion and copies -----------------------------------------------------------
  std::vector<const Node*> scheduled;
  for (const Node* n : compute)
    if (!folded.count(n) && !views.count(n)) scheduled.push_back(n);
  std::unordered_map<const Node*, int> consumers;
  for (const auto* list : {&compute, &effects})
    for (const Node* n : *list) {
      if (folded.count(n)) continue;
      std::unordered_set<const Node*> distinct;
      for (const auto& in : n->inputs) distinct.insert(storage_node(in.get()));
      for (const Node* in : distinct) ++consumers[in];
    }
  std::unordered_set<const Node*> output_nodes;
  for (const Tensor& t : outputs) output_nodes.insert(storage_node(t.node().get()));
  std::unordered_map<const Node*, int> assignments;  // variable -> number of effects writing it
  for (const Node* e : effects)
    for (int w = 0; w < e->op->num_written_inputs && w < static_cast<int>(e->inputs.size()); ++w)
      ++assignments[storage_node(e->inputs[static_cast<std::size_t>(w)].get())];

  std::unordered_map<const Node*, int> root_group;
  std::unordered_set<const Node*> absorbed;
  if (options.fuse_elementwise) {
    for (auto& g : form_fused_groups(scheduled, facts, consumers, output_nodes, root_group, absorbed)) {
      fused_ops += static_cast<int>(g.members.size());
      groups.push_back(std::make_unique<FusedGroup>(std::move(g)));
    }
  }

  // ---- schedule ------------------------------------------------------------------------------------
  auto arena_value = [&](const NodeFacts& f, const std::string& label) {
    ValueInfo v;
    v.shape = f.shape;
    v.dtype = f.dtype;
    v.bytes = static_cast<std::size_t>(f.shape.num_elements()) * dtype_size(f.dtype);
    v.label = label;
    intermediate_bytes += align_up(v.bytes);
    return add_value(std::move(v));
  };
  std::vector<Unit> units;
  for (const Node* n : compute) {
    if (folded.count(n) || absorbed.count(n)) continue;
    if (views.count(n)) {
      ValueInfo v;
      v.kind = ValueInfo::Kind::alias;
      v.shape = facts.at(n).shape;
      v.dtype = facts.at(n).dtype;
      v.bytes = static_cast<std::size_t>(v.shape.num_elements()) * dtype_size(v.dtype);
      v.alias_of = value_of.at(n->inputs[0].get());
      v.label = n->op->name + " view";
      value_of[n] = add_value(std::move(v));
      ++view_ops;
      continue;
    }
    Unit u;
    u.node = n;
    auto g = root_group.find(n);
    if (g != root_group.end()) {
      u.kind = Unit::Kind::fused;
      u.group = g->second;
    }
    u.out = value_of[n] = arena_value(facts.at(n), n->op->name);
    units.push_back(std::move(u));
  }
  const std::size_t num_compute_units = units.size();
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
    u.out = arena_value(facts.at(var), "copy of " + node_label(var));
    units.push_back(u);
    return snapshot[var] = u.out;
  };
  for (const Tensor& t : outputs) {
    const Node* n = storage_node(t.node().get());
    output_values.push_back(assignments.count(n) ? snapshot_of(n) : value_of.at(n));
  }
  std::vector<Unit> effect_units;
  for (const Node* e : effects) {
    Unit u;
    u.kind = Unit::Kind::effect;
    u.node = e;
    const Node* var = storage_node(e->inputs[0].get());
    u.out = value_of.at(var);
    u.reads = {u.out};
    // Written inputs are passed as themselves (the op updates them in place); other inputs
    // must not see earlier assignments of this step.
    for (std::size_t i = 1; i < e->inputs.size(); ++i) {
      const Node* in = storage_node(e->inputs[i].get());
      const bool written = static_cast<int>(i) < e->op->num_written_inputs;
      u.reads.push_back(!written && assignments.count(in) ? snapshot_of(in) : value_of.at(in));
    }
    value_of[e] = u.out;
    effect_units.push_back(std::move(u));
  }
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

  // ---- direct variable writes ------------------------------------------------------------------------
  // `w.assign(w - lr * g)`: when the new value feeds only its assignment, its step can write
  // straight into the variable, moved after every other read of the variable; the copy step
  // goes away. A step that reads the variable itself must be elementwise (it then reads each
  // element before overwriting it). Deferred steps that read each other's variables are
  // ordered so that reads come first; a cycle (a swap) keeps its copies.
  std::vector<std::size_t> deferred;  // indices into units, in execution order
  if (options.in_place) {
    std::unordered_map<const Node*, std::size_t> unit_of;
    for (std::size_t i = 0; i < num_compute_units; ++i) unit_of[units[i].node] = i;
    std::unordered_map<int, std::size_t> candidate_of_var;  // variable value -> unit index
    std::unordered_map<std::size_t, std::size_t> effect_of;  // unit index -> effect index
    for (std::size_t e = 0; e < effect_units.size(); ++e) {
      const Node* eff = effect_units[e].node;
      if (eff->op->num_inputs != 2 || eff->op->num_written_inputs != 1) continue;  // only plain assignments
      const Node* var = storage_node(eff->inputs[0].get());
      const Node* val = storage_node(eff->inputs[1].get());
      auto found = unit_of.find(val);
      if (assignments.at(var) != 1 || found == unit_of.end() || consumers[val] != 1 || output_nodes.count(val)) continue;
      const Unit& producer = units[found->second];
      const int var_value = value_of.at(var);
      const bool reads_var =
          std::find(producer.reads.begin(), producer.reads.end(), var_value) != producer.reads.end();
      const bool elementwise = producer.kind == Unit::Kind::fused || producer.node->op->elementwise;
      if (reads_var && !elementwise) continue;
      candidate_of_var[var_value] = found->second;
      effect_of[found->second] = e;
    }
    // Kahn's algorithm over "reads the variable that the other one writes".
    std::unordered_map<std::size_t, std::vector<std::size_t>> before;  // u -> units that must follow u
    std::unordered_map<std::size_t, int> waiting;
    for (const auto& [var_value, u] : candidate_of_var) waiting[u];
    for (const auto& [var_value, writer] : candidate_of_var)
      for (const auto& [other_var, reader] : candidate_of_var)
        if (reader != writer &&
            std::find(units[reader].reads.begin(), units[reader].reads.end(), var_value) != units[reader].reads.end()) {
          before[reader].push_back(writer);
          ++waiting[writer];
        }
    std::vector<std::size_t> ready;
    for (const auto& [u, count] : waiting)
      if (count == 0) ready.push_back(u);
    while (!ready.empty()) {
      // Keep the original order among unconstrained steps: deterministic plans.
      auto next = std::min_element(ready.begin(), ready.end());
      const std::size_t u = *next;
      ready.erase(next);
      deferred.push_back(u);
      for (std::size_t w : before[u])
        if (--waiting[w] == 0) ready.push_back(w);
    }
    for (std::size_t u : deferred) {
      Unit& producer = units[u];
      Unit& effect = effect_units[effect_of.at(u)];
      ValueInfo& replaced = values[static_cast<std::size_t>(producer.out)];
      intermediate_bytes -= align_up(replaced.bytes);
      replaced.kind = ValueInfo::Kind::alias;  // nothing reads it; keep it pointing somewhere valid
      replaced.alias_of = effect.out;
      producer.out = effect.out;
      effect.removed = true;
      ++direct_writes;
    }
  }
  {
    std::vector<Unit> final_units;
    std::unordered_set<std::size_t> is_deferred(deferred.begin(), deferred.end());
    for (std::size_t i = 0; i < units.size(); ++i)
      if (!is_deferred.count(i)) final_units.push_back(std::move(units[i]));
    for (std::size_t i : deferred) final_units.push_back(std::move(units[i]));
    for (Unit& u : effect_units)
      if (!u.removed) final_units.push_back(std::move(u));
    units = std::move(final_units);
  }

  // ---- liveness and arena slots ------------------------------------------------------------------------
  auto root_of = [&](int v) {
    while (values[static_cast<std::size_t>(v)].kind == ValueInfo::Kind::alias) v = values[static_cast<std::size_t>(v)].alias_of;
    return v;
  };
  for (int v : output_values) values[static_cast<std::size_t>(root_of(v))].output = true;
  for (std::size_t i = 0; i < units.size(); ++i)
    for (int v : units[i].reads) values[static_cast<std::size_t>(root_of(v))].last_use = static_cast<int>(i);
  SlotAllocator slots;
  auto dies_here = [&](int root, std::size_t i) {
    const ValueInfo& info = values[static_cast<std::size_t>(root)];
    return info.kind == ValueInfo::Kind::arena && !info.output && info.last_use == static_cast<int>(i);
  };
  for (std::size_t i = 0; i < units.size(); ++i) {
    Unit& u = units[i];
    ValueInfo& out = values[static_cast<std::size_t>(u.out)];
    if (u.kind == Unit::Kind::effect || out.kind != ValueInfo::Kind::arena) continue;
    int reused = -1;
    const bool elementwise = u.kind == Unit::Kind::fused || (u.kind == Unit::Kind::op && u.node->op->elementwise);
    if (options.in_place && elementwise) {
      for (int v : u.reads) {
        const ValueInfo& in = values[static_cast<std::size_t>(v)];
        const int root = root_of(v);
        if (dies_here(root, i) && in.shape == out.shape && dtype_size(in.dtype) == dtype_size(out.dtype)) {
          reused = root;
          break;
        }
      }
    }
    const std::size_t size = align_up(out.bytes);
    if (reused >= 0) out.offset = values[static_cast<std::size_t>(reused)].offset;
    else if (size > 0) out.offset = slots.allocate(size);
    for (int v : u.reads) {
      const int root = root_of(v);
      ValueInfo& in = values[static_cast<std::size_t>(root)];
      if (root == reused || !dies_here(root, i)) continue;
      if (in.bytes > 0) slots.release(in.offset, align_up(in.bytes));
      in.last_use = -2;  // released: an operand read twice (x * x) is released once
    }
    if (out.last_use < 0 && !out.output && size > 0 && reused < 0) slots.release(out.offset, size);
  }
  // Fused groups know their block shapes (and so their scratch sizes) once prepared; that
  // needs value indices only, not the arena.
  std::size_t scratch_bytes = 0;
  for (const auto& g : groups) {
    prepare_fused_group(*g, value_of);
    scratch_bytes = std::max(scratch_bytes, static_cast<std::size_t>(g->scratch_buffers) * g->scratch_stride);
  }
  const std::size_t scratch_offset = align_up(slots.end());
  arena_bytes = scratch_offset + scratch_bytes;
  arena = std::make_unique<Buffer>(arena_bytes);
  auto* base = static_cast<unsigned char*>(arena->data());
  scratch = base + scratch_offset;

  value_ptrs.resize(values.size());
  for (std::size_t v = 0; v < values.size(); ++v) {
    const ValueInfo& info = values[static_cast<std::size_t>(root_of(static_cast<int>(v)))];
    if (info.kind == ValueInfo::Kind::fixed) value_ptrs[v] = info.fixed;
    else if (info.kind == ValueInfo::Kind::arena) value_ptrs[v] = base + info.offset;
    else value_ptrs[v] = nullptr;  // placeholder: patched by every run
  }

  // ---- steps with precomputed kernel args -----------------------------------------------------------
  struct Pending {
    std::size_t first_arg, num_args, out_shape, attrs;
  };
  std::vector<Pending> pending;
  for (const Unit& u : units) {
    PlanStep s;
    Pending p{arg_ptrs.size(), 0, out_shapes.size(), attrs.size()};
    std::ostringstream text;
    const ValueInfo& out = values[static_cast<std::size_t>(u.out)];
    if (u.kind == Unit::Kind::fused) {
      FusedGroup& g = *groups[static_cast<std::size_t>(u.group)];
      g.out_value = u.out;  // a direct variable write lands in the variable
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
      attrs.push_back(u.kind == Unit::Kind::copy ? Attrs{} : facts.at(u.node).attrs);
    }
    out_shapes.push_back(out.shape);
    step_names.push_back(text.str());
    text << " -> " << out.shape.to_string() << " " << dtype_name(out.dtype) << " at ";
    const ValueInfo& home = values[static_cast<std::size_t>(root_of(u.out))];
    if (home.kind == ValueInfo::Kind::arena) text << "arena+" << home.offset;
    else text << home.label;
    step_text.push_back(text.str());
    steps.push_back(s);
    pending.push_back(p);
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    PlanStep& s = steps[i];
    const Pending& p = pending[i];
    if (s.group) continue;
    s.args.inputs = arg_ptrs.data() + p.first_arg;
    s.args.input_shapes = arg_shapes.data() + p.first_arg;
    s.args.input_dtypes = arg_dtypes.data() + p.first_arg;
    s.args.output_shape = &out_shapes[p.out_shape];
    s.args.attrs = &attrs[p.attrs];
    for (std::size_t a = 0; a < p.num_args; ++a) {
      const ValueInfo& in = values[static_cast<std::size_t>(root_of(units[i].reads[a]))];
      if (in.kind == ValueInfo::Kind::placeholder) patches.push_back({&arg_ptrs[p.first_arg + a], in.input});
    }
  }
  for (std::size_t v = 0; v < values.size(); ++v) {
    const ValueInfo& info = values[static_cast<std::size_t>(root_of(static_cast<int>(v)))];
    if (info.kind == ValueInfo::Kind::placeholder) patches.push_back({&value_ptrs[v], info.input});
  }
}

}  // namespace keras
