#pragma once
// Counts heap allocations in this test binary: alloc_counter.cpp replaces the global
// operator new family and (outside sanitizer builds) malloc and its relatives, so that
// allocations made by any library the binary uses (libstdc++, the BLAS) are seen.
#include <cstdint>

namespace keras::testing {

/// Counts allocations (on every thread) between construction and `count()`.
class AllocationCounter {
 public:
  AllocationCounter();
  ~AllocationCounter();
  AllocationCounter(const AllocationCounter&) = delete;
  AllocationCounter& operator=(const AllocationCounter&) = delete;
  std::int64_t count() const;
};

/// True when malloc itself is intercepted (false under AddressSanitizer, which owns it);
/// operator new is counted either way.
bool counts_malloc();

}  // namespace keras::testing
