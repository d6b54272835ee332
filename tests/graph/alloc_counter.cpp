// Replacement allocation functions that count calls while an AllocationCounter is alive.
// They forward to glibc's own allocator (__libc_*), so memory from either side can be freed
// by the other.
#include "alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int> active{0};
std::atomic<std::int64_t> allocations{0};

inline void note_allocation() {
  if (active.load(std::memory_order_relaxed) > 0) allocations.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

namespace keras::testing {
AllocationCounter::AllocationCounter() {
  allocations.store(0);
  active.fetch_add(1);
}
AllocationCounter::~AllocationCounter() { active.fetch_sub(1); }
std::int64_t AllocationCounter::count() const { return allocations.load(); }
}  // namespace keras::testing

#if defined(__SANITIZE_ADDRESS__)
namespace keras::testing {
bool counts_malloc() { return false; }
}  // namespace keras::testing
#define KERAS_RAW_MALLOC(n) std::malloc(n)
#define KERAS_RAW_ALIGNED(a, n) std::aligned_alloc(a, ((n) + (a)-1) / (a) * (a))
#define KERAS_RAW_FREE(p) std::free(p)
#else
namespace keras::testing {
bool counts_malloc() { return true; }
}  // namespace keras::testing

extern "C" {
void* __libc_malloc(std::size_t);
void __libc_free(void*);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);

void* malloc(std::size_t n) noexcept {
  note_allocation();
  return __libc_malloc(n);
}
void free(void* p) noexcept { __libc_free(p); }
void* calloc(std::size_t count, std::size_t size) noexcept {
  note_allocation();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t n) noexcept {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  note_allocation();
  return __libc_memalign(alignment, n);
}
void* memalign(std::size_t alignment, std::size_t n) noexcept {
  note_allocation();
  return __libc_memalign(alignment, n);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  note_allocation();
  void* p = __libc_memalign(alignment, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}  // extern "C"
#define KERAS_RAW_MALLOC(n) __libc_malloc(n)
#define KERAS_RAW_ALIGNED(a, n) __libc_memalign(a, n)
#define KERAS_RAW_FREE(p) __libc_free(p)
#endif

// ---- the operator new family ---------------------------------------------------------------

namespace {
void* counted_new(std::size_t n) {
  note_allocation();
  void* p = KERAS_RAW_MALLOC(n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  return p;
}
void* counted_new_aligned(std::size_t n, std::align_val_t alignment) {
  note_allocation();
  void* p = KERAS_RAW_ALIGNED(static_cast<std::size_t>(alignment), n == 0 ? 1 : n);
  if (!p) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return counted_new(n);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void operator delete(void* p) noexcept { KERAS_RAW_FREE(p); }
void operator delete[](void* p) noexcept { KERAS_RAW_FREE(p); }
void operator delete(void* p, std::size_t) noexcept { KERAS_RAW_FREE(p); }
void operator delete[](void* p, std::size_t) noexcept { KERAS_RAW_FREE(p); }
void operator delete(void* p, std::align_val_t) noexcept { KERAS_RAW_FREE(p); }
void operator delete[](void* p, std::align_val_t) noexcept { KERAS_RAW_FREE(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { KERAS_RAW_FREE(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { KERAS_RAW_FREE(p); }
