#pragma once
// Grow-only scratch buffers for kernels run by compiled plans, which must not allocate once
// warm.
//
// Per-thread buffers are not enough: the pool's threads claim chunks dynamically, so a worker
// that happened to claim nothing during a plan's first run allocates its buffer in a later
// one. Here a chunk leases a buffer of its kind from a shared set instead. Every buffer of a
// kind grows to the largest size ever asked of the kind, and a kind starts with one buffer
// per pool thread (more only if a thread holds several at once), so after the first run of a
// plan no lease allocates, whichever thread runs which chunk.
//
// New elements are zeros (std::vector value-initialisation); a kind whose users restore zeros
// after use (conv's zeroed columns) stays all zeros.
#include <algorithm>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "keras/backend/parallel.h"

namespace keras::backend::cpu {

template <typename T, auto kKind>
class ScratchLease {
 public:
  explicit ScratchLease(std::size_t elements) {
    Shelf& s = shelf();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (!s.stocked) {
      // One buffer per pool thread from the start: a run where more threads than before
      // take chunks then finds its buffers ready. The shelf's own list never reallocates.
      s.free.reserve(kShelfCapacity);
      const int threads = std::max(1, num_threads());
      for (int i = 0; i < threads; ++i) s.free.push_back(std::make_unique<std::vector<T>>(elements));
      s.stocked = true;
    }
    if (elements > s.largest) {
      s.largest = elements;
      for (auto& b : s.free) b->resize(elements);
    }
    if (s.free.empty()) {
      buffer_ = std::make_unique<std::vector<T>>(s.largest);
    } else {
      buffer_ = std::move(s.free.back());
      s.free.pop_back();
      if (buffer_->size() < s.largest) buffer_->resize(s.largest);
    }
  }
  ~ScratchLease() {
    Shelf& s = shelf();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (buffer_->size() < s.largest) buffer_->resize(s.largest);
    s.free.push_back(std::move(buffer_));
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;

  T* data() const { return buffer_->data(); }

 private:
  static constexpr std::size_t kShelfCapacity = 256;
  struct Shelf {
    std::mutex mutex;
    bool stocked = false;  // the first lease created one buffer per pool thread
    std::size_t largest = 0;
    std::vector<std::unique_ptr<std::vector<T>>> free;
  };
  static Shelf& shelf() {
    static Shelf* s = new Shelf;  // never destroyed: pool threads may lease during exit
    return *s;
  }

  std::unique_ptr<std::vector<T>> buffer_;
};

}  // namespace keras::backend::cpu
