#pragma once
/// One thread pool for all of keras.cpp's CPU kernels. Tiny work runs inline on the calling
/// thread: thread hand-off costs microseconds, more than small kernels take.
#include <cstdint>
#include <functional>

namespace keras::backend {

/// Threads used by kernels (default: hardware concurrency; KERAS_NUM_THREADS overrides).
int num_threads();
void set_num_threads(int threads);

/// Calls fn(begin, end) over disjoint chunks covering [0, n). Runs inline when
/// n < grain or only one thread is configured. fn must not throw.
void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

}  // namespace keras::backend
