#pragma once
// Strided n-d copies: the one data-movement kernel behind transpose, slice, its gradient,
// concatenate, broadcast_to and tile. Each of those is "walk an index space, read at one
// set of strides, write at another", so one well-tuned loop serves them all.
//
// Elements are moved as opaque words of `elem_size` bytes (1, 2, 4, 8 or anything else),
// so one instantiation serves every dtype of that width.
#include <cstddef>
#include <cstdint>

namespace keras::backend::cpu {

// For every index (i_0, ..., i_{rank-1}) with 0 <= i_d < dims[d]:
//   dst[sum i_d * dst_strides[d]] = src[sum i_d * src_strides[d]]
// Strides are in elements and may be 0 on the source side (broadcast reads). Destination
// locations must not overlap each other (no zero dst strides over a dimension > 1).
// Merges contiguous dimensions, copies contiguous rows with memcpy, transposes in cache
// tiles when the source's unit-stride axis is not the destination's, and threads over rows.
void strided_copy(const void* src, const std::int64_t* src_strides, void* dst, const std::int64_t* dst_strides,
                  const std::int64_t* dims, int rank, std::size_t elem_size);

// Reference twin: unravels every index on its own. Slow and obviously right.
void strided_copy_reference(const void* src, const std::int64_t* src_strides, void* dst,
                            const std::int64_t* dst_strides, const std::int64_t* dims, int rank,
                            std::size_t elem_size);

// Convenience: permute a contiguous row-major array of shape `dims` (rank entries) into the
// contiguous array of shape (dims[perm[0]], ..., dims[perm[rank-1]]).
void transpose_copy(const void* src, void* dst, const std::int64_t* dims, const std::int64_t* perm, int rank,
                    std::size_t elem_size);
void transpose_copy_reference(const void* src, void* dst, const std::int64_t* dims, const std::int64_t* perm,
                              int rank, std::size_t elem_size);

}  // namespace keras::backend::cpu
