#include "keras/backend/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace keras::backend {

namespace {

int default_threads() {
  if (const char* env = std::getenv("KERAS_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

// A fixed pool of workers; the caller thread works too. One job at a time (kernels are
// called from one thread), which keeps the pool simple and its hand-off cheap.
class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int size() const { return static_cast<int>(threads_.size()) + 1; }

  void run(int chunks, FunctionRef<void(int)> task) {
    std::unique_lock<std::mutex> job_lock(job_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &task;
      chunks_ = chunks;
      next_chunk_.store(0);
      pending_ = chunks;
      ++generation_;
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

 private:
  void work() {
    for (;;) {
      const int chunk = next_chunk_.fetch_add(1);
      if (chunk >= chunks_) return;
      (*task_)(chunk);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_all();
    }
  }
  void worker_loop() {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stop_ || (generation_ != seen && task_ != nullptr); });
        if (stop_) return;
        seen = generation_;
      }
      work();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex job_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const FunctionRef<void(int)>* task_ = nullptr;
  int chunks_ = 0;
  std::atomic<int> next_chunk_{0};
  int pending_ = 0;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
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

void parallel_for(std::int64_t n, std::int64_t grain, FunctionRef<void(std::int64_t, std::int64_t)> fn) {
  if (n <= 0) return;
  const int threads = std::min<std::int64_t>(num_threads(), std::max<std::int64_t>(1, n / std::max<std::int64_t>(grain, 1)));
  if (threads <= 1) {
    fn(0, n);
    return;
  }
  Pool& p = pool();
  const int chunks = std::min(threads, p.size());
  const std::int64_t per = (n + chunks - 1) / chunks;
  p.run(chunks, [&](int c) {
    const std::int64_t begin = c * per;
    const std::int64_t end = std::min(n, begin + per);
    if (begin < end) fn(begin, end);
  });
}

}  // namespace keras::backend
