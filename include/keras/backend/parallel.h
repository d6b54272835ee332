#pragma once
/// One thread pool for all of keras.cpp's CPU kernels. Tiny work runs inline on the calling
/// thread: thread hand-off costs microseconds, more than small kernels take.
#include <algorithm>
#include <cstdint>
#include <functional>  // kept: some includers rely on it
#include <memory>
#include <type_traits>
#include <utility>

namespace keras::backend {

/// Threads used by kernels (default: hardware concurrency; KERAS_NUM_THREADS overrides).
int num_threads();
void set_num_threads(int threads);

/// A non-owning reference to a callable. Unlike std::function it never allocates, so a
/// kernel's parallel loop costs nothing on the heap (compiled plans run allocation-free).
/// The callable must outlive the call it is passed to (a lambda argument does).
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f) noexcept  // NOLINT(google-explicit-constructor): converts like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

/// Registers setup to run on each pool thread when it starts, and on the thread that creates
/// the pool: for per-thread state a library creates lazily (OpenBLAS allocates a thread's
/// buffers on its first product), so that it is created up front and not in the middle of a
/// compiled plan's later runs (any pool thread may take any chunk of any run). Register from
/// a static initializer, before the first parallel loop.
void on_pool_thread_start(void (*setup)());

namespace detail {
void parallel_for_chunks(std::int64_t n, std::int64_t grain, FunctionRef<void(std::int64_t, std::int64_t)> fn);
}  // namespace detail

/// Calls fn(begin, end) over disjoint chunks covering [0, n). Runs inline when
/// n < 2 * grain (no chunk would reach grain) or only one thread is configured. fn must not
/// throw.
template <typename F>
inline void parallel_for(std::int64_t n, std::int64_t grain, F&& fn) {
  // Tiny work (most kernels of a small model) calls fn directly: no out-of-line call, no
  // indirect call through FunctionRef, and fn can be inlined into its caller.
  if (n / 2 < std::max<std::int64_t>(grain, 1)) {
    if (n > 0) fn(std::int64_t{0}, n);
    return;
  }
  detail::parallel_for_chunks(n, grain, FunctionRef<void(std::int64_t, std::int64_t)>(fn));
}

}  // namespace keras::backend
