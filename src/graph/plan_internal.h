#pragma once
// What plan.cpp (compilation, arena, run loop) and fusion.cpp (grouping elementwise chains,
// blockwise execution) share. Not a public header.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keras/graph/plan.h"
#include "keras/ops/op_def.h"

namespace keras::graph_detail {

// Elements per block of a fused group: every op's block of a float32 chain stays in L1.
inline constexpr std::int64_t kFuseBlock = 512;
// Groups of at least this many elements split their blocks across the thread pool (each
// thread with its own scratch); smaller ones run on the calling thread, where a hand-off
// would cost more than the work.
inline constexpr std::int64_t kFuseParallelElements = std::int64_t{1} << 15;
// Blocks per thread chunk of a parallel group.
inline constexpr std::int64_t kFuseParallelGrainBlocks = 16;
// Operands per fused member (where has three; a kernel with more runs unfused).
inline constexpr int kFuseMaxOperands = 4;
// Largest row of a row-broadcast operand (a bias): a block holds at least one whole row.
inline constexpr std::int64_t kFuseMaxRow = 4096;
inline constexpr int kFuseMaxMembers = 16;

// How a member's operand maps onto a block of the group's output.
enum class OperandKind : std::uint8_t {
  full,      // the output's shape: sliced into blocks
  row,       // a trailing-dims shape such as a bias (75,) for (32, 75): whole in every block
  scalar,    // one element: whole in every block
};

// One operand of one member of a fused group.
struct FusedOperand {
  const Node* node = nullptr;  // the operand's storage node
  int value = -1;     // leaf: index into the plan's value table
  int producer = -1;  // internal: index of the member that computes it
  OperandKind kind = OperandKind::full;
  Shape row_shape;    // kind == row: the operand's shape without leading ones
  DType dtype = DType::float32;
  std::size_t elem_size = 0;
};

struct FusedMember {
  const Node* node = nullptr;  // compile time only; runs read the copies below
  const OpDef* op = nullptr;
  Attrs attrs;
  DType dtype = DType::float32;
  std::vector<FusedOperand> operands;
  int scratch = -1;  // scratch buffer of this member's result; -1 for the root
  // Kernel arguments; run_block_range copies them and sets the pointers of each block.
  std::vector<const unsigned char*> bases;  // per operand, resolved at the start of a run
  std::vector<std::size_t> strides;         // bytes advanced per output element
  std::vector<DType> dtypes;
  std::vector<Shape> shapes_full, shapes_tail;
  KernelArgs args;
  // The op's float32 block loop (OpDef::f32_block) where every operand is float32 and each
  // row operand spans the block's whole rows; null: the kernel runs. Operands step 1 (full,
  // row) or 0 (scalar); full ones advance by fast_row per row when a row operand repeats
  // (fast_row 0: the block is one contiguous run).
  F32BlockFn fast = nullptr;
  float fast_param = 0;
  std::int64_t fast_row = 0;
  std::int64_t fast_steps[kFuseMaxOperands] = {};
  bool fast_advances[kFuseMaxOperands] = {};
};

struct FusedGroup {
  std::vector<FusedMember> members;  // children before parents; the root is last
  Shape shape;  // the root's (every member's) shape
  std::int64_t n = 0;
  // Blocks cover whole rows when an operand is row-broadcast: (rows, trailing dims...);
  // otherwise they are flat: (elements,).
  Shape block_shape, tail_shape;
  std::int64_t block_elements = 0;
  int out_value = -1;
  std::size_t out_elem_size = 0;
  int scratch_buffers = 0;
  std::size_t scratch_stride = 0;  // bytes per scratch buffer (a block of the widest dtype)
};

// What compilation knows about a node: its shape, dtype and attrs, re-inferred when the
// plan specializes placeholders with unknown dims to concrete shapes.
struct NodeFacts {
  Shape shape;
  DType dtype = DType::float32;
  Attrs attrs;
};
using Facts = std::unordered_map<const Node*, NodeFacts>;

// Groups the scheduled op nodes (`order`, execution order, no side effects) into fused
// chains. `consumers` counts each node's distinct consuming nodes; `outputs` are the plan's
// outputs (never absorbed: their values must land in the arena). Members come out in
// execution order with scratch buffers assigned. `root_group` maps each group's root to its
// index; `absorbed` receives the other members, which the caller drops from the schedule.
std::vector<FusedGroup> form_fused_groups(const std::vector<const Node*>& order, const Facts& facts,
                                          const std::unordered_map<const Node*, int>& consumers,
                                          const std::unordered_set<const Node*>& outputs,
                                          std::unordered_map<const Node*, int>& root_group,
                                          std::unordered_set<const Node*>& absorbed);

// Resolves leaf operands to value indices and precomputes each member's kernel args. Call
// once the group sits at its final address (the args point into it).
void prepare_fused_group(FusedGroup& group, const std::unordered_map<const Node*, int>& value_of);

// Runs the group: `values` is the plan's pointer table, `scratch` its fusion scratch.
void run_fused_group(FusedGroup& group, const void* const* values, unsigned char* scratch);

// One value a plan reads or writes.
struct ValueInfo {
  enum class Kind : std::uint8_t {
    fixed,        // a constant's, folded constant's or variable's buffer
    placeholder,  // bound to the caller's pointer at each run
    arena,        // a slot of the arena
    alias,        // shares another value's storage (a reshape-like view)
  };
  Kind kind = Kind::arena;
  Shape shape;
  DType dtype = DType::float32;
  std::size_t bytes = 0;
  int input = -1;            // placeholder: input index
  const void* fixed = nullptr;
  std::size_t offset = 0;    // arena
  int alias_of = -1;         // alias: the value whose storage it shares
  int last_use = -1;         // index of the last unit that reads it (liveness)
  bool output = false;
  std::string label;
};

struct PlanStep {
  KernelFn kernel = nullptr;
  KernelArgs args;
  FusedGroup* group = nullptr;  // set: a fused group (kernel unused)
};

// The node whose storage `node` reads: an assignment's result is the variable it wrote.
inline const Node* storage_node(const Node* node) {
  while (node->kind == NodeKind::op && node->op->side_effect && !node->value) node = node->inputs[0].get();
  return node;
}

}  // namespace keras::graph_detail

namespace keras {

struct Plan::Impl {
  PlanOptions options;
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  std::vector<std::string> input_names;
  std::vector<int> output_values;
  std::vector<graph_detail::ValueInfo> values;
  std::vector<const void*> value_ptrs;
  std::vector<std::shared_ptr<Buffer>> keep_alive;
  std::unique_ptr<Buffer> arena;
  std::size_t arena_bytes = 0;
  std::size_t intermediate_bytes = 0;
  unsigned char* scratch = nullptr;

  std::vector<graph_detail::PlanStep> steps;
  std::vector<std::string> step_text;
  std::vector<std::string> step_names;
  // Flat storage the steps' KernelArgs point into.
  std::vector<const void*> arg_ptrs;
  std::vector<Shape> arg_shapes;
  std::vector<DType> arg_dtypes;
  std::vector<Shape> out_shapes;
  std::vector<Attrs> attrs;
  std::vector<std::unique_ptr<graph_detail::FusedGroup>> groups;
  int fused_ops = 0;
  int folded_ops = 0;
  int view_ops = 0;
  int direct_writes = 0;
  // Where each run writes the caller's input pointers.
  std::vector<std::pair<const void**, int>> patches;

  // plan_compile.cpp
  void compile(const std::vector<Tensor>& inputs, const std::vector<Tensor>& outputs,
               const std::vector<Tensor>& side_effects);
};

}  // namespace keras
