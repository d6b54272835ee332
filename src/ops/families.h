#pragma once
// Each op family's source file registers its OpDefs here; registry.cpp calls them in order.
#include <vector>

#include "keras/ops/op_def.h"

namespace keras::ops::detail {
using OpList = std::vector<const OpDef*>;
void register_elementwise_binary_ops(OpList& ops);  // src/ops/elementwise_binary.cpp
void register_elementwise_unary_ops(OpList& ops);   // src/ops/elementwise_unary.cpp
void register_activation_ops(OpList& ops);          // src/ops/activations.cpp
void register_reduction_ops(OpList& ops);           // src/ops/reduce.cpp
void register_linalg_ops(OpList& ops);              // src/ops/linalg.cpp
void register_dense_ops(OpList& ops);               // src/ops/dense.cpp
void register_shape_ops(OpList& ops);               // src/ops/shape_ops.cpp
void register_indexing_ops(OpList& ops);            // src/ops/indexing.cpp
void register_creation_ops(OpList& ops);            // src/ops/creation.cpp
void register_state_ops(OpList& ops);               // src/ops/assign.cpp
void register_conv_ops(OpList& ops);                // src/ops/conv.cpp
void register_pooling_ops(OpList& ops);             // src/ops/pooling.cpp
void register_random_ops(OpList& ops);              // src/ops/random_ops.cpp
void register_recurrent_ops(OpList& ops);           // src/ops/recurrent.cpp
void register_optimizer_ops(OpList& ops);           // src/ops/optimizer_ops.cpp
}  // namespace keras::ops::detail
