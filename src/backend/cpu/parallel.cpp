#include "keras/backend/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace keras::backend {

namespace {

int default_threads() {
  if (const char* env = std::getenv("KERAS_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// Briefly waits without sleeping: a pause instruction where there is one.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// The floating-point control word (denormal flushing) of the thread that submits a job is
// the one its chunks run with, on whichever thread.
#if defined(__SSE__)
inline unsigned fp_mode() { return _mm_getcsr(); }
inline void set_fp_mode(unsigned mode) {
  if (_mm_getcsr() != mode) _mm_setcsr(mode);
}
#else
inline unsigned fp_mode() { return 0; }
inline void set_fp_mode(unsigned) {}
#endif

// on_pool_thread_start's registrations (static initializers add them before the pool exists).
std::vector<void (*)()>& thread_setups() {
  static std::vector<void (*)()> setups;
  return setups;
}
void run_thread_setups() {
  for (void (*setup)() : thread_setups()) setup();
}

// A fixed pool of workers; the caller thread works too. One job at a time (kernels are
// called from one thread), which keeps the pool simple. A training step issues its parallel
// kernels microseconds apart, and waking a sleeping thread through the kernel costs about as
// much as such a kernel, so workers spin for a while after each job before they sleep, and
// the caller spins while the last chunks finish.
class Pool {
 public:
  explicit Pool(int workers) {
    run_thread_setups();
    std::atomic<int> ready{0};
    for (int i = 0; i < workers; ++i)
      threads_.emplace_back([this, &ready] {
        run_thread_setups();
        ready.fetch_add(1);
        worker_loop();
      });
    // The setups finish before the pool's first job: what they allocate is allocated now.
    while (ready.load() < workers) std::this_thread::yield();
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_.store(true);
      generation_.fetch_add(1);
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  void run(int chunks, FunctionRef<void(int)> task) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    const std::uint64_t job = ++jobs_;
    task_ = &task;
    fp_mode_ = fp_mode();
    chunks_.store(chunks);
    pending_.store(chunks);
    // Publishing the job's chunk counter makes the task visible to whoever claims a chunk.
    state_.store(job << 32);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      generation_.store(job);
      if (sleepers_ > 0) wake_.notify_all();
    }
    work(job);
    for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins) {
      if (spins < 4096) cpu_relax();
      else std::this_thread::yield();
    }
  }

 private:
  // Claims chunks of `job` until none are left. A worker still leaving an earlier job cannot
  // claim a chunk of a later one: the job number and the next chunk change together.
  void work(std::uint64_t job) {
    for (;;) {
      std::uint64_t state = state_.load();
      if ((state >> 32) != (job & 0xffffffffu)) return;
      const auto chunk = static_cast<int>(state & 0xffffffffu);
      if (chunk >= chunks_.load()) return;
      if (!state_.compare_exchange_weak(state, state + 1)) continue;
      set_fp_mode(fp_mode_);
      (*task_)(chunk);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      // Spin for the next job a little (a pause is 40-140 cycles: tens of microseconds in
      // all, the gap between a step's parallel kernels), then sleep: on an oversubscribed
      // machine a longer spin only takes time from the thread that would post the next job.
      for (int spins = 0; spins < 2000 && generation_.load(std::memory_order_acquire) == seen; ++spins) cpu_relax();
      if (generation_.load(std::memory_order_acquire) == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        ++sleepers_;
        wake_.wait(lock, [&] { return generation_.load() != seen; });
        --sleepers_;
      }
      if (stop_.load()) return;
      seen = generation_.load(std::memory_order_acquire);
      work(seen);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex job_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  int sleepers_ = 0;  // guarded by mutex_
  std::uint64_t jobs_ = 0;  // guarded by job_mutex_
  const FunctionRef<void(int)>* task_ = nullptr;
  unsigned fp_mode_ = 0;
  std::atomic<int> chunks_{0};
  std::atomic<int> pending_{0};
  std::atomic<std::uint64_t> state_{0};  // (job number << 32) | next unclaimed chunk
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
};

int configured_threads = 0;

Pool& pool() {
  static Pool instance(std::max(0, num_threads() - 1));
  return instance;
}

}  // namespace

int num_threads() {
  if (configured_threads == 0) configured_threads = default_threads();
  return configured_threads;
}

void set_num_threads(int threads) { configured_threads = std::max(1, threads); }

// Set while a thread runs a chunk of a parallel loop: a loop nested inside one (a fused
// group's kernels, a kernel calling another) runs inline instead of posting a job to the
// pool that is busy with its parent.
namespace {
thread_local bool in_parallel_chunk = false;
}  // namespace

void on_pool_thread_start(void (*setup)()) { thread_setups().push_back(setup); }

void detail::parallel_for_chunks(std::int64_t n, std::int64_t grain,
                                 FunctionRef<void(std::int64_t, std::int64_t)> fn) {
  if (n <= 0) return;
  const int threads = std::min<std::int64_t>(num_threads(), std::max<std::int64_t>(1, n / std::max<std::int64_t>(grain, 1)));
  if (threads <= 1 || in_parallel_chunk) {
    fn(0, n);
    return;
  }
  Pool& p = pool();
  const int chunks = std::min(threads, p.size());
  const std::int64_t per = (n + chunks - 1) / chunks;
  p.run(chunks, [&](int c) {
    const std::int64_t begin = c * per;
    const std::int64_t end = std::min(n, begin + per);
    if (begin >= end) return;
    in_parallel_chunk = true;
    fn(begin, end);
    in_parallel_chunk = false;
  });
}

}  // namespace keras::backend
