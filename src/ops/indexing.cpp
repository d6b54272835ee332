#include "families.h"
#include "op_helpers.h"

namespace keras::ops {
namespace detail {
void register_indexing_ops(OpList& ops) {}
}  // namespace detail
}  // namespace keras::ops
