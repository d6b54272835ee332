#pragma once
// What plan.cpp (compilation, arena, run loop) and fusion.cpp (grouping elementwise chains,
// blockwise execution) share. Not a public header.
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keras/graph/plan.h"
#include "keras/ops/op_def.h"

namespace keras::graph_detail {

// Elements per block of a fused group: every op's block of a float32 chain stays in L1.
inline constexpr std::int64_t kFuseBlock = 512;
// Largest tensor fused. Above it the unfused kernels split the work across threads, which a
// single-threaded blockwise loop would give up.
inline constexpr std::int64_t kFuseMaxElements = std::int64_t{1} << 15;
inline constexpr int kFuseMaxMembers = 16;
// Scratch bytes per internal value of a fused group (a block of the widest dtype).
inline constexpr std::size_t kFuseScratchStride = static_cast<std::size_t>(kFuseBlock) * 8;

// One operand of one member of a fused group.
struct FusedOperand {
  const Node* node = nullptr;  // the operand's storage node
  int value = -1;     // leaf: index into the plan's value table
  int producer = -1;  // internal: index of the member that computes it
  bool scalar = false;  // one element, passed as a rank-0 operand to every block
  std::size_t elem_size = 0;
};

struct FusedMember {
  const Node* node = nullptr;  // compile time only; runs read the copies below
  const OpDef* op = nullptr;
  Attrs attrs;
  DType dtype = DType::float32;
  std::vector<FusedOperand> operands;
  int scratch = -1;  // scratch buffer of this member's result; -1 for the root
  // Kernel arguments, rewritten per block (pointers) and for the tail block (shapes).
  std::vector<const void*> ptrs;
  std::vector<const unsigned char*> bases;  // per operand, resolved at the start of a run
  std::vector<std::size_t> strides;         // bytes advanced per element of the block
  std::vector<DType> dtypes;
  std::vector<Shape> shapes_full, shapes_tail;
  KernelArgs args;
};

struct FusedGroup {
  std::vector<FusedMember> members;  // children before parents; the root is last
  std::int64_t n = 0;
  Shape block_shape, tail_shape;
  int out_value = -1;
  std::size_t out_elem_size = 0;
  int scratch_buffers = 0;
};

// Groups the scheduled op nodes (`order`, execution order, no side effects) into fused
// chains. `consumers` counts each node's distinct consuming nodes; `outputs` are the plan's
// outputs (never absorbed: their values must land in the arena). Members come out in
// execution order with scratch buffers assigned. `root_group` maps each group's root to its
// index; `absorbed` receives the other members, which the caller drops from the schedule.
std::vector<FusedGroup> form_fused_groups(const std::vector<const Node*>& order,
                                          const std::unordered_map<const Node*, int>& consumers,
                                          const std::unordered_set<const Node*>& outputs,
                                          std::unordered_map<const Node*, int>& root_group,
                                          std::unordered_set<const Node*>& absorbed);

// Resolves leaf operands to value indices and precomputes each member's kernel args. Call
// once the group sits at its final address (the args point into it).
void prepare_fused_group(FusedGroup& group, const std::unordered_map<const Node*, int>& value_of);

// Runs the group: `values` is the plan's pointer table, `scratch` its fusion scratch.
void run_fused_group(FusedGroup& group, const void* const* values, unsigned char* scratch);

// The node whose storage `node` reads: an assignment's result is the variable it wrote.
inline const Node* storage_node(const Node* node) {
  while (node->kind == NodeKind::op && node->op->side_effect && !node->value) node = node->inputs[0].get();
  return node;
}

}  // namespace keras::graph_detail
