// Elementwise fusion. A single-consumer chain of same-shaped elementwise ops becomes one
// step that pushes blocks of kFuseBlock elements through every op of the chain, so the
// intermediates live in a few KB of scratch instead of round-tripping through memory.
// Each op still runs its own kernel (on sub-blocks of its operands), so a fused step
// computes exactly what the unfused ops compute.
#include <algorithm>
#include <new>
#include <type_traits>
#include <vector>

#include "../backend/cpu/scratch.h"
#include "keras/backend/parallel.h"

#include "plan_internal.h"

namespace keras::graph_detail {
namespace {

Shape without_leading_ones(const Shape& shape) {
  std::vector<std::int64_t> dims = shape.dims();
  dims.erase(dims.begin(), std::find_if(dims.begin(), dims.end(), [](std::int64_t d) { return d != 1; }));
  return Shape(std::move(dims));
}

// How `operand` maps onto blocks of `out`; false when it cannot (a general broadcast).
bool operand_kind(const Shape& operand, const Shape& out, OperandKind& kind) {
  if (operand == out) {
    kind = OperandKind::full;
    return true;
  }
  if (operand.num_elements() == 1) {
    kind = OperandKind::scalar;
    return true;
  }
  const Shape row = without_leading_ones(operand);
  if (row.rank() >= out.rank() || row.num_elements() > kFuseMaxRow) return false;
  if (!std::equal(row.begin(), row.end(), out.dims().end() - row.rank())) return false;
  kind = OperandKind::row;
  return true;
}

// Every operand is the node's own shape (sliced into blocks), a trailing-dims row (whole
// in every block of whole rows) or a single element; anything else needs the kernel's
// general broadcasting.
bool operands_fusible(const Node* n, const Facts& facts) {
  OperandKind kind;
  const Shape& out = facts.at(n).shape;
  for (const auto& in : n->inputs)
    if (!operand_kind(facts.at(storage_node(in.get())).shape, out, kind)) return false;
  return true;
}

bool fusible_op(const Node* n, const Facts& facts) {
  if (n->kind != NodeKind::op || n->value || !n->op->elementwise || n->op->side_effect) return false;
  if (n->inputs.size() > static_cast<std::size_t>(kFuseMaxOperands)) return false;
  return facts.at(n).shape.num_elements() > 0 && operands_fusible(n, facts);
}

struct Collector {
  const Facts& facts;
  const std::unordered_map<const Node*, int>& consumers;
  const std::unordered_set<const Node*>& outputs;
  const std::unordered_set<const Node*>& scheduled;
  const std::unordered_set<const Node*>& absorbed;
  const Node* root;
  std::unordered_set<const Node*> in_group;
  std::vector<const Node*> post_order;

  bool absorbable(const Node* x) const {
    if (in_group.count(x) || !scheduled.count(x) || absorbed.count(x) || outputs.count(x)) return false;
    if (static_cast<int>(in_group.size()) >= kFuseMaxMembers) return false;
    auto c = consumers.find(x);
    return c != consumers.end() && c->second == 1 && facts.at(x).shape == facts.at(root).shape &&
           fusible_op(x, facts);
  }

  // Post-order: a member's producers come before it, the root last.
  void collect(const Node* n) {
    in_group.insert(n);
    for (const auto& in : n->inputs)
      if (absorbable(in.get())) collect(in.get());
    post_order.push_back(n);
  }
};

}  // namespace

std::vector<FusedGroup> form_fused_groups(const std::vector<const Node*>& order, const Facts& facts,
                                          const std::unordered_map<const Node*, int>& consumers,
                                          const std::unordered_set<const Node*>& outputs,
                                          std::unordered_map<const Node*, int>& root_group,
                                          std::unordered_set<const Node*>& absorbed) {
  const std::unordered_set<const Node*> scheduled(order.begin(), order.end());
  std::vector<FusedGroup> groups;
  // Latest first, so each chain is claimed by its last op.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node* root = *it;
    if (absorbed.count(root) || !fusible_op(root, facts)) continue;
    Collector c{facts, consumers, outputs, scheduled, absorbed, root, {}, {}};
    c.collect(root);
    if (c.post_order.size() < 2) continue;

    FusedGroup group;
    std::unordered_map<const Node*, int> member_index;
    std::vector<int> free_buffers;
    for (const Node* m : c.post_order) {
      FusedMember member;
      member.node = m;
      member.op = m->op;
      member.attrs = facts.at(m).attrs;
      member.dtype = facts.at(m).dtype;
      for (const auto& in : m->inputs) {
        FusedOperand op;
        op.node = storage_node(in.get());
        const NodeFacts& f = facts.at(op.node);
        auto produced = member_index.find(op.node);
        if (produced != member_index.end()) op.producer = produced->second;
        operand_kind(f.shape, facts.at(m).shape, op.kind);
        if (op.kind == OperandKind::row) op.row_shape = without_leading_ones(f.shape);
        op.dtype = f.dtype;
        op.elem_size = dtype_size(f.dtype);
        member.operands.push_back(op);
      }
      if (m != root) {
        // Allocate before releasing the operands' buffers: a kernel whose output is wider
        // than its input must not overwrite input it has not read yet.
        if (free_buffers.empty()) {
          member.scratch = group.scratch_buffers++;
        } else {
          member.scratch = free_buffers.back();
          free_buffers.pop_back();
        }
        absorbed.insert(m);
      }
      for (const auto& op : member.operands) {
        if (op.producer < 0) continue;
        const int buffer = group.members[static_cast<std::size_t>(op.producer)].scratch;
        if (std::find(free_buffers.begin(), free_buffers.end(), buffer) == free_buffers.end())
          free_buffers.push_back(buffer);
      }
      member_index[m] = static_cast<int>(group.members.size());
      group.members.push_back(std::move(member));
    }
    group.shape = facts.at(root).shape;
    group.n = group.shape.num_elements();
    group.out_elem_size = dtype_size(facts.at(root).dtype);
    root_group[root] = static_cast<int>(groups.size());
    groups.push_back(std::move(group));
  }
  return groups;
}

namespace {

// Rows of fewer elements than one vector of floats, repeated many times in a block, run
// faster through the kernel (it lays a short row out many times over and runs one loop).
constexpr std::int64_t kFastMinRow = 16;

// Chooses OpDef::f32_block for a member when its operands allow it (see FusedMember::fast).
void prepare_fast_path(const FusedGroup& group, FusedMember& m) {
  m.fast = nullptr;
  if (!m.op->f32_block || m.dtype != DType::float32) return;
  const bool rows_in_block = group.block_shape.rank() > 1;
  const std::int64_t row = rows_in_block ? group.block_elements / group.block_shape[0] : 0;
  const bool several_rows = rows_in_block && group.block_shape[0] > 1;
  bool has_row = false;
  for (std::size_t i = 0; i < m.operands.size(); ++i) {
    const FusedOperand& op = m.operands[i];
    if (op.dtype != DType::float32) return;
    if (op.kind == OperandKind::row) {
      if (op.row_shape.num_elements() != row) return;  // a narrower row inside the block's rows
      has_row = true;
    }
    m.fast_steps[i] = op.kind == OperandKind::scalar ? 0 : 1;
    m.fast_advances[i] = op.kind == OperandKind::full;
  }
  if (has_row && several_rows && row < kFastMinRow) return;
  m.fast_row = has_row && several_rows ? row : 0;
  m.fast_param = m.attrs.floats.empty() ? 0.0f : static_cast<float>(m.attrs.floats[0]);
  m.fast = m.op->f32_block;
}

}  // namespace

void prepare_fused_group(FusedGroup& group, const std::unordered_map<const Node*, int>& value_of) {
  const Shape& out = group.shape;
  // Row operands need blocks of whole rows: (rows, the widest row's dims...).
  int row_rank = 0;
  for (const FusedMember& m : group.members)
    for (const FusedOperand& op : m.operands)
      if (op.kind == OperandKind::row) row_rank = std::max(row_rank, op.row_shape.rank());
  if (row_rank == 0) {
    const std::int64_t block = std::min(group.n, kFuseBlock);
    const std::int64_t rest = group.n % block;
    group.block_shape = Shape{block};
    group.tail_shape = Shape{rest == 0 ? block : rest};
    group.block_elements = block;
  } else {
    const std::vector<std::int64_t> row_dims(out.dims().end() - row_rank, out.dims().end());
    const std::int64_t row = Shape(row_dims).num_elements();
    const std::int64_t rows = group.n / row;
    const std::int64_t block_rows = std::min(rows, std::max<std::int64_t>(1, kFuseBlock / row));
    const std::int64_t rest = rows % block_rows;
    std::vector<std::int64_t> block{block_rows}, tail{rest == 0 ? block_rows : rest};
    block.insert(block.end(), row_dims.begin(), row_dims.end());
    tail.insert(tail.end(), row_dims.begin(), row_dims.end());
    group.block_shape = Shape(block);
    group.tail_shape = Shape(tail);
    group.block_elements = block_rows * row;
  }
  group.scratch_stride = (static_cast<std::size_t>(group.block_elements) * 8 + 63) / 64 * 64;
  group.out_value = value_of.at(group.members.back().node);
  for (FusedMember& m : group.members) {
    const std::size_t k = m.operands.size();
    m.bases.assign(k, nullptr);
    m.strides.assign(k, 0);
    m.dtypes.clear();
    m.shapes_full.clear();
    m.shapes_tail.clear();
    for (std::size_t i = 0; i < k; ++i) {
      FusedOperand& op = m.operands[i];
      if (op.producer < 0) op.value = value_of.at(op.node);
      // Internal operands sit at the start of their scratch buffer for every block; rows and
      // scalars are whole in every block.
      m.strides[i] = (op.producer < 0 && op.kind == OperandKind::full) ? op.elem_size : 0;
      m.dtypes.push_back(op.dtype);
      switch (op.kind) {
        case OperandKind::full:
          m.shapes_full.push_back(group.block_shape);
          m.shapes_tail.push_back(group.tail_shape);
          break;
        case OperandKind::row:
          m.shapes_full.push_back(op.row_shape);
          m.shapes_tail.push_back(op.row_shape);
          break;
        case OperandKind::scalar:
          m.shapes_full.push_back(Shape{});
          m.shapes_tail.push_back(Shape{});
          break;
      }
    }
    m.args.inputs = nullptr;  // per block, in run_block_range
    m.args.input_shapes = m.shapes_full.data();
    m.args.input_dtypes = m.dtypes.data();
    m.args.num_inputs = static_cast<int>(k);
    m.args.output_shape = &group.block_shape;
    m.args.output_dtype = m.dtype;
    m.args.attrs = &m.attrs;
  }
  for (FusedMember& m : group.members) prepare_fast_path(group, m);
  for (FusedMember& m : group.members) m.node = nullptr;  // runs must not reach back into the graph
}

namespace {

// A member's OpDef::f32_block over `count` elements of one block.
void run_fast(const FusedMember& m, const void* const* operands, float* out, std::int64_t count) {
  const float* in[kFuseMaxOperands];
  const std::size_t k = m.operands.size();
  for (std::size_t i = 0; i < k; ++i) in[i] = static_cast<const float*>(operands[i]);
  if (m.fast_row == 0) {
    m.fast(in, m.fast_steps, out, count, m.fast_param);
    return;
  }
  // A row operand repeats along the block: one call per row.
  const float* row_in[kFuseMaxOperands];
  for (std::int64_t r = 0; r < count; r += m.fast_row) {
    for (std::size_t i = 0; i < k; ++i) row_in[i] = m.fast_advances[i] ? in[i] + r : in[i];
    m.fast(row_in, m.fast_steps, out + r, m.fast_row, m.fast_param);
  }
}

static_assert(std::is_trivially_destructible_v<KernelArgs>);  // run_block_range never destroys its copies

// Elements [begin, end) of the group (begin a multiple of the block size). The kernel
// arguments are copied onto the stack so that several threads can run blocks of one group.
void run_block_range(const FusedGroup& group, unsigned char* out, unsigned char* scratch, std::int64_t begin,
                     std::int64_t end) {
  const void* ptrs[kFuseMaxMembers][kFuseMaxOperands];
  // Raw storage, constructed for the group's members only: a KernelArgs array would be
  // zero-filled (1 KB) on every call, a quarter of a small group's time.
  alignas(KernelArgs) unsigned char args_storage[sizeof(KernelArgs) * kFuseMaxMembers];
  auto* args = reinterpret_cast<KernelArgs*>(args_storage);
  const std::size_t members = group.members.size();
  for (std::size_t j = 0; j < members; ++j) {
    new (&args[j]) KernelArgs(group.members[j].args);
    args[j].inputs = ptrs[j];
    args[j].output = group.members[j].scratch >= 0
                         ? scratch + static_cast<std::size_t>(group.members[j].scratch) * group.scratch_stride
                         : nullptr;
  }
  const std::int64_t block = group.block_elements;
  for (std::int64_t start = begin; start < end; start += block) {
    const bool tail = group.n - start < block;
    for (std::size_t j = 0; j < members; ++j) {
      const FusedMember& m = group.members[j];
      for (std::size_t i = 0; i < m.operands.size(); ++i) {
        const int producer = m.operands[i].producer;
        // Internal operands sit at the start of their producer's scratch buffer in every block.
        if (producer >= 0)
          ptrs[j][i] = scratch + static_cast<std::size_t>(group.members[static_cast<std::size_t>(producer)].scratch) *
                                     group.scratch_stride;
        else
          ptrs[j][i] = m.bases[i] + static_cast<std::size_t>(start) * m.strides[i];
      }
      if (m.fast) {
        float* result = static_cast<float*>(m.scratch < 0 ? out + static_cast<std::size_t>(start) * group.out_elem_size
                                                          : args[j].output);
        run_fast(m, ptrs[j], result, tail ? group.n - start : block);
        continue;
      }
      args[j].input_shapes = tail ? m.shapes_tail.data() : m.shapes_full.data();
      args[j].output_shape = tail ? &group.tail_shape : &group.block_shape;
      if (m.scratch < 0) args[j].output = out + static_cast<std::size_t>(start) * group.out_elem_size;
      m.op->kernel(args[j]);
    }
  }
}


}  // namespace

void run_fused_group(FusedGroup& group, const void* const* values, unsigned char* scratch) {
  for (FusedMember& m : group.members)
    for (std::size_t i = 0; i < m.operands.size(); ++i) {
      const FusedOperand& op = m.operands[i];
      m.bases[i] = op.producer >= 0 ? nullptr : static_cast<const unsigned char*>(values[op.value]);
    }
  auto* out = static_cast<unsigned char*>(const_cast<void*>(values[group.out_value]));
  if (group.n < kFuseParallelElements || backend::num_threads() < 2) {
    run_block_range(group, out, scratch, 0, group.n);
    return;
  }
  // Every block is independent: threads take disjoint runs of blocks, each with its own
  // scratch, so results do not depend on the thread count.
  const std::int64_t block = group.block_elements;
  const std::int64_t blocks = (group.n + block - 1) / block;
  const std::size_t scratch_bytes = static_cast<std::size_t>(group.scratch_buffers) * group.scratch_stride;
  backend::parallel_for(blocks, kFuseParallelGrainBlocks, [&](std::int64_t b0, std::int64_t b1) {
    // Leased (scratch.h), not per-thread: warm plans run allocation-free whichever thread
    // takes which blocks.
    const backend::cpu::ScratchLease<unsigned char, 0> scratch(scratch_bytes);
    run_block_range(group, out, scratch.data(), b0 * block, std::min(group.n, b1 * block));
  });
}

}  // namespace keras::graph_detail
